"""Which days and times can be booked, all from the catalogue (clock: Thu 26/11/2026 10:00)."""
from __future__ import annotations

import datetime as dt
from typing import Dict, Optional

from bookings import rules, slot_plan
from service_catalogue import schedule

T = dt.time
THURSDAY = dt.date(2026, 11, 26)
ONE_DAY = dt.timedelta(days=1)


class FakeStore:
    """Stands in for BookingStore.booked_counts."""

    def __init__(self, counts: Optional[Dict[dt.time, int]] = None):
        self.counts = counts or {}
        self.asked = []

    def booked_counts(self, counter: str, day: dt.date) -> Dict[dt.time, int]:
        self.asked.append((counter, day))
        return dict(self.counts)


def days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


def test_slot_starts_follow_the_sessions(catalogue):
    starts = slot_plan.slot_starts(catalogue)
    assert starts[0] == T(9, 0) and starts[1] == T(9, 15)
    assert T(11, 45) in starts and T(12, 0) not in starts and T(12, 45) not in starts
    assert T(13, 0) in starts and starts[-1] == T(15, 45)
    assert len(starts) == 24


def test_slot_starts_change_with_the_catalogue(catalogue):
    booking = catalogue.booking.copy(
        update={"slot_minutes": 50, "sessions": [catalogue.booking.sessions[0]]}
    )
    changed = catalogue.copy(update={"booking": booking})
    # 09:00-12:00 in 50 minutes: a slot at 11:30 would end after the session.
    assert slot_plan.slot_starts(changed) == [T(9, 0), T(9, 50), T(10, 40)]


def test_window_ends_at_the_horizon(catalogue, clock):
    first, last = slot_plan.booking_window(catalogue, THURSDAY)
    assert first == THURSDAY
    assert last == THURSDAY + dt.timedelta(days=catalogue.booking.horizon_days)
    bookable = rules.bookable_days(catalogue, catalogue.counter("berchem"), THURSDAY, 1000)
    assert bookable[0] == THURSDAY and bookable[-1] <= last
    assert bookable[-1] > last - dt.timedelta(days=4)  # it runs up to the end, not short of it
    now = schedule.now(catalogue)
    assert slot_plan.free_slots(catalogue, FakeStore(), "berchem", last + ONE_DAY, now) == []


def test_bookable_days_start_no_earlier_than_today(catalogue, clock):
    berchem = catalogue.counter("berchem")
    found = rules.bookable_days(catalogue, berchem, THURSDAY - 10 * ONE_DAY, 3)
    assert found == [THURSDAY, dt.date(2026, 11, 27), dt.date(2026, 11, 30)]


def test_weekends_are_not_bookable(catalogue):
    for counter in catalogue.counters.values():
        for day in (dt.date(2026, 11, 28), dt.date(2026, 11, 29)):
            assert not slot_plan.is_bookable_day(catalogue, counter, day), (counter.id, day)
    assert slot_plan.is_bookable_day(catalogue, catalogue.counter("berchem"), dt.date(2026, 11, 30))


def test_berendrecht_alternates_tuesday_and_wednesday_by_iso_week(catalogue, clock):
    berendrecht = catalogue.counter("berendrecht")
    rule = schedule.rule_on(berendrecht, THURSDAY).alternating_iso_weeks
    monday = dt.date(2026, 11, 30)
    for week in range(8):
        tuesday, wednesday = monday + (7 * week + 1) * ONE_DAY, monday + (7 * week + 2) * ONE_DAY
        if schedule.is_holiday(catalogue, tuesday) or schedule.is_holiday(catalogue, wednesday):
            continue
        open_days = [
            name
            for day, name in ((tuesday, "dinsdag"), (wednesday, "woensdag"))
            if slot_plan.is_bookable_day(catalogue, berendrecht, day)
        ]
        even = tuesday.isocalendar()[1] % 2 == 0
        assert open_days == (rule.even if even else rule.odd), tuesday
    # ISO week 49 is odd (Wednesday 2 December), week 50 even (Tuesday 8 December).
    assert rules.bookable_days(catalogue, berendrecht, THURSDAY, 3) == [
        dt.date(2026, 12, 2),
        dt.date(2026, 12, 8),
        dt.date(2026, 12, 16),
    ]


def test_linkeroever_is_never_bookable(catalogue, clock):
    linkeroever = catalogue.counter("linkeroever")
    first, last = slot_plan.booking_window(catalogue, THURSDAY)
    assert not any(slot_plan.is_bookable_day(catalogue, linkeroever, d) for d in days(first, last))
    assert rules.bookable_days(catalogue, linkeroever, THURSDAY, 3) == []
    monday, now = dt.date(2026, 11, 30), schedule.now(catalogue)
    assert slot_plan.free_slots(catalogue, FakeStore(), "linkeroever", monday, now) == []


def test_a_holiday_is_not_bookable(catalogue, clock):
    christmas = dt.date(2026, 12, 25)  # a Friday
    for counter in catalogue.counters.values():
        assert not slot_plan.is_bookable_day(catalogue, counter, christmas)
    berchem = catalogue.counter("berchem")
    around = rules.bookable_days(catalogue, berchem, christmas - 3 * ONE_DAY, 5)
    assert christmas not in around and len(around) == 5


def test_past_times_today_are_excluded(catalogue, clock):
    now = schedule.now(catalogue)
    today = slot_plan.free_slots(catalogue, FakeStore(), "berchem", THURSDAY, now)
    assert today[0] == T(10, 15)
    assert T(10, 0) not in today and T(9, 45) not in today
    tomorrow = slot_plan.free_slots(catalogue, FakeStore(), "berchem", THURSDAY + ONE_DAY, now)
    assert tomorrow[0] == T(9, 0)
    late = clock(dt.datetime(2026, 11, 26, 15, 50))
    assert slot_plan.free_slots(catalogue, FakeStore(), "berchem", THURSDAY, late) == []


def test_now_in_another_time_zone_is_read_as_local_time(catalogue, clock):
    utc = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)  # 10:00 in Brussels
    assert slot_plan.free_slots(catalogue, FakeStore(), "berchem", THURSDAY, utc)[0] == T(10, 15)


def test_full_slots_are_excluded(catalogue, clock):
    desks = catalogue.counter("berchem").desks
    store = FakeStore({T(9, 0): desks, T(9, 15): desks - 1})
    friday = dt.date(2026, 11, 27)
    free = slot_plan.free_slots(catalogue, store, "berchem", friday, schedule.now(catalogue))
    assert T(9, 0) not in free
    assert T(9, 15) in free
    assert len(free) == len(slot_plan.slot_starts(catalogue)) - 1
    assert store.asked == [("berchem", friday)]


def test_capacity_is_the_counters_desks(catalogue, clock):
    now, wednesday = schedule.now(catalogue), dt.date(2026, 12, 2)
    assert catalogue.counter("berendrecht").desks < catalogue.counter("antwerpen-centrum").desks
    store = FakeStore({T(9, 0): catalogue.counter("berendrecht").desks})
    assert T(9, 0) not in slot_plan.free_slots(catalogue, store, "berendrecht", wednesday, now)
    assert T(9, 0) in slot_plan.free_slots(catalogue, store, "antwerpen-centrum", wednesday, now)


def test_unknown_counter_has_no_slots(catalogue, clock):
    friday, now = dt.date(2026, 11, 27), schedule.now(catalogue)
    assert slot_plan.free_slots(catalogue, FakeStore(), "nergens", friday, now) == []


def _open_days(catalogue, counter, first, last):
    return [d for d in days(first, last) if slot_plan.is_bookable_day(catalogue, counter, d)]


def _nearest(catalogue, counter, around):
    return rules.nearest_days_with_room(catalogue, FakeStore(), counter, around, schedule.now(catalogue))


def test_nearest_days_are_the_closest_open_days_later_first_on_a_tie(catalogue, clock):
    berchem = catalogue.counter("berchem")
    christmas = dt.date(2026, 12, 25)  # Friday; Thursday 24 and Monday 28 are both open
    proposals = _nearest(catalogue, berchem, christmas)
    assert christmas not in proposals and proposals == sorted(proposals)
    assert proposals == [dt.date(2026, 12, 23), dt.date(2026, 12, 24), dt.date(2026, 12, 28)]
    wednesday = dt.date(2026, 12, 2)  # open: its neighbours Tuesday and Thursday tie, later first
    assert _nearest(catalogue, berchem, wednesday) == [
        dt.date(2026, 12, 1), dt.date(2026, 12, 3), dt.date(2026, 12, 4)
    ]
    berendrecht = catalogue.counter("berendrecht")
    tuesday = dt.date(2026, 12, 1)  # odd week: Berendrecht opens on Wednesday
    proposals = _nearest(catalogue, berendrecht, tuesday)
    assert proposals[0] == dt.date(2026, 12, 2)
    assert all(slot_plan.is_bookable_day(catalogue, berendrecht, d) for d in proposals)


def test_nearest_days_for_a_past_day_start_today(catalogue, clock):
    berchem = catalogue.counter("berchem")
    assert _nearest(catalogue, berchem, dt.date(2026, 11, 1)) == [
        THURSDAY,
        dt.date(2026, 11, 27),
        dt.date(2026, 11, 30),
    ]


def test_nearest_days_beyond_the_window_are_its_last_days(catalogue, clock):
    berchem = catalogue.counter("berchem")
    first, last = slot_plan.booking_window(catalogue, THURSDAY)
    proposals = _nearest(catalogue, berchem, dt.date(2027, 6, 1))
    assert proposals == _open_days(catalogue, berchem, first, last)[-3:]


def test_nearest_days_never_for_a_redirected_counter(catalogue, clock):
    linkeroever = catalogue.counter("linkeroever")
    assert _nearest(catalogue, linkeroever, THURSDAY) == []


def test_the_booking_rules_need_no_rasa():
    """bookings.rules is plain Python: the validators and the writing actions share it, and
    anything else (a staff tool, a worker) can use it without Rasa."""
    import subprocess
    import sys

    code = ("import sys, bookings.rules; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rasa', 'rasa_sdk', 'sanic'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
