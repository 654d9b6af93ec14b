"""What the booking and look-up forms share: when a message answers the form, when it is a
question to answer first, when the citizen wants to stop, and how a form forgets what it held.

A form only takes a message as its answer when it plausibly is one. A question ("wanneer is
Berchem open?") is left alone, so the form rejects it, a rule answers it and the form goes on.
"""
from __future__ import annotations

import abc
import functools
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bookings.rules import Verdict
from actions.texts import render
from bookings.contact_details import read_contact
from bookings.reference_codes import looks_like_code
from bookings.store import BookingStore
from language.appointment_phrases import says_code_lost, words

# "nee", "laat maar", "toch niet" are deny; "tot ziens" ends a form as well. Cancelling is
# stopping only while booking: in the look-up form it is what the citizen came to do.
STOP_INTENTS = {"deny", "goodbye"}
STOP_INTENTS_WHILE_BOOKING = STOP_INTENTS | {"cancel_appointment"}
# Said on their own, these always stop a form, whatever intent the model gives them.
STOP_PHRASES = {
    "stop", "stoppen", "stop maar", "stop ermee", "hou op", "hou maar op", "ophouden",
    "laat maar", "laat maar zitten", "laat het maar", "nee laat maar", "toch niet",
    "nee toch niet", "toch maar niet", "afbreken", "annuleer", "annuleren", "vergeet het",
}
# Slots whose answer may be "nee": there it is the answer, not a wish to stop.
NO_IS_AN_ANSWER = {"booking_confirmed", "booking_visit_wanted"}
# Intents that are questions of their own while a form waits for an answer.
QUESTION_INTENTS = {
    "ask_service_changes",
    "ask_appointment_required",
    "ask_opening_days",
    "ask_which_counter",
    "ask_product_channel",
    "ask_home_delivery",
    "ask_contact",
    "human_handoff",
    "bot_challenge",
    "greet",
    "thank",
    # Set by rule after DIET (language/message_rules.py): questions of their own too.
    "ask_unknown_fact",
    "report_lost_document",
    "other_language",
}
APPOINTMENT_INTENTS = {
    "book_appointment",
    "cancel_appointment",
    "reschedule_appointment",
    "check_appointment",
}
# Intents whose message may carry a new value for any slot ("nee, toch in Merksem").
CHANGE_INTENTS = {
    "book_appointment",
    "reschedule_appointment",
    "inform",
    "deny",
    "affirm",
    "nlu_fallback",
    "out_of_scope",
}
QUESTION_CONFIDENCE = 0.5
MAX_TEXT = 300  # characters of a message a slot validator looks at

BOOKING_SLOTS = (
    "booking_product",
    "booking_visit_wanted",
    "booking_people",
    "booking_counter",
    "booking_date",
    "booking_time",
    "booking_name",
    "booking_contact",
    "booking_confirmed",
)
LOOKUP_SLOTS = ("lookup_code", "lookup_contact", "lookup_purpose")
OUTCOME_SLOT = "form_outcome"


@functools.lru_cache(maxsize=1)
def booking_store() -> BookingStore:
    """One store per action server; its engine pools connections across conversations."""
    return BookingStore.from_environment()


def intent_of(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def confidence_of(tracker: Tracker) -> float:
    return float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0)


def message_text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "")[:MAX_TEXT]


def carries_a_change(tracker: Tracker) -> bool:
    """A value the forms understand: "nee, toch in Merksem" is a change, not a stop, and a
    reference code or an e-mail address is an answer, whatever intent the model gives it."""
    from language.dutch_dates import read_day
    from language.dutch_times import read_time
    from language.household import read_people
    from service_catalogue import load_catalogue, schedule

    text = message_text(tracker)
    return bool(
        (requested(tracker) == "booking_people" and read_people(text).count is not None)  # "alleen ik"
        or entity_value(tracker, "counter")
        or entity_value(tracker, "product")
        or looks_like_code(text)
        or read_contact(text)
        or read_day(text, schedule.now(load_catalogue())).found
        or read_time(text).at
        or read_time(text).part
    )


# Words of leaving, not of a name: "Nee Bedankt" or "Tot Ziens" written with capitals stay a stop.
_LEAVING_WORDS = {"nee", "neen", "bedankt", "dank", "merci", "stop", "stoppen", "laat", "maar", "zitten", "dag",
                  "daag", "doei", "tot", "ziens", "toch", "niet", "salut", "bye", "ok", "oké", "oke", "ik", "geen",
                  "wel", "annuleer", "annuleren", "afspraak", "interesse", "no", "thanks", "avond", "fijne", "goeie",
                  "goede", "nacht", "later", "vergeet", "het", "dat"}


def is_a_name_asked_for(tracker: Tracker, text: str) -> bool:
    """ "Wout Claeys" when the form asked for a name is that name, even when the model reads it as
    goodbye or deny (names are in no training example, so such readings are chance)."""
    from bookings.rules import looks_like_full_name

    return (requested(tracker) == "booking_name" and looks_like_full_name(text)
            and not {word.lower().strip(",.!") for word in text.split()} & _LEAVING_WORDS)


# A stop phrase may open a longer message ("laat maar, ik bel wel naar de stad"), and some ways of
# giving up are whole sentences of their own. Neither names a counter, a day or a person.
STOP_OPENINGS = tuple(sorted(STOP_PHRASES | {"nee laat maar", "och laat maar", "ach laat maar",
                                             "laat zitten", "och laat zitten", "nee bedankt"}, key=len, reverse=True))
_GIVING_UP = re.compile(
    r"\b(ik stop (er ?mee|ermee)|ik (wil|ga) stoppen|vergeet (het|dat|die afspraak)( maar)?|"
    r"ik doe (het|dat) (later|straks|een andere keer|morgen)( wel)?|"
    r"ik (kom|doe het|probeer het|regel het) (wel |dan |maar )?(een )?andere keer|ik (heb|had) me bedacht|ik bedenk me|"
    r"ik zie er van af|ik zie ervan af|ik regel (het|dat) (zelf|later|wel)|"
    r"ik bel (wel|zelf)|hoeft niet meer|niet meer nodig)"
)
MAX_STOP_WORDS = 16


def said_stop(tracker: Tracker) -> bool:
    """A stop phrase on its own, a stop phrase opening the message, or a sentence of giving up."""
    said = words(message_text(tracker))
    if not said or len(said) > MAX_STOP_WORDS:
        return False
    joined = " ".join(said)
    if joined in STOP_PHRASES:
        return True
    openings = STOP_OPENINGS
    if tracker.active_loop_name == "appointment_lookup_form":  # there, cancelling is the errand
        openings = tuple(o for o in openings if not o.startswith("annuleer"))
    longer = any(joined.startswith(opening + " ") for opening in openings) or _GIVING_UP.search(joined)
    # "laat maar, toch liever in Merksem" changes the booking; it does not stop it.
    return bool(longer) and not carries_a_change(tracker)


def lost_the_code(tracker: Tracker) -> bool:
    """The citizen has no reference code to give (and gives none in this message)."""
    text = message_text(tracker)
    return not looks_like_code(text) and says_code_lost(text, requested(tracker) == "lookup_code")


def wants_to_stop(tracker: Tracker) -> bool:
    if said_stop(tracker):
        return True
    stops = STOP_INTENTS_WHILE_BOOKING if tracker.active_loop_name == "booking_form" else STOP_INTENTS
    # Only the model's reading is overruled by a name: what the citizen said in words (above) stands.
    return (intent_of(tracker) in stops and not carries_a_change(tracker)
            and not is_a_name_asked_for(tracker, message_text(tracker)))


def stops_the_form(tracker: Tracker) -> bool:
    """A wish to stop, in the middle of a form, where "nee" is not the answer asked for."""
    asked = requested(tracker)
    if asked is None:
        return False
    if asked in NO_IS_AN_ANSWER:
        return said_stop(tracker)
    return wants_to_stop(tracker)


def is_question(tracker: Tracker) -> bool:
    return intent_of(tracker) in QUESTION_INTENTS and confidence_of(tracker) >= QUESTION_CONFIDENCE


def may_change(tracker: Tracker) -> bool:
    return intent_of(tracker) in CHANGE_INTENTS


def requested(tracker: Tracker) -> Optional[str]:
    return tracker.get_slot("requested_slot")


def entity_value(tracker: Tracker, entity: str) -> Optional[str]:
    for found in (tracker.latest_message or {}).get("entities") or []:
        value = found.get("value")
        if found.get("entity") == entity and isinstance(value, str) and value.strip():
            return value.strip()
    return None


def names_a_topic(tracker: Tracker) -> bool:
    """A question or an appointment wish ("ik wil een afspraak maken"), said with confidence."""
    topics = QUESTION_INTENTS | APPOINTMENT_INTENTS
    return intent_of(tracker) in topics and confidence_of(tracker) >= QUESTION_CONFIDENCE


def takes_free_text(tracker: Tracker, slot: str) -> bool:
    """Free text answers `slot` when that is what the form asked and it names no other topic:
    "ik wil een afspraak maken" is not a name."""
    return requested(tracker) == slot and not names_a_topic(tracker) and not wants_to_stop(tracker)


def tell(dispatcher: CollectingDispatcher, verdict: Verdict) -> None:
    dispatcher.utter_message(text=render(verdict.key, **verdict.values), buttons=verdict.buttons)


def spoke_since_form_ran(tracker: Tracker) -> bool:
    """True when the form's validation already answered in this turn (a refusal with its own
    buttons), so asking again would say the same twice."""
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "bot":
            return True
        if kind == "user" or (kind == "action" and event.get("name") == tracker.active_loop_name):
            return False
    return False


def forget(slots) -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in slots]


def forget_everything() -> List[Dict[Text, Any]]:
    """Personal data must not stay in the conversation once a form is over; nor the booking a
    manage link opened, so that a later request is about what the citizen says then."""
    return forget(BOOKING_SLOTS + LOOKUP_SLOTS + (OUTCOME_SLOT, "manage_link"))


class StoppableForm:
    """Ends the form at once on "stop", "laat maar", "toch niet" (or "nee" where no yes/no was
    asked): the form's end action then says that nothing was booked or changed. Handled here,
    not by a rule, so it works whatever intent the model gives such a short message."""

    async def run(self, dispatcher, tracker: Tracker, domain) -> List[Dict[Text, Any]]:
        if stops_the_form(tracker):
            return [SlotSet(OUTCOME_SLOT, "stopped"), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)


class AskAction(Action, abc.ABC):
    """Asks for a slot unless a refusal in the same turn already asked with its alternatives."""

    slot: str = ""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        if spoke_since_form_ran(tracker):
            return []
        self.ask(dispatcher, tracker)
        return []

    @abc.abstractmethod
    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        ...


class PlainQuestion(AskAction, abc.ABC):
    """A question that is one fixed text of texts.nl.yml."""

    @property
    @abc.abstractmethod
    def text_key(self) -> str:
        ...

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        dispatcher.utter_message(text=render(self.text_key))
