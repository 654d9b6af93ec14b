"""What the assistant does when it is not sure what was asked.

First miss: the likely topics as buttons. A second miss in a row: the contact centre, because
guessing again frustrates more than it helps.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.texts import say
from service_catalogue import load_catalogue

FALLBACK_INTENT = "nlu_fallback"
MAX_BUTTONS = 3
# Button labels for the topics a clarification can offer, most asked first.
TOPIC_LABELS = {
    "ask_opening_days": "Wanneer is een loket open?",
    "ask_which_counter": "Naar welk loket kan ik?",
    "ask_product_channel": "Moet ik langskomen voor een document?",
    "ask_appointment_required": "Heb ik een afspraak nodig?",
    "book_appointment": "Een afspraak maken",
    "ask_home_delivery": "Levering aan huis",
    "ask_service_changes": "Wat is er veranderd?",
    "ask_contact": "Het contactcenter bellen",
    "cancel_appointment": "Een afspraak annuleren",
    "reschedule_appointment": "Een afspraak verplaatsen",
    "check_appointment": "Mijn afspraak bekijken",
}


def misses_in_a_row(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != FALLBACK_INTENT:
            break
        count += 1
    return count


def likely_topics(tracker: Tracker) -> List[str]:
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    ranked = [item.get("name") for item in ranking if item.get("name") in TOPIC_LABELS]
    defaults = [name for name in TOPIC_LABELS if name not in ranked]
    return (ranked + defaults)[:MAX_BUTTONS]


def payload(intent: str, entities: List[Dict[str, Any]]) -> str:
    values = {
        e["entity"]: e["value"] for e in entities if e.get("entity") in ("counter", "product")
    }
    return f"/{intent}{json.dumps(values)}" if values else f"/{intent}"


class ActionClarify(Action):
    def name(self) -> Text:
        return "action_clarify"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        if misses_in_a_row(tracker) >= 2:
            centre = load_catalogue().contact_centre
            say(dispatcher, "clarify_contact", centre=centre.name, phone=centre.phone)
            return []
        entities = (tracker.latest_message or {}).get("entities") or []
        buttons = [
            {"title": TOPIC_LABELS[intent], "payload": payload(intent, entities)}
            for intent in likely_topics(tracker)
        ]
        say(dispatcher, "clarify", buttons=buttons)
        return []
