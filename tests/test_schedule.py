"""Opening days computed from the catalogue rules: alternation, weekends, holidays, validity."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from service_catalogue import DEFAULT_PATH, read_catalogue
from service_catalogue import schedule
from service_catalogue.schedule import Status

D = dt.date


def status(catalogue, counter_id, day):
    return schedule.status_on(catalogue, catalogue.counters[counter_id], day).status


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2026, 12, 1), Status.CLOSED),  # Tuesday of ISO week 49 (odd: Wednesday week)
        (D(2026, 12, 2), Status.OPEN),  # Wednesday of week 49
        (D(2026, 12, 8), Status.OPEN),  # Tuesday of week 50 (even: Tuesday week)
        (D(2026, 12, 9), Status.CLOSED),  # Wednesday of week 50
        (D(2027, 1, 5), Status.CLOSED),  # Tuesday of week 1 of 2027 (odd)
        (D(2027, 1, 6), Status.OPEN),  # Wednesday of week 1 of 2027
        (D(2026, 12, 3), Status.CLOSED),  # Thursday
        (D(2026, 12, 5), Status.CLOSED),  # Saturday
    ],
)
def test_berendrecht_alternates_by_iso_week(catalogue, day, expected):
    assert status(catalogue, "berendrecht", day) is expected


def test_berendrecht_is_open_one_day_in_every_week(catalogue):
    berendrecht = catalogue.counters["berendrecht"]
    start = D(2026, 11, 30)  # a Monday
    for week in range(20):
        monday = start + dt.timedelta(weeks=week)
        days = list(
            schedule.open_days(catalogue, berendrecht, monday, monday + dt.timedelta(days=6))
        )
        holidays = [
            monday + dt.timedelta(days=i)
            for i in range(7)
            if schedule.is_holiday(catalogue, monday + dt.timedelta(days=i))
        ]
        assert len(days) == 1 or holidays, (monday, days)
        assert all(d.weekday() in (1, 2) for d in days)


def test_next_three_berendrecht_days_from_a_fixed_today(catalogue):
    days = schedule.next_open_days(catalogue, catalogue.counters["berendrecht"], D(2026, 11, 26), 3)
    assert days == [D(2026, 12, 2), D(2026, 12, 8), D(2026, 12, 16)]


def test_weekday_counters_are_closed_at_weekends(catalogue):
    assert status(catalogue, "berchem", D(2026, 11, 27)) is Status.OPEN  # Friday
    assert status(catalogue, "berchem", D(2026, 11, 28)) is Status.CLOSED  # Saturday
    assert status(catalogue, "berchem", D(2026, 11, 29)) is Status.CLOSED  # Sunday


def test_holidays_close_every_counter(catalogue):
    assert status(catalogue, "merksem", D(2026, 12, 25)) is Status.HOLIDAY
    assert status(catalogue, "merksem", D(2027, 3, 29)) is Status.HOLIDAY  # Easter Monday 2027
    assert status(catalogue, "merksem", D(2027, 3, 30)) is Status.OPEN


def test_linkeroever_is_redirected_while_the_measure_runs(catalogue):
    day_status = schedule.status_on(catalogue, catalogue.counters["linkeroever"], D(2026, 11, 30))
    assert day_status.status is Status.REDIRECTED
    assert day_status.redirect.to == ["antwerpen-centrum", "berchem", "borgerhout", "merksem"]


def edited(mutate):
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    mutate(raw)
    return raw


def load(raw, tmp_path):
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return read_catalogue(path)


def test_a_redirect_with_valid_until_ends(tmp_path):
    def end_redirect(raw):
        raw["counters"]["linkeroever"]["redirect"]["valid_until"] = "2026-12-31"

    catalogue = load(edited(end_redirect), tmp_path)
    assert status(catalogue, "linkeroever", D(2026, 12, 31)) is Status.REDIRECTED
    assert status(catalogue, "linkeroever", D(2027, 1, 4)) is Status.OPEN


def test_before_valid_from_no_rule_applies(catalogue):
    assert status(catalogue, "berendrecht", D(2020, 11, 10)) is Status.UNKNOWN


def test_rules_are_applied_in_order_of_validity(tmp_path):
    def new_rule(raw):
        raw["counters"]["ekeren"]["opening"].insert(
            0,
            {
                "weekdays": ["maandag"],
                "valid_from": "2027-01-01",
                "source": {"assumption": True, "reason": "test"},
            },
        )

    catalogue = load(edited(new_rule), tmp_path)
    assert status(catalogue, "ekeren", D(2026, 12, 1)) is Status.OPEN  # old rule: Tuesday open
    assert status(catalogue, "ekeren", D(2027, 1, 5)) is Status.CLOSED  # new rule: Mondays only
    assert status(catalogue, "ekeren", D(2027, 1, 4)) is Status.OPEN


def test_an_explicit_list_of_dates_replaces_the_alternation(tmp_path):
    def dates(raw):
        raw["counters"]["berendrecht"]["opening"] = [
            {
                "dates": ["2026-12-03", "2026-12-10"],
                "source": {"assumption": True, "reason": "test"},
            }
        ]

    catalogue = load(edited(dates), tmp_path)
    days = schedule.next_open_days(catalogue, catalogue.counters["berendrecht"], D(2026, 11, 26), 3)
    assert days == [D(2026, 12, 3), D(2026, 12, 10)]


def test_open_counters_on_a_day(catalogue):
    names = [c.id for c in schedule.open_counters(catalogue, D(2026, 12, 8))]
    assert "berendrecht" in names and "berchem" in names and "linkeroever" not in names
    assert schedule.open_counters(catalogue, D(2026, 12, 6)) == []  # Sunday
