"""Which days and times can be booked. Everything comes from the catalogue and the store.

Counters, days and hours are data (service_catalogue/services.yml); this module only combines
the catalogue's opening rules, its booking sessions and what is already booked.
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Protocol, Tuple
from zoneinfo import ZoneInfo

from service_catalogue import schedule
from service_catalogue.model import Catalogue, Counter

ONE_DAY = dt.timedelta(days=1)


class BookedCounts(Protocol):
    """What free_slots needs from a store (BookingStore, or a stand-in in tests)."""

    def booked_counts(self, counter: str, day: dt.date) -> Dict[dt.time, int]:
        ...


def slot_starts(catalogue: Catalogue) -> List[dt.time]:
    """Every start time that leaves a whole slot before its session ends."""
    length = dt.timedelta(minutes=catalogue.booking.slot_minutes)
    starts: List[dt.time] = []
    for session in catalogue.booking.sessions:
        moment = dt.datetime.combine(dt.date.min, session.start)
        end = dt.datetime.combine(dt.date.min, session.end)
        while moment + length <= end:
            starts.append(moment.time())
            moment += length
    return starts


def booking_window(catalogue: Catalogue, today: dt.date) -> Tuple[dt.date, dt.date]:
    """First and last day (inclusive) the city takes bookings for."""
    return today, today + dt.timedelta(days=catalogue.booking.horizon_days)


def is_bookable_day(catalogue: Catalogue, counter: Counter, day: dt.date) -> bool:
    """Only an open day: a redirect, a holiday or a day no rule covers cannot be booked."""
    return schedule.status_on(catalogue, counter, day).is_open


def local_time(catalogue: Catalogue, now: dt.datetime) -> dt.datetime:
    # A naive `now` is taken to be local time already.
    return now.astimezone(ZoneInfo(catalogue.timezone)) if now.tzinfo else now


def free_slots(
    catalogue: Catalogue, store: BookedCounts, counter_id: str, day: dt.date, now: dt.datetime
) -> List[dt.time]:
    """Slot starts of `day` with a desk left; today only those strictly after the current time.

    A day that cannot be booked (closed, past, beyond the window, unknown counter) has none, so
    a caller cannot offer a slot the rules refuse.
    """
    counter = catalogue.counter(counter_id)
    local = local_time(catalogue, now)
    first, last = booking_window(catalogue, local.date())
    if counter is None or not first <= day <= last or not is_bookable_day(catalogue, counter, day):
        return []
    booked = store.booked_counts(counter.id, day)
    return [
        start
        for start in slot_starts(catalogue)
        if booked.get(start, 0) < counter.desks and (day > first or start > local.time())
    ]
