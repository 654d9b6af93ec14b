"""Answers about the measures as a whole: what changed, appointments, contact, and routing."""
from __future__ import annotations

import abc
import datetime as dt

from typing import Any, Dict, List, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from language import wording
from actions.texts import say
from actions.opening_days import ActionAnswerOpeningDays
from actions.products import ActionAnswerProductChannel
from actions.tracker_values import latest_entity_types
from bookings.store import StoreUnavailable
from handover.queue import LIVE_CHANNELS, HandoverQueue
from service_catalogue import load_catalogue
from service_catalogue import schedule


def _contact(catalogue) -> Dict[str, str]:
    return {"centre": catalogue.contact_centre.name, "phone": catalogue.contact_centre.phone}


class ActionAnswerServiceChanges(Action):
    def name(self) -> Text:
        return "action_answer_service_changes"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        say(
            dispatcher,
            "service_changes",
            since=wording.long_date(catalogue.measures.valid_from, with_year=True),
            changes=wording.bullet_list(change.text for change in catalogue.changes),
        )
        return []


class ActionAnswerAppointmentRequired(Action):
    def name(self) -> Text:
        return "action_answer_appointment_required"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        measures = catalogue.measures
        if measures.appointment_only and measures.covers(schedule.today(catalogue)):
            say(
                dispatcher,
                "appointment_required",
                since=wording.long_date(measures.valid_from, with_year=True),
            )
        else:
            say(dispatcher, "appointment_not_required")
        say(dispatcher, "remote_possible", **_contact(catalogue))
        return []


class ContactCentreAnswer(Action, abc.ABC):
    """An answer whose facts are only the contact centre and the appointment site."""

    text_key: str

    @abc.abstractmethod
    def name(self) -> Text:
        ...

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        say(dispatcher, self.text_key, site=catalogue.booking.appointment_site, **_contact(catalogue))
        return []


class ActionAnswerContact(ContactCentreAnswer):
    text_key = "contact"

    def name(self) -> Text:
        return "action_answer_contact"


class ActionAnswerHumanHandoff(Action):
    """During staffed hours, on a channel a staff member can write to, the citizen joins the queue
    and the assistant pauses (handover/); otherwise the contact centre's number and hours."""

    def name(self) -> Text:
        return "action_answer_human_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        key, values = handoff_answer(catalogue, now)
        channel = tracker.get_latest_input_channel() or ""
        if key == "human_handoff_staffed" and channel in LIVE_CHANNELS:
            try:
                queue = HandoverQueue.shared()
                place = queue.position(queue.ask(tracker.sender_id, channel))
            except StoreUnavailable:
                place = 0  # no queue without its database: the number instead
            if place:
                say(dispatcher, "human_handoff_queued", place=place, **values)
                return [ConversationPaused()]
        say(dispatcher, key, **values)
        return []


def handoff_answer(catalogue, now) -> tuple:
    """The text key and its values for a citizen who asks for a person at `now`."""
    hours = catalogue.contact_centre.staffed_hours
    values = dict(_contact(catalogue), days=wording.weekdays(hours.days),
                  start=wording.clock(hours.start), end=wording.clock(hours.end))
    if schedule.is_staffed(catalogue, now):
        return "human_handoff_staffed", values
    following = schedule.next_staffed(catalogue, now)
    if following is None:
        return "human_handoff", _contact(catalogue)
    local_today = (now.astimezone(ZoneInfo(catalogue.timezone)) if now.tzinfo else now).date()
    day = "vandaag" if following.date() == local_today else (
        "morgen" if following.date() == local_today + dt.timedelta(days=1) else wording.long_date(following.date()))
    values["next"] = f"{day} om {wording.clock(following.time())}"
    return "human_handoff_unstaffed", values


class ActionAnswerInform(Action):
    """A bare counter or product ("berchem", "voor een paspoort") gets the answer it most likely asks."""

    def name(self) -> Text:
        return "action_answer_inform"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        given = latest_entity_types(tracker)
        if "product" in given:
            return ActionAnswerProductChannel().run(dispatcher, tracker, domain)
        if "counter" in given:
            return ActionAnswerOpeningDays().run(dispatcher, tracker, domain)
        say(dispatcher, "ask_rephrase")
        return []
