"""Answers where the assistant must say what it does not do or know: a question in another
language, a lost or stolen document (what to do first), and a fact the catalogue does not hold.

Nothing here invents: a price or a processing time is never stated, only where to find it (the
contact centre and the city's website, from the catalogue); an address only when the catalogue
holds one with its source.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from language import wording
from actions.products import say_product
from actions.texts import render, say, texts
from actions.tracker_values import counter_in, product_in
from bookings.rules import sessions_text
from service_catalogue import load_catalogue

FACT_ASPECTS = ("price", "payment", "duration", "validity", "access", "parking", "hours", "address")


def latest_entity(tracker: Tracker, entity: str) -> Optional[str]:
    for found in (tracker.latest_message or {}).get("entities") or []:
        if found.get("entity") == entity and isinstance(found.get("value"), str):
            return found["value"]
    return None


def _contact(catalogue) -> Dict[str, str]:
    centre = catalogue.contact_centre
    return {"centre": centre.name, "phone": centre.phone, "website": centre.website}


class ActionAnswerOtherLanguage(Action):
    """In the citizen's language where the texts file has it (English, French, Turkish, Polish,
    Arabic), else in English and Dutch: what the assistant does, that it answers in Dutch, and
    the contact centre's number."""

    def name(self) -> Text:
        return "action_answer_other_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        language = latest_entity(tracker, "language") or "en"
        key = f"other_language_{language}"
        say(dispatcher, key if key in texts() else "other_language_en", **_contact(catalogue))
        return []


class ActionAnswerLostDocument(Action):
    """What to do first (from the catalogue), then the document's own route: appointment and
    what to bring."""

    def name(self) -> Text:
        return "action_answer_lost_document"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        product, _ = product_in(tracker, catalogue)
        if product is None or product.lost_or_stolen is None:
            lost = [p for p in catalogue.products.values() if p.lost_or_stolen]
            say(dispatcher, "lost_document_which", products=wording.join_or(p.name for p in lost))
            return []
        say(dispatcher, "lost_document_first", product=product.name, first=product.lost_or_stolen.text)
        say_product(dispatcher, catalogue, product)
        return []


class ActionAnswerUnknownFact(Action):
    def name(self) -> Text:
        return "action_answer_unknown_fact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        aspect = latest_entity(tracker, "fact_aspect")
        aspect = aspect if aspect in FACT_ASPECTS else "other"
        product, _ = product_in(tracker, catalogue)
        counter, _ = counter_in(tracker, catalogue)
        if aspect == "address" and counter is not None and counter.address is not None:
            # An address the city has not confirmed yet (flagged in the catalogue) is said as such.
            key = "counter_address_unconfirmed" if counter.address.source.assumption else "counter_address"
            say(dispatcher, key, counter_name=counter.name, address=counter.address.text, **_contact(catalogue))
            return []
        if aspect == "address" and counter is not None:  # where to go: the counter, not the document
            product = None
        subject = product.name if product else (f"het loket {counter.name}" if counter else render("unknown_fact_subject"))
        sentences = [render(f"unknown_fact_{aspect}", subject=subject), render("unknown_fact_where", **_contact(catalogue))]
        if aspect == "hours":
            sentences.append(render("unknown_fact_sessions", sessions=sessions_text(catalogue)))
        dispatcher.utter_message(text=" ".join(sentences))
        return []
