"""What a staff member types, into the citizen's conversation and onto the citizen's screen.

The text is appended to the conversation as a bot utterance (marked with the staff member's first
name in its metadata) under the conversation's lock, as Rasa does for its own answers, so a
citizen's message arriving at the same moment is not lost; then it is pushed to the channel.

Only channels that can push are offered a live handover: the web widget's socket.io, through its
room (with Redis, from any replica to the one holding the socket). The REST channel answers only
what it is asked; Telegram, Messenger and Twilio are not wired to the console yet, so there the
assistant gives the contact centre's number instead of a queue.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed, Event


log = logging.getLogger(__name__)

_SOCKETS: Dict[str, Any] = {}  # channel name -> (socket.io server, event name, namespace)


def register_socket(channel: str, sio: Any, event: str, namespace: Optional[str]) -> None:
    """Called by channels/web_socket.py when it builds its socket.io server."""
    _SOCKETS[channel] = (sio, event, namespace or "/")


async def push(channel: str, conversation_id: str, text: str) -> bool:
    """Shows `text` in the citizen's chat now; False when the channel cannot be reached."""
    found = _SOCKETS.get(channel)
    if found is None:
        return False
    sio, event, namespace = found
    try:
        await sio.emit(event, {"text": text}, room=conversation_id, namespace=namespace)
        return True
    except Exception as error:  # a Redis hiccup must not lose the staff member's page
        log.error("staff message not pushed: %s", type(error).__name__)
        return False


async def append(agent, conversation_id: str, *events: Event) -> None:
    """Appends events to the conversation under its lock (the way Rasa's processor does)."""
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.get_or_create_tracker(conversation_id, append_action_listen=False)
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)


async def say_as_staff(agent, channel: str, conversation_id: str, first_name: str, text: str) -> bool:
    shown = f"{first_name} (medewerker): {text}"
    await append(agent, conversation_id, BotUttered(shown, metadata={"staff": {"first_name": first_name}}))
    return await push(channel, conversation_id, shown)


def resumed() -> list:
    """Resuming, and listening: the citizen's messages during the pause were logged without the
    assistant's turn after them, and a policy that sees no `action_listen` before the next message
    predicts on and on (Rasa's circuit breaker then stops it: no answer at all)."""
    return [ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME)]


async def say_as_assistant(agent, channel: str, conversation_id: str, text: str, resume: bool) -> bool:
    if resume:
        await append(agent, conversation_id, ConversationResumed(), BotUttered(text),
                     ActionExecuted(ACTION_LISTEN_NAME))
    else:
        await append(agent, conversation_id, BotUttered(text))
    return await push(channel, conversation_id, text)
