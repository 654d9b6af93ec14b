"""A new session after the idle timeout, as Rasa starts it, except that a conversation a person
has (or is waiting for) stays paused: Rasa's own session start would unpause it, and the
assistant would then answer over the staff member's head."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from bookings.store import StoreUnavailable
from handover.queue import HandoverQueue

log = logging.getLogger(__name__)


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = [SessionStarted()]  # no slots carried over (domain.yml)
        try:
            handed_over = HandoverQueue.shared().open_for(tracker.sender_id) is not None
        except StoreUnavailable:
            handed_over = False
            log.warning("session start: the handover queue is unavailable")
        if handed_over:
            events.append(ConversationPaused())
        events.append(ActionExecuted("action_listen"))
        return events
