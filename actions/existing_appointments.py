"""Looking up, cancelling and moving a booking by its reference code, from any conversation.

A code can be overheard or guessed, so nothing is shown or changed before the contact given at
booking matches too; a wrong code and a wrong contact get the same answer. What the citizen
wants (look up, cancel, move) is the slot `lookup_purpose`, set from the intent.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bookings import rules
from actions.booking_form import AppointmentTimeSlots, say_unavailable, yes_no_buttons
from actions.form_behaviour import (
    OUTCOME_SLOT,
    AskAction,
    PlainQuestion,
    StoppableForm,
    booking_store,
    forget_everything,
    is_question,
    lost_the_code,
    message_text,
    requested,
    tell,
    wants_to_stop,
)
from actions.texts import say
from bookings.contact_details import read_contact
from bookings.reference_codes import looks_like_code
from bookings.store import Booking, SlotFull, StoreUnavailable
from service_catalogue import load_catalogue, schedule

PURPOSE_SLOTS = {
    "check": ["lookup_code", "lookup_contact"],
    "cancel": ["lookup_code", "lookup_contact", "booking_confirmed"],
    "reschedule": ["lookup_code", "lookup_contact", "booking_date", "booking_time", "booking_confirmed"],
}
MAX_CODE_ECHO = 12


def verified_booking(tracker: Tracker) -> Optional[Booking]:
    code, contact = tracker.get_slot("lookup_code"), tracker.get_slot("lookup_contact")
    if not (code and contact):
        return None
    return booking_store().find(code, contact)


def describe(booking: Booking, today: dt.date) -> Dict[str, str]:
    catalogue = load_catalogue()
    return {
        "code": booking.code,
        "product": catalogue.products[booking.product].name,
        "counter_name": catalogue.counters[booking.counter].name,
        "day": rules.day_label(booking.day, today),
        "time": rules.time_label(booking.start),
    }


class ValidateAppointmentLookupForm(StoppableForm, AppointmentTimeSlots, FormValidationAction):
    def name(self) -> Text:
        return "validate_appointment_lookup_form"

    async def run(self, dispatcher, tracker: Tracker, domain) -> List[Dict[Text, Any]]:
        """No code, no look-up: a citizen who lost it is sent on at once, never asked again."""
        if requested(tracker) in (None, "lookup_code") and not tracker.get_slot("lookup_code") and lost_the_code(tracker):
            return [SlotSet(OUTCOME_SLOT, "code_lost"), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot(OUTCOME_SLOT):
            return []
        return PURPOSE_SLOTS.get(tracker.get_slot("lookup_purpose"), PURPOSE_SLOTS["check"])

    def extract_lookup_code(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        if wants_to_stop(tracker) or requested(tracker) not in (None, "lookup_code"):
            return {}
        text = message_text(tracker)
        code = looks_like_code(text)
        if code:
            return {"lookup_code": code}
        if requested(tracker) == "lookup_code" and not is_question(tracker):
            return {"lookup_code": text[:MAX_CODE_ECHO]}
        return {}

    def validate_lookup_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict:
        code = looks_like_code(str(value))
        if code is None:
            say(dispatcher, "lookup_code_invalid")
        return {"lookup_code": code}

    def extract_lookup_contact(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        if wants_to_stop(tracker) or requested(tracker) not in (None, "lookup_contact"):
            return {}
        text = message_text(tracker)
        if read_contact(text):
            return {"lookup_contact": text}
        if requested(tracker) == "lookup_contact" and not is_question(tracker):
            return {"lookup_contact": text}
        return {}

    def validate_lookup_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict:
        verdict = rules.choose_contact(str(value))
        if not verdict.accepted:
            tell(dispatcher, verdict)
            return {"lookup_contact": None}
        code = tracker.get_slot("lookup_code")
        if not code:
            return {"lookup_contact": verdict.value}
        try:
            booking = booking_store().find(code, verdict.value)
        except StoreUnavailable:
            return {OUTCOME_SLOT: "unavailable", "requested_slot": None}
        if booking is None:
            # Same answer for a wrong code and a wrong contact; the form ends here.
            return {
                "lookup_code": None,
                "lookup_contact": None,
                OUTCOME_SLOT: "not_found",
                "requested_slot": None,
            }
        # The day and hour validators of a move need the booking's counter; a day named
        # before the booking was known is checked again against that counter.
        slots = {
            "lookup_contact": verdict.value,
            "booking_counter": booking.counter,
            "booking_product": booking.product,
        }
        day = tracker.get_slot("booking_date")
        if day:
            catalogue = load_catalogue()
            counter = catalogue.counters[booking.counter]
            now = schedule.now(catalogue)
            if not rules.day_fits(catalogue, booking_store(), counter, dt.date.fromisoformat(day), now):
                slots.update(booking_date=None, booking_time=None)
        return slots


class AskLookupCode(PlainQuestion):
    slot = "lookup_code"
    text_key = "lookup_ask_code"


class AskLookupContact(PlainQuestion):
    slot = "lookup_contact"
    text_key = "lookup_ask_contact"


class AskLookupConfirmed(AskAction):
    """Cancel or move: show what will change and ask for a yes."""

    slot = "booking_confirmed"

    def name(self) -> Text:
        return "action_ask_appointment_lookup_form_booking_confirmed"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        catalogue = load_catalogue()
        today = schedule.today(catalogue)
        try:
            booking = verified_booking(tracker)
        except StoreUnavailable:
            say_unavailable(dispatcher)
            return
        if booking is None:
            return
        details = describe(booking, today)
        if tracker.get_slot("lookup_purpose") == "reschedule":
            day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
            say(
                dispatcher,
                "lookup_confirm_move",
                code=booking.code,
                old_day=details["day"],
                old_time=details["time"],
                day=rules.day_label(day, today),
                time=tracker.get_slot("booking_time"),
                counter_name=details["counter_name"],
                buttons=yes_no_buttons(),
            )
        else:
            say(dispatcher, "lookup_confirm_cancel", buttons=yes_no_buttons(), **details)


class ActionFinishLookup(Action):
    def name(self) -> Text:
        return "action_finish_lookup"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        outcome = tracker.get_slot(OUTCOME_SLOT)
        centre = catalogue.contact_centre
        if outcome == "stopped":
            say(dispatcher, "form_stopped")
            return forget_everything()
        if outcome == "code_lost":
            say(dispatcher, "lookup_code_lost", centre=centre.name, phone=centre.phone)
            return forget_everything()
        if outcome == "not_found":
            say(dispatcher, "lookup_not_found", centre=centre.name, phone=centre.phone)
            return forget_everything()
        if outcome == "unavailable":
            say_unavailable(dispatcher)
            return forget_everything()
        try:
            retry = self._carry_out(dispatcher, tracker)
        except StoreUnavailable:
            say_unavailable(dispatcher)
            retry = []
        return retry or forget_everything()

    def _carry_out(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        today = schedule.today(catalogue)
        code, contact = tracker.get_slot("lookup_code"), tracker.get_slot("lookup_contact")
        booking = verified_booking(tracker)
        if booking is None:
            centre = catalogue.contact_centre
            say(dispatcher, "lookup_not_found", centre=centre.name, phone=centre.phone)
            return []
        purpose = tracker.get_slot("lookup_purpose")
        confirmed = tracker.get_slot("booking_confirmed") is True
        if purpose == "cancel":
            if confirmed and booking_store().cancel(code, contact):
                say(dispatcher, "lookup_cancelled", code=booking.code)
            else:
                say(dispatcher, "lookup_kept")
        elif purpose == "reschedule":
            if not confirmed:
                say(dispatcher, "lookup_kept")
                return []
            # Checked again whatever the slots say: they may have been set by hand.
            checked = rules.check_appointment_time(
                catalogue,
                booking.counter,
                tracker.get_slot("booking_date"),
                tracker.get_slot("booking_time"),
                schedule.now(catalogue),
            )
            if not checked.accepted:
                tell(dispatcher, checked)
                return []
            _, day, start = checked.value
            counter = catalogue.counters[booking.counter]
            try:
                moved = booking_store().reschedule(code, contact, day, start, counter.desks)
            except SlotFull:
                say(
                    dispatcher,
                    "slot_just_taken",
                    time=rules.time_label(start),
                    day=rules.day_label(day, today),
                )
                return [
                    SlotSet("booking_time", None),
                    SlotSet("booking_confirmed", None),
                    FollowupAction("appointment_lookup_form"),
                ]
            say(dispatcher, "lookup_moved", **describe(moved, today))
        else:
            say(dispatcher, "lookup_details", **describe(booking, today))
        return []
