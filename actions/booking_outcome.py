"""What happens when the booking form ends: store the booking, or say why nothing was booked.

Whatever the outcome, the form's slots are cleared: names and contact details live only in the
booking store, never in the conversation afterwards.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bookings import rules
from actions.booking_form import say_unavailable
from actions.form_behaviour import OUTCOME_SLOT, booking_store, forget_everything, tell
from actions.texts import render, say
from bookings.store import SlotFull, StoreUnavailable, idempotency_key
from notifications import outbox
from notifications.messages import Composer
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
        """Stores the booking; on a slot taken in the meantime, asks for another hour.

        Every rule is checked again first: the slots may come from anywhere (a forged call to
        the action server sets them all by hand), so what the form validated is not trusted."""
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        checked = rules.check_booking(catalogue, tracker.current_slot_values(), now)
        if not checked.accepted:
            logger.warning("booking refused at the last check: %s", checked.values.get("reason_key"))
            tell(dispatcher, checked)
            return []
        wanted: rules.Appointment = checked.value
        product, counter = catalogue.products[wanted.product], catalogue.counters[wanted.counter]
        composer = Composer(catalogue)
        try:
            booking = booking_store().book(
                product=product.id,
                counter=counter.id,
                day=wanted.day,
                start=wanted.start,
                name=wanted.name,
                contact=wanted.contact,
                capacity=counter.desks,
                idempotency_key=idempotency_key(
                    tracker.sender_id, product.id, counter.id, wanted.day, wanted.start
                ),
                people=wanted.people,
                following=rules.following_starts(catalogue, wanted.start, wanted.people - 1),
                notify=composer.about("confirmation"),
                remind_at=composer.reminder_at(wanted.day),
            )
        except SlotFull:
            say(
                dispatcher,
                "slot_just_taken",
                time=rules.time_label(wanted.start),
                day=rules.day_label(wanted.day, now.date()),
            )
            return [
                SlotSet("booking_time", None),
                SlotSet("booking_confirmed", None),
                FollowupAction("booking_form"),
            ]
        except StoreUnavailable:
            say_unavailable(dispatcher)
            return []
        logger.info("booking stored at counter %s", counter.id)
        outbox.wake()  # the confirmation goes out now, not at the worker's next round
        until = ""
        if len(booking.places) > 1:
            end = composer.ends_at(booking).time()
            until = render("booking_until", until=rules.time_label(end))
        say(
            dispatcher,
            "booking_made",
            people=rules.people_label(product, booking.people),
            until=until,
            product=product.name,
            counter_name=counter.name,
            day=rules.day_label(wanted.day, now.date()),
            time=rules.time_label(wanted.start),
            code=booking.code,
            contact_kind=render(rules.contact_kind(wanted.contact)),
        )
        return []
