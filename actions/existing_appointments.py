"""Looking up, cancelling and moving a booking by its reference code, from any conversation.

A code can be overheard or guessed, so nothing is shown or changed before the contact given at
booking matches too; a wrong code and a wrong contact get the same answer. What the citizen
wants (look up, cancel, move) is the slot `lookup_purpose`, set from the intent.
"""
from __future__ import annotations

import datetime as dt
import logging
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
from notifications import outbox
from notifications.messages import Composer
from service_catalogue import load_catalogue, schedule

logger = logging.getLogger(__name__)

PURPOSE_SLOTS = {
    "recover": ["lookup_contact"],
    "check": ["lookup_code", "lookup_contact"],
    "cancel": ["lookup_code", "lookup_contact", "booking_confirmed"],
    "reschedule": ["lookup_code", "lookup_contact", "booking_date", "booking_time", "booking_confirmed"],
}
MAX_CODE_ECHO = 12
LINK_SLOT = "manage_link"
# Lost-code requests per contact: at most this many in this window get a message.
CODE_REQUESTS = 3
CODE_REQUEST_WINDOW = dt.timedelta(hours=24)


def verified_booking(tracker: Tracker) -> Optional[Booking]:
    """The booking a manage link opened (still booked), else the one code and contact name."""
    link = tracker.get_slot(LINK_SLOT)
    if link:
        found = booking_store().find_by_link(link, schedule.today(load_catalogue()))
        return found if found is not None and found.status == "booked" else None
    code, contact = tracker.get_slot("lookup_code"), tracker.get_slot("lookup_contact")
    if not (code and contact):
        return None
    return booking_store().find(code, contact)


def describe(booking: Booking, today: dt.date) -> Dict[str, str]:
    catalogue = load_catalogue()
    product = catalogue.products[booking.product]
    return {
        "people": rules.people_label(product, booking.people),
        "code": booking.code,
        "product": product.name,
        "counter_name": catalogue.counters[booking.counter].name,
        "day": rules.day_label(booking.day, today),
        "time": rules.time_label(booking.start),
    }


class ValidateAppointmentLookupForm(StoppableForm, AppointmentTimeSlots, FormValidationAction):
    def name(self) -> Text:
        return "validate_appointment_lookup_form"

    async def run(self, dispatcher, tracker: Tracker, domain) -> List[Dict[Text, Any]]:
        """A citizen who lost the code is never asked for it again: the form asks for the contact
        given at booking and sends the appointments there. A manage link needs neither."""
        before: List[Dict[Text, Any]] = []
        lost = (requested(tracker) in (None, "lookup_code") and not tracker.get_slot("lookup_code")
                and not tracker.get_slot(LINK_SLOT) and lost_the_code(tracker))
        if lost:
            # Not asked for a code any more: the message is no answer to that question. Only on
            # this tracker: a SlotSet of requested_slot here would be taken by Rasa as the next
            # question (the first one it finds).
            tracker.slots["requested_slot"] = None
            before = [SlotSet("lookup_purpose", "recover")]
        elif tracker.get_slot(LINK_SLOT) and not tracker.get_slot("booking_counter"):
            try:
                booking = verified_booking(tracker)
            except StoreUnavailable:
                return [SlotSet(OUTCOME_SLOT, "unavailable"), SlotSet("requested_slot", None)]
            if booking is None:  # cancelled or past since the link was opened
                return [SlotSet(OUTCOME_SLOT, "link_invalid"), SlotSet("requested_slot", None)]
            # The day and hour validators of a move need its counter and its household.
            before = [SlotSet("booking_counter", booking.counter), SlotSet("booking_product", booking.product),
                      SlotSet("booking_people", str(booking.people))]
        for event in before:
            tracker.slots[event["name"]] = event["value"]
        return before + await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot(OUTCOME_SLOT):
            return []
        purpose = tracker.get_slot("lookup_purpose")
        slots = PURPOSE_SLOTS.get(purpose, PURPOSE_SLOTS["check"])
        if tracker.get_slot(LINK_SLOT) and purpose != "recover":
            return [slot for slot in slots if slot not in ("lookup_code", "lookup_contact")]
        return slots

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
            "booking_people": str(booking.people),  # a household moves together
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


class AskLookupContact(AskAction):
    slot = "lookup_contact"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        if tracker.get_slot("lookup_purpose") == "recover":
            centre = load_catalogue().contact_centre
            say(dispatcher, "lookup_ask_recovery_contact", centre=centre.name, phone=centre.phone)
        else:
            say(dispatcher, "lookup_ask_contact")


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
        if tracker.get_slot("lookup_purpose") == "recover":
            self._send_codes(dispatcher, tracker)
            return forget_everything()
        if outcome == "link_invalid":
            say(dispatcher, "manage_link_invalid", centre=centre.name, phone=centre.phone)
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

    @staticmethod
    def _send_codes(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The same answer whether or not the contact has appointments, or asked too often."""
        catalogue = load_catalogue()
        centre = catalogue.contact_centre
        contact = tracker.get_slot("lookup_contact")
        if contact:
            try:
                outcome = booking_store().send_codes(
                    contact, schedule.today(catalogue), Composer(catalogue).codes, CODE_REQUESTS, CODE_REQUEST_WINDOW
                )
            except StoreUnavailable:
                say_unavailable(dispatcher)
                return
            logger.info("lost-code request handled: %s", outcome)
            outbox.wake()
        say(dispatcher, "lookup_codes_sent", centre=centre.name, phone=centre.phone)

    def _carry_out(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        today = schedule.today(catalogue)
        code, contact = tracker.get_slot("lookup_code"), tracker.get_slot("lookup_contact")
        link = tracker.get_slot(LINK_SLOT)
        booking = verified_booking(tracker)
        if booking is None:
            centre = catalogue.contact_centre
            key = "manage_link_invalid" if link else "lookup_not_found"
            say(dispatcher, key, centre=centre.name, phone=centre.phone)
            return []
        purpose = tracker.get_slot("lookup_purpose")
        confirmed = tracker.get_slot("booking_confirmed") is True
        composer = Composer(catalogue)
        if purpose == "cancel":
            if confirmed and booking_store().cancel(
                code, contact, link_hash=link, notify=composer.about("cancelled"), today=today
            ):
                outbox.wake()
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
                moved = booking_store().reschedule(
                    code, contact, day, start, counter.desks,
                    following=rules.following_starts(catalogue, start, booking.people - 1),
                    link_hash=link, notify=composer.about("moved"), today=today,
                    remind_at=composer.reminder_at(day),
                )
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
            if moved is None:
                say(dispatcher, "lookup_kept")
                return []
            outbox.wake()
            say(dispatcher, "lookup_moved", **describe(moved, today))
        else:
            say(dispatcher, "lookup_details", **describe(booking, today))
        return []
