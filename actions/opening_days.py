"""Answers about when counters are open and where to go, computed from the catalogue's rules."""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from language import wording
from actions.texts import appointment_note, say
from language.dutch_dates import read_day
from actions.tracker_values import counter_in, latest_text
from service_catalogue import Catalogue, Counter, load_catalogue
from service_catalogue import schedule
from service_catalogue.schedule import Status

NEXT_DAYS = 3


def say_unknown_counter(dispatcher: CollectingDispatcher, catalogue: Catalogue, value: str) -> None:
    say(
        dispatcher,
        "unknown_counter",
        value=value,
        counters=wording.join(c.name for c in catalogue.counters.values()),
    )


def say_redirect(
    dispatcher: CollectingDispatcher, catalogue: Catalogue, counter: Counter, day: dt.date
) -> None:
    redirect = counter.redirect_on(day)
    say(
        dispatcher,
        "counter_redirected",
        counter_name=counter.name,
        targets=wording.join_or(catalogue.counters[t].name for t in redirect.to),
        why=redirect.why,
    )


def say_any_counter(dispatcher: CollectingDispatcher, catalogue: Catalogue, today: dt.date) -> None:
    if catalogue.booking.any_counter:
        bookable = [c.name for c in catalogue.counters.values() if not c.redirect_on(today)]
        say(dispatcher, "any_counter", counters=wording.join(bookable))


def describe_counter(
    dispatcher: CollectingDispatcher, catalogue: Catalogue, counter: Counter, today: dt.date
) -> None:
    """How the counter opens under the rule in force today."""
    if counter.redirect_on(today):
        say_redirect(dispatcher, catalogue, counter, today)
        return
    rule = schedule.rule_on(counter, today)
    next_days = wording.dates(schedule.next_open_days(catalogue, counter, today, NEXT_DAYS), today)
    if rule is None:
        say(
            dispatcher,
            "opening_unknown",
            counter_name=counter.name,
            centre=catalogue.contact_centre.name,
            phone=catalogue.contact_centre.phone,
        )
    elif rule.weekdays:
        say(
            dispatcher,
            "opening_weekly",
            counter_name=counter.name,
            days=wording.weekdays(rule.weekdays),
            note=appointment_note(catalogue, today),
        )
    elif rule.alternating_iso_weeks:
        weeks = rule.alternating_iso_weeks
        days = [d for d in wording.WEEKDAY_NAMES if d in weeks.even or d in weeks.odd]
        say(
            dispatcher,
            "opening_alternating",
            counter_name=counter.name,
            frequency=wording.per_week(counter.days_per_week or 1),
            alternation=wording.join_or(days),
            next_days=next_days,
            note=appointment_note(catalogue, today),
        )
    else:
        say(
            dispatcher,
            "opening_dates",
            counter_name=counter.name,
            next_days=next_days,
            note=appointment_note(catalogue, today),
        )


def answer_for_day(
    dispatcher: CollectingDispatcher,
    catalogue: Catalogue,
    counter: Counter,
    day: dt.date,
    today: dt.date,
) -> None:
    day_text = wording.long_date(day, with_year=day.year != today.year)
    if day < today:
        say(dispatcher, "day_in_past", day=day_text)
        return
    status = schedule.status_on(catalogue, counter, day)
    if status.status is Status.REDIRECTED:
        say_redirect(dispatcher, catalogue, counter, day)
        return
    if status.status is Status.UNKNOWN:
        describe_counter(dispatcher, catalogue, counter, today)
        return
    if status.is_open:
        say(
            dispatcher,
            "open_on_day",
            counter_name=counter.name,
            day=day_text,
            note=appointment_note(catalogue, day),
        )
        return
    next_days = wording.dates(schedule.next_open_days(catalogue, counter, day, NEXT_DAYS), today)
    key = "holiday_on_day" if status.status is Status.HOLIDAY else "closed_on_day"
    say(dispatcher, key, counter_name=counter.name, day=day_text, next_days=next_days)
    others = schedule.open_counters(catalogue, day)
    if others:
        say(
            dispatcher,
            "others_open_on_day",
            day=day_text,
            counters=wording.join(c.name for c in others),
            note=appointment_note(catalogue, day),
        )


def overview(dispatcher: CollectingDispatcher, catalogue: Catalogue, today: dt.date) -> None:
    """All counters, those with the same weekdays in one line."""
    if catalogue.measures.appointment_only and catalogue.measures.covers(today):
        say(dispatcher, "appointment_only_short")
    groups: Dict[tuple, List[Counter]] = {}
    special: List[Counter] = []
    for counter in catalogue.counters.values():
        rule = schedule.rule_on(counter, today)
        if rule is not None and rule.weekdays and not counter.redirect_on(today):
            groups.setdefault(tuple(rule.weekdays), []).append(counter)
        else:
            special.append(counter)
    for days, counters in groups.items():
        say(
            dispatcher,
            "opening_group",
            counters=wording.join(c.name for c in counters),
            days=wording.weekdays(list(days)),
        )
    for counter in special:
        describe_counter(dispatcher, catalogue, counter, today)


class ActionAnswerOpeningDays(Action):
    def name(self) -> Text:
        return "action_answer_opening_days"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        now = schedule.now(catalogue)
        today = now.date()
        counter, unknown = counter_in(tracker, catalogue)
        if unknown:
            say_unknown_counter(dispatcher, catalogue, unknown)
            return []
        reading = read_day(latest_text(tracker), now)
        if reading.impossible:
            say(dispatcher, "impossible_date", date=reading.impossible)
        elif counter and reading.day:
            answer_for_day(dispatcher, catalogue, counter, reading.day, today)
        elif counter:
            describe_counter(dispatcher, catalogue, counter, today)
        elif reading.day and reading.day >= today:
            day_text = wording.long_date(reading.day, with_year=reading.day.year != today.year)
            open_now = schedule.open_counters(catalogue, reading.day)
            if open_now:
                say(
                    dispatcher,
                    "others_open_on_day",
                    day=day_text,
                    counters=wording.join(c.name for c in open_now),
                    note=appointment_note(catalogue, reading.day),
                )
            else:
                say(dispatcher, "no_counter_open_on_day", day=day_text)
        else:
            overview(dispatcher, catalogue, today)
        return []


class ActionAnswerWhichCounter(Action):
    def name(self) -> Text:
        return "action_answer_which_counter"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        today = schedule.today(catalogue)
        counter, unknown = counter_in(tracker, catalogue)
        if unknown:
            say_unknown_counter(dispatcher, catalogue, unknown)
            return []
        if counter is not None:
            describe_counter(dispatcher, catalogue, counter, today)
        else:
            for redirected in catalogue.counters.values():
                if redirected.redirect_on(today):
                    say_redirect(dispatcher, catalogue, redirected, today)
        say_any_counter(dispatcher, catalogue, today)
        return []
