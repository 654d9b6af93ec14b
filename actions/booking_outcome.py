"""What happens when the booking form ends: store the booking, or say why nothing was booked.

Whatever the outcome, the form's slots are cleared: names and contact details live only in the
booking store, never in the conversation afterwards.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import booking_rules as rules
from actions.booking_form import say_unavailable
from actions.form_behaviour import OUTCOME_SLOT, booking_store, forget_everything
from actions.texts import render, say
from bookings.store import SlotFull, StoreUnavailable, idempotency_key
from service_catalogue import load_catalogue, schedule

logger = logging.getLogger(__name__)


class ActionFinishBooking(Action):
    def name(self) -> Text:
        return "action_finish_booking"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        outcome = tracker.get_slot(OUTCOME_SLOT)
        if outcome == "stopped":
            say(dispatcher, "form_stopped")
        elif outcome == "unavailable":
            say_unavailable(dispatcher)
        elif outcome == "declined":
            say(dispatcher, "booking_not_needed")
        elif tracker.get_slot("booking_confirmed") is True:
            retry = self._book(dispatcher, tracker)
            if retry:
                return retry
        else:
            say(dispatcher, "booking_not_made")
        return forget_everything()

    def _book(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        """Stores the booking; on a slot taken in the meantime, asks for another hour."""
        catalogue = load_catalogue()
        product = catalogue.product(tracker.get_slot("booking_product"))
        counter = catalogue.counter(tracker.get_slot("booking_counter"))
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        start = dt.time.fromisoformat(tracker.get_slot("booking_time"))
        contact = tracker.get_slot("booking_contact")
        try:
            booking = booking_store().book(
                product=product.id,
                counter=counter.id,
                day=day,
                start=start,
                name=tracker.get_slot("booking_name"),
                contact=contact,
                capacity=counter.desks,
                idempotency_key=idempotency_key(tracker.sender_id, product.id, counter.id, day, start),
            )
        except SlotFull:
            today = schedule.today(catalogue)
            say(dispatcher, "slot_just_taken", time=rules.time_label(start), day=rules.day_label(day, today))
            return [
                SlotSet("booking_time", None),
                SlotSet("booking_confirmed", None),
                FollowupAction("booking_form"),
            ]
        except StoreUnavailable:
            say_unavailable(dispatcher)
            return []
        logger.info("booking stored at counter %s", counter.id)
        say(
            dispatcher,
            "booking_made",
            product=product.name,
            counter_name=counter.name,
            day=rules.day_label(day, schedule.today(catalogue)),
            time=rules.time_label(start),
            code=booking.code,
            contact_kind=render(rules.contact_kind(contact)),
        )
        return []
