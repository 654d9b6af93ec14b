"""Answers about the measures as a whole: what changed, appointments, contact, and routing."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import wording
from actions.texts import say
from actions.opening_days import ActionAnswerOpeningDays
from actions.products import ActionAnswerProductChannel
from actions.tracker_values import latest_entity_types
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


class ActionAnswerContact(Action):
    def name(self) -> Text:
        return "action_answer_contact"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, "contact", **_contact(load_catalogue()))
        return []


class ActionAnswerHumanHandoff(Action):
    """There is no live-agent system yet: the contact centre is the way to a person."""

    def name(self) -> Text:
        return "action_answer_human_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, "human_handoff", **_contact(load_catalogue()))
        return []


class ActionAnswerBookingRoute(Action):
    """How to book, move or cancel an appointment until the assistant books itself."""

    def name(self) -> Text:
        return "action_answer_booking_route"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        say(
            dispatcher,
            "booking_route",
            site=catalogue.booking.appointment_site,
            **_contact(catalogue),
        )
        return []


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
