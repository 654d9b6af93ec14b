"""A booking opened from the manage link in its confirmation: shown, then moved or cancelled
without code or contact (the link's token is the proof), and reminders stopped.

The chat page sends `/open_manage_link{"manage_token": …}`; the message guard replaces the token
by its hash before Rasa sees it (serving.message_guard), so the slot `manage_link` holds the
hash the store looks up, never the token.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_form import say_unavailable
from actions.existing_appointments import LINK_SLOT, describe
from actions.form_behaviour import booking_store
from actions.texts import render, say
from bookings import rules
from bookings.store import StoreUnavailable
from service_catalogue import load_catalogue, schedule


def manage_buttons(reminders: bool) -> List[Dict[str, str]]:
    buttons = [
        rules.intent_button(render("button_move"), "reschedule_appointment"),
        rules.intent_button(render("button_cancel"), "cancel_appointment"),
    ]
    if reminders and load_catalogue().booking.reminder is not None:
        buttons.append(rules.intent_button(render("button_stop_reminders"), "stop_reminders"))
    return buttons


class ActionOpenManageLink(Action):
    def name(self) -> Text:
        return "action_open_manage_link"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        centre = catalogue.contact_centre
        today = schedule.today(catalogue)
        link = tracker.get_slot(LINK_SLOT)
        try:
            booking = booking_store().find_by_link(link, today) if link else None
        except StoreUnavailable:
            say_unavailable(dispatcher)
            return []
        if booking is None:
            say(dispatcher, "manage_link_invalid", centre=centre.name, phone=centre.phone)
            return [SlotSet(LINK_SLOT, None)]
        if booking.status != "booked":
            say(dispatcher, "manage_link_cancelled", **describe(booking, today))
            return [SlotSet(LINK_SLOT, None)]
        say(dispatcher, "manage_link_shown", buttons=manage_buttons(booking.reminders), **describe(booking, today))
        return []


class ActionStopReminders(Action):
    def name(self) -> Text:
        return "action_stop_reminders"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        centre = catalogue.contact_centre
        link = tracker.get_slot(LINK_SLOT)
        if not link:  # typed ("geen herinneringen meer"): only the link proves whose booking it is
            say(dispatcher, "reminders_need_link")
            return []
        try:
            stopped = booking_store().stop_reminders(link, schedule.today(catalogue))
        except StoreUnavailable:
            say_unavailable(dispatcher)
            return []
        if stopped is None:
            say(dispatcher, "manage_link_invalid", centre=centre.name, phone=centre.phone)
            return []
        say(dispatcher, "reminders_stopped")
        return []
