"""The booking form: which document, which counter, which day and hour, who, and a yes.

Extraction decides whether a message answers the form (see form_behaviour); validation applies
the rules of bookings.rules and either keeps the value or says why not and offers alternatives.
Dates and hours are kept as "2026-12-08" and "09:15" once valid.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bookings import rules
from language import wording
from language.dutch_dates import read_day
from language.dutch_times import read_time
from language.household import read_people
from actions.form_behaviour import (
    OUTCOME_SLOT,
    AskAction,
    PlainQuestion,
    StoppableForm,
    carries_a_change,
    booking_store,
    entity_value,
    is_question,
    may_change,
    message_text,
    requested,
    takes_free_text,
    tell,
    wants_to_stop,
)
from actions.products import remote_route
from actions.texts import render, say
from bookings.contact_details import mask
from bookings.store import StoreUnavailable
from service_catalogue import load_catalogue, schedule

Slots = Dict[Text, Any]


def _day(value: Optional[str]) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _time(value: Optional[str]) -> Optional[dt.time]:
    try:
        return dt.time.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def people_of(tracker: Tracker) -> int:
    """The validated number of people (a digit string, within the document's household limit
    in the catalogue), else 1."""
    value = str(tracker.get_slot("booking_people") or "")
    limit = rules.max_people(load_catalogue().product(tracker.get_slot("booking_product")))
    return int(value) if value.isascii() and value.isdigit() and 1 <= int(value) <= limit else 1


def _unavailable() -> Slots:
    return {OUTCOME_SLOT: "unavailable", "requested_slot": None}


class AppointmentTimeSlots:
    """Day, hour and the final yes/no: shared by booking and rescheduling."""

    def extract_booking_date(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        if wants_to_stop(tracker):
            return {}
        text = message_text(tracker)
        found = read_day(text, schedule.now(load_catalogue())).found
        if requested(tracker) == "booking_date":
            return {"booking_date": text} if found or not is_question(tracker) else {}
        if found and (requested(tracker) is None or may_change(tracker)):
            return {"booking_date": text}
        return {}

    def validate_booking_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        counter = catalogue.counter(tracker.get_slot("booking_counter"))
        try:
            verdict = rules.choose_day(
                catalogue, booking_store(), counter, read_day(str(value), now), now
            )
            if not verdict.accepted:
                tell(dispatcher, verdict)
                return {"booking_date": None}
            slots: Slots = {"booking_date": verdict.value}
            start = _time(tracker.get_slot("booking_time"))
            if start and counter:
                free = rules.slot_plan.free_slots(
                    catalogue, booking_store(), counter.id, _day(verdict.value), now
                )
                if start not in free:
                    slots["booking_time"] = None
            return slots
        except StoreUnavailable:
            return _unavailable()

    def extract_booking_time(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        if wants_to_stop(tracker):
            return {}
        text = message_text(tracker)
        reading = read_time(text)
        found = reading.at is not None or reading.part is not None
        if requested(tracker) == "booking_time":
            return {"booking_time": text} if found or not is_question(tracker) else {}
        if reading.at is not None and (requested(tracker) is None or may_change(tracker)):
            return {"booking_time": text}
        return {}

    def validate_booking_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        counter = catalogue.counter(tracker.get_slot("booking_counter"))
        day = _day(tracker.get_slot("booking_date"))
        try:
            verdict = rules.choose_time(
                catalogue, booking_store(), counter, day, read_time(str(value)), now
            )
        except StoreUnavailable:
            return _unavailable()
        if not verdict.accepted:
            tell(dispatcher, verdict)
            return {"booking_time": None}
        people = people_of(tracker)
        if people > 1 and counter is not None and day is not None:
            try:
                fitting = starts_for(catalogue, counter, day, people, now)
            except StoreUnavailable:
                return _unavailable()
            start = _time(verdict.value)
            if start not in fitting:
                say(dispatcher, "booking_time_too_small", time=verdict.value,
                    people=rules.people_label(catalogue.product(tracker.get_slot("booking_product")), people),
                    buttons=rules.time_buttons(fitting[: rules.MAX_TIME_BUTTONS]))
                return {"booking_time": None}
        return {"booking_time": verdict.value}

    def extract_booking_confirmed(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Yes or no to the summary; a "no" that carries a new value changes that value instead."""
        if requested(tracker) != "booking_confirmed":
            return {}
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        if intent == "affirm":
            return {"booking_confirmed": True}
        if intent == "deny" and not carries_a_change(tracker):
            return {"booking_confirmed": False}
        return {}


def starts_for(catalogue, counter, day: dt.date, people: int, now: dt.datetime) -> List[dt.time]:
    """Free starts where a household of `people` fits (in the slot and the ones right after)."""
    free = rules.slot_plan.free_slots(catalogue, booking_store(), counter.id, day, now)
    if people <= 1:
        return free
    booked = booking_store().booked_counts(counter.id, day)
    return [start for start in free if rules.fits(catalogue, booked, counter, start, people)]


class ValidateBookingForm(StoppableForm, AppointmentTimeSlots, FormValidationAction):
    def name(self) -> Text:
        return "validate_booking_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        """The visit question only for a product that needs no visit; nothing more once the
        citizen declined or the agenda cannot be reached."""
        if tracker.get_slot(OUTCOME_SLOT):
            return []
        if tracker.get_slot("booking_visit_wanted") is False:
            return ["booking_product", "booking_visit_wanted"]  # validated, then nothing more
        product = load_catalogue().product(tracker.get_slot("booking_product"))
        slots = list(domain_slots)
        if product is not None and product.visit.required:
            slots.remove("booking_visit_wanted")
        if product is not None and rules.max_people(product) == 1:  # one person per booking
            slots.remove("booking_people")
        return slots

    # product ------------------------------------------------------------------------------
    def extract_booking_product(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        if wants_to_stop(tracker) or is_question(tracker):
            return {}
        value = entity_value(tracker, "product")
        if value and (requested(tracker) in (None, "booking_product") or may_change(tracker)):
            return {"booking_product": value}
        if takes_free_text(tracker, "booking_product"):
            return {"booking_product": message_text(tracker)}
        return {}

    def validate_booking_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        verdict = rules.choose_product(load_catalogue(), str(value))
        if not verdict.accepted:
            tell(dispatcher, verdict)
            return {"booking_product": None}
        slots: Slots = {"booking_product": verdict.value, "booking_visit_wanted": None}
        if people_of(tracker) > rules.max_people(load_catalogue().product(verdict.value)):
            slots["booking_people"] = None  # asked again, or refused, for this product
        return slots

    def extract_booking_visit_wanted(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        if requested(tracker) != "booking_visit_wanted":
            return {}
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        answers = {"affirm": True, "book_appointment": True, "deny": False}
        return {"booking_visit_wanted": answers[intent]} if intent in answers else {}

    def validate_booking_visit_wanted(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if value is False:
            return {"booking_visit_wanted": False, OUTCOME_SLOT: "declined"}
        return {"booking_visit_wanted": bool(value)}

    # people -------------------------------------------------------------------------------
    def extract_booking_people(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """An answer to "for how many?", or a count said earlier ("voor mijn twee kinderen")."""
        if wants_to_stop(tracker):
            return {}
        text = message_text(tracker)
        reading = read_people(text)
        if requested(tracker) == "booking_people":
            # A count is the answer, whatever intent the model gives "3" or "2 personen".
            return {"booking_people": text} if reading.count is not None or not is_question(tracker) else {}
        if reading.count is not None and (requested(tracker) is None or may_change(tracker)):
            return {"booking_people": text}
        return {}

    def validate_booking_people(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        catalogue = load_catalogue()
        product = catalogue.product(tracker.get_slot("booking_product"))
        text = str(value)
        reading = read_people(text) if not (text.isascii() and text.isdigit()) else rules.People(int(text), None)
        if rules.max_people(product) == 1:
            if reading.count is not None and reading.count > 1 and product is not None:
                say(dispatcher, "booking_people_one_only", product=product.name)
            return {"booking_people": None}
        verdict = rules.choose_people(catalogue, product, reading)
        if not verdict.accepted:
            tell(dispatcher, verdict)
            return {"booking_people": None}
        return {"booking_people": verdict.value}

    # counter ------------------------------------------------------------------------------
    def extract_booking_counter(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        if wants_to_stop(tracker) or is_question(tracker):
            return {}
        value = entity_value(tracker, "counter")
        if value and (requested(tracker) in (None, "booking_counter") or may_change(tracker)):
            return {"booking_counter": value}
        if takes_free_text(tracker, "booking_counter"):
            return {"booking_counter": message_text(tracker)}
        return {}

    def validate_booking_counter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        verdict = rules.choose_counter(catalogue, str(value), now.date())
        if not verdict.accepted:
            tell(dispatcher, verdict)
            return {"booking_counter": None}
        slots: Slots = {"booking_counter": verdict.value}
        day = _day(tracker.get_slot("booking_date"))
        start = _time(tracker.get_slot("booking_time"))
        if day is None:
            return slots
        try:
            free = rules.slot_plan.free_slots(catalogue, booking_store(), verdict.value, day, now)
        except StoreUnavailable:
            return _unavailable()
        if not free:  # the day chosen earlier does not suit this counter: ask again
            slots.update(booking_date=None, booking_time=None)
        elif start and start not in free:
            slots["booking_time"] = None
        return slots

    # who ----------------------------------------------------------------------------------
    def extract_booking_name(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """Free text that names no other topic, or, whatever intent the model gives it, what is
        written as a full name ("Test Persoon" is not a wish to speak to a person)."""
        text = message_text(tracker)
        if takes_free_text(tracker, "booking_name"):
            return {"booking_name": text}
        if requested(tracker) == "booking_name" and not wants_to_stop(tracker) and rules.looks_like_full_name(text):
            return {"booking_name": text}
        return {}

    def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        verdict = rules.choose_name(str(value))
        if not verdict.accepted:
            tell(dispatcher, verdict)
        return {"booking_name": verdict.value}

    def extract_booking_contact(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        if requested(tracker) != "booking_contact" or wants_to_stop(tracker):
            return {}
        text = message_text(tracker)
        if rules.choose_contact(text).accepted or not is_question(tracker):
            return {"booking_contact": text}
        return {}

    def validate_booking_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        verdict = rules.choose_contact(str(value))
        if not verdict.accepted:
            tell(dispatcher, verdict)
        return {"booking_contact": verdict.value}


# --- questions -----------------------------------------------------------------------------


class AskBookingProduct(AskAction):
    slot = "booking_product"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        say(dispatcher, "booking_ask_product", buttons=rules.product_buttons(load_catalogue()))


class AskBookingVisitWanted(AskAction):
    """A product that needs no visit: tell the remote route first, then ask."""

    slot = "booking_visit_wanted"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        catalogue = load_catalogue()
        product = catalogue.product(tracker.get_slot("booking_product"))
        route = remote_route(catalogue, product) if product else None
        if route:
            dispatcher.utter_message(text=route)
        say(dispatcher, "booking_ask_visit_wanted", buttons=yes_no_buttons())


class AskBookingPeople(AskAction):
    """Asked only for a product a household can share a booking for; children for a Kids-ID."""

    slot = "booking_people"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        product = load_catalogue().product(tracker.get_slot("booking_product"))
        limit = rules.max_people(product)
        children = bool(product and product.household and product.household.children_only)
        key = "booking_ask_people_children" if children else "booking_ask_people"
        say(dispatcher, key, max=limit, buttons=rules.people_buttons(limit, product))


class AskBookingCounter(AskAction):
    slot = "booking_counter"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        catalogue = load_catalogue()
        counters = rules.bookable_counters(catalogue, schedule.today(catalogue))
        say(dispatcher, "booking_ask_counter", buttons=rules.counter_buttons(counters))


class AskBookingDate(AskAction):
    slot = "booking_date"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        counter = catalogue.counter(tracker.get_slot("booking_counter"))
        if counter is None:
            return
        try:
            days = rules.days_with_room(
                catalogue, booking_store(), counter, now.date(), now, rules.MAX_DAY_BUTTONS
            )
        except StoreUnavailable:
            say_unavailable(dispatcher)
            return
        if not days:
            centre = catalogue.contact_centre
            say(
                dispatcher,
                "booking_no_days",
                counter_name=counter.name,
                horizon=catalogue.booking.horizon_days,
                centre=centre.name,
                phone=centre.phone,
            )
            return
        say(
            dispatcher,
            "booking_ask_date",
            counter_name=counter.name,
            buttons=rules.day_buttons(days, now.date()),
        )


class AskBookingTime(AskAction):
    slot = "booking_time"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        counter = catalogue.counter(tracker.get_slot("booking_counter"))
        day = _day(tracker.get_slot("booking_date"))
        if counter is None or day is None:
            return
        try:
            free = starts_for(catalogue, counter, day, people_of(tracker), now)
        except StoreUnavailable:
            say_unavailable(dispatcher)
            return
        say(
            dispatcher,
            "booking_ask_time",
            day=rules.day_label(day, now.date()),
            buttons=rules.time_buttons(free[: rules.MAX_TIME_BUTTONS]),
        )


class AskBookingName(PlainQuestion):
    slot = "booking_name"
    text_key = "booking_ask_name"


class AskBookingContact(PlainQuestion):
    slot = "booking_contact"
    text_key = "booking_ask_contact"


class AskBookingConfirmed(AskAction):
    """The summary the citizen says yes to. The contact is shown masked."""

    slot = "booking_confirmed"

    def name(self) -> Text:
        return "action_ask_booking_form_booking_confirmed"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        catalogue = load_catalogue()
        today = schedule.today(catalogue)
        product = catalogue.product(tracker.get_slot("booking_product"))
        counter = catalogue.counter(tracker.get_slot("booking_counter"))
        day = _day(tracker.get_slot("booking_date"))
        if not (product and counter and day):
            return
        bring = (
            render("booking_summary_bring", items=wording.join(product.bring.items))
            if product.bring
            else ""
        )
        say(
            dispatcher,
            "booking_summary",
            people=rules.people_label(product, people_of(tracker)),
            product=product.name,
            counter_name=counter.name,
            day=rules.day_label(day, today),
            time=tracker.get_slot("booking_time"),
            name=tracker.get_slot("booking_name"),
            contact=mask(tracker.get_slot("booking_contact") or ""),
            bring=bring,
            buttons=yes_no_buttons(),
        )


def yes_no_buttons() -> List[Dict[str, str]]:
    return [
        rules.intent_button(render("button_yes"), "affirm"),
        rules.intent_button(render("button_no"), "deny"),
    ]


def say_unavailable(dispatcher: CollectingDispatcher) -> None:
    centre = load_catalogue().contact_centre
    say(dispatcher, "store_unavailable", centre=centre.name, phone=centre.phone)
