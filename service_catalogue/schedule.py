"""When a counter is open, computed from the catalogue's opening rules and today's clock.

Nothing here knows a counter or a weekday by name: the rules, the holidays and the time zone all
come from the catalogue, so the city changes them as data.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Iterator, List, Optional
from zoneinfo import ZoneInfo

from dateutil.easter import easter

from service_catalogue.model import WEEKDAYS, Catalogue, Counter, OpeningRule, Redirect


class Status(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"  # the rule in force does not open this day
    HOLIDAY = "holiday"
    REDIRECTED = "redirected"  # a temporary redirect sends people elsewhere
    UNKNOWN = "unknown"  # no rule covers the day (before the measures, after the last rule)


@dataclass(frozen=True)
class DayStatus:
    day: dt.date
    status: Status
    redirect: Optional[Redirect] = None

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN


def now(catalogue: Catalogue) -> dt.datetime:
    """The current time where the counters are."""
    return dt.datetime.now(ZoneInfo(catalogue.timezone))


def today(catalogue: Catalogue) -> dt.date:
    return now(catalogue).date()


def weekday_name(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]


def is_holiday(catalogue: Catalogue, day: dt.date) -> bool:
    if day.strftime("%m-%d") in catalogue.holidays.fixed:
        return True
    sunday = easter(day.year)
    return (day - sunday).days in catalogue.holidays.easter_offsets


def rule_on(counter: Counter, day: dt.date) -> Optional[OpeningRule]:
    """The first opening rule of the counter that covers `day`."""
    return next((rule for rule in counter.opening if rule.covers(day)), None)


def rule_opens(rule: OpeningRule, day: dt.date) -> bool:
    if rule.dates is not None:
        return day in rule.dates
    if rule.weekdays is not None:
        return weekday_name(day) in rule.weekdays
    weeks = rule.alternating_iso_weeks
    days = weeks.even if day.isocalendar()[1] % 2 == 0 else weeks.odd
    return weekday_name(day) in days


def status_on(catalogue: Catalogue, counter: Counter, day: dt.date) -> DayStatus:
    redirect = counter.redirect_on(day)
    if redirect:
        return DayStatus(day, Status.REDIRECTED, redirect)
    rule = rule_on(counter, day)
    if rule is None:
        return DayStatus(day, Status.UNKNOWN)
    if not rule_opens(rule, day):
        return DayStatus(day, Status.CLOSED)
    if is_holiday(catalogue, day):
        return DayStatus(day, Status.HOLIDAY)
    return DayStatus(day, Status.OPEN)


def open_days(
    catalogue: Catalogue, counter: Counter, start: dt.date, until: dt.date
) -> Iterator[dt.date]:
    """The days from `start` to `until` (inclusive) on which the counter is open."""
    day = start
    while day <= until:
        if status_on(catalogue, counter, day).is_open:
            yield day
        day += dt.timedelta(days=1)


def next_open_days(
    catalogue: Catalogue, counter: Counter, start: dt.date, count: int = 3, within_days: int = 366
) -> List[dt.date]:
    found = []
    for day in open_days(catalogue, counter, start, start + dt.timedelta(days=within_days)):
        found.append(day)
        if len(found) == count:
            break
    return found


def open_counters(catalogue: Catalogue, day: dt.date) -> List[Counter]:
    """Counters open on `day`, in catalogue order."""
    return [c for c in catalogue.counters.values() if status_on(catalogue, c, day).is_open]


def _staffed_day(catalogue: Catalogue, day: dt.date) -> bool:
    hours = catalogue.contact_centre.staffed_hours
    return weekday_name(day) in hours.days and not is_holiday(catalogue, day)


def is_staffed(catalogue: Catalogue, moment: dt.datetime) -> bool:
    """Whether a person can take over a chat at `moment` (naive means local time already)."""
    local = moment.astimezone(ZoneInfo(catalogue.timezone)) if moment.tzinfo else moment
    hours = catalogue.contact_centre.staffed_hours
    return _staffed_day(catalogue, local.date()) and hours.start <= local.time() < hours.end


def next_staffed(catalogue: Catalogue, moment: dt.datetime) -> Optional[dt.datetime]:
    """When staff are next there after `moment` (local, naive); None if no day in a month is staffed."""
    local = moment.astimezone(ZoneInfo(catalogue.timezone)).replace(tzinfo=None) if moment.tzinfo else moment
    hours = catalogue.contact_centre.staffed_hours
    for offset in range(32):
        day = local.date() + dt.timedelta(days=offset)
        start = dt.datetime.combine(day, hours.start)
        if _staffed_day(catalogue, day) and (offset > 0 or local < start):
            return start
    return None
