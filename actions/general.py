"""Answers about the measures as a whole: what changed, appointments, contact, and routing."""
from __future__ import annotations

import abc

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from language import wording
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


class ActionAnswerHumanHandoff(ContactCentreAnswer):
    """There is no live-agent system yet: the contact centre is the way to a person."""

    text_key = "human_handoff"

    def name(self) -> Text:
        return "action_answer_human_handoff"


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
