"""The days and times the booking form understands, with the exact values it must come to.

The clock is fixed: Thursday 26 November 2026, 10:00 in Brussels (a Monday and a Tuesday for
the weekday rule, a day in January for the year rule).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from language.dutch_dates import DayReading, read_day
from language.dutch_times import TimeReading, read_time, strip_times

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=BRUSSELS)  # a Thursday
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
TUESDAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BRUSSELS)
SUNDAY = dt.datetime(2026, 11, 29, 10, 0, tzinfo=BRUSSELS)
JANUARY = dt.datetime(2027, 1, 10, 10, 0, tzinfo=BRUSSELS)
D = dt.date
T = dt.time


def test_the_fixed_days_are_the_weekdays_the_tests_assume():
    assert [NOW.weekday(), MONDAY.weekday(), TUESDAY.weekday(), SUNDAY.weekday()] == [3, 0, 1, 6]


@pytest.mark.parametrize(
    "text, day",
    [
        ("vandaag", D(2026, 11, 26)),
        ("morgen", D(2026, 11, 27)),
        ("overmorgen", D(2026, 11, 28)),
        ("gisteren", D(2026, 11, 25)),
        ("Morgen graag", D(2026, 11, 27)),
        ("morgenvroeg", D(2026, 11, 27)),
        ("vanmiddag", D(2026, 11, 26)),
        ("dinsdag", D(2026, 12, 1)),
        ("volgende dinsdag", D(2026, 12, 1)),
        ("komende dinsdag", D(2026, 12, 1)),
        ("donderdag", D(2026, 12, 3)),  # today is Thursday: the next one, not today
        ("volgende week dinsdag", D(2026, 12, 1)),
        ("dinsdag volgende week", D(2026, 12, 1)),
        ("volgende week donderdag", D(2026, 12, 3)),
        ("zaterdagvoormiddag", D(2026, 11, 28)),
        ("dinsdag 8 december", D(2026, 12, 8)),
        ("dinsdag, 8 december", D(2026, 12, 8)),
        ("8 december", D(2026, 12, 8)),
        ("8/12", D(2026, 12, 8)),
        ("08-12", D(2026, 12, 8)),
        ("8 dec", D(2026, 12, 8)),
        ("8 dec.", D(2026, 12, 8)),
        ("8 DECEMBER", D(2026, 12, 8)),
        ("de 8ste december", D(2026, 12, 8)),
        ("8 december 2026", D(2026, 12, 8)),
        ("8 december 2027", D(2027, 12, 8)),
        ("8/12/2027", D(2027, 12, 8)),
        ("8/12/27", D(2027, 12, 8)),
        ("8.12.2026", D(2026, 12, 8)),
        ("2026-12-08", D(2026, 12, 8)),
        ("dinsdag de 8ste", D(2026, 12, 8)),
        ("de 8ste", D(2026, 12, 8)),
        ("de 31ste", D(2026, 12, 31)),  # November has no 31st: the next month that does
        ("over twee weken", D(2026, 12, 10)),
        ("over 2 weken", D(2026, 12, 10)),
        ("over een week", D(2026, 12, 3)),
        ("over veertien dagen", D(2026, 12, 10)),
        ("over drie dagen", D(2026, 11, 29)),
        ("over 3 dagen", D(2026, 11, 29)),
        ("over tien dagen", D(2026, 12, 6)),
        ("over een maand", D(2026, 12, 26)),
        ("dinsdag over twee weken", D(2026, 12, 8)),
        ("de 3de zondag van december", D(2026, 12, 20)),
        ("laatste vrijdag van november", D(2026, 11, 27)),
        ("kerstmis", D(2026, 12, 25)),  # left to Duckling
        ("is berchem open op dinsdag", D(2026, 12, 1)),
        ("kan ik morgen of dinsdag komen", D(2026, 11, 27)),  # the first day named
        ("dinsdag om 10u", D(2026, 12, 1)),
        ("morgen om 10 uur", D(2026, 11, 27)),
        ("8 december om 14u30", D(2026, 12, 8)),
        ("morgen in de voormiddag", D(2026, 11, 27)),
    ],
)
def test_days(text, day):
    assert read_day(text, NOW) == DayReading(day=day)


@pytest.mark.parametrize(
    "now, text, day",
    [
        # 'volgende dinsdag' is the first Tuesday after today, like 'dinsdag' alone
        (MONDAY, "volgende dinsdag", D(2026, 11, 24)),
        (MONDAY, "dinsdag", D(2026, 11, 24)),
        (MONDAY, "volgende week dinsdag", D(2026, 12, 1)),
        (MONDAY, "maandag", D(2026, 11, 30)),
        (TUESDAY, "volgende dinsdag", D(2026, 12, 1)),
        (TUESDAY, "dinsdag", D(2026, 12, 1)),
        (TUESDAY, "volgende week dinsdag", D(2026, 12, 1)),
        (TUESDAY, "woensdag", D(2026, 11, 25)),
        (SUNDAY, "maandag", D(2026, 11, 30)),
        (SUNDAY, "volgende week maandag", D(2026, 11, 30)),
    ],
)
def test_the_weekday_rule_at_the_start_of_the_week(now, text, day):
    assert read_day(text, now).day == day


@pytest.mark.parametrize(
    "now, text, day",
    [
        (NOW, "8/1", D(2027, 1, 8)),
        (NOW, "8 januari", D(2027, 1, 8)),
        (NOW, "op 1 januari", D(2027, 1, 1)),
        (NOW, "20 november", D(2026, 11, 20)),  # earlier this month: stays, a past day
        (NOW, "26 oktober", D(2026, 10, 26)),  # exactly 31 days ago: stays
        (NOW, "25 oktober", D(2027, 10, 25)),  # 32 days ago: next year
        (NOW, "26/11", D(2026, 11, 26)),
        (NOW, "29 februari", None),  # next February (2027) has no 29th: see the impossible test
        (JANUARY, "20 december", D(2027, 12, 20)),
        (JANUARY, "8 januari", D(2027, 1, 8)),
        (JANUARY, "3 februari", D(2027, 2, 3)),
    ],
)
def test_a_day_and_month_without_a_year(now, text, day):
    assert read_day(text, now).day == day


@pytest.mark.parametrize(
    "now, text, first, last",
    [
        (NOW, "deze week nog", D(2026, 11, 26), D(2026, 11, 29)),
        (NOW, "nog deze week", D(2026, 11, 26), D(2026, 11, 29)),
        (NOW, "deze week", D(2026, 11, 26), D(2026, 11, 29)),
        (SUNDAY, "deze week nog", D(2026, 11, 29), D(2026, 11, 29)),
        (NOW, "volgende week", D(2026, 11, 30), D(2026, 12, 6)),
        (SUNDAY, "volgende week", D(2026, 11, 30), D(2026, 12, 6)),
        (NOW, "dit weekend", D(2026, 11, 28), D(2026, 11, 29)),
        (NOW, "volgend weekend", D(2026, 12, 5), D(2026, 12, 6)),
        (NOW, "begin december", D(2026, 12, 1), D(2026, 12, 10)),
        (NOW, "half december", D(2026, 12, 11), D(2026, 12, 20)),
        (NOW, "eind februari", D(2027, 2, 21), D(2027, 2, 28)),
        (NOW, "in december", D(2026, 12, 1), D(2026, 12, 31)),
    ],
)
def test_ranges(now, text, first, last):
    assert read_day(text, now) == DayReading(day=first, until=last)


def test_a_single_day_has_no_range():
    assert read_day("over twee weken", NOW).until is None
    assert read_day("volgende week dinsdag", NOW).until is None


@pytest.mark.parametrize(
    "text, impossible",
    [
        ("31 februari", "31 februari"),
        ("30/2", "30/2"),
        ("is het open op 30/2", "30/2"),
        ("32 december", "32 december"),
        ("de 32e december", "32e december"),
        ("31/04", "31/04"),
        ("31 april", "31 april"),
        ("29 februari", "29 februari"),  # 2027 is no leap year
        ("2026-02-30", "2026-02-30"),
        ("8 december 0000", "8 december 0000"),
        ("vijfde maandag van februari", "vijfde maandag van februari"),
    ],
)
def test_impossible_dates(text, impossible):
    assert read_day(text, NOW) == DayReading(impossible=impossible)


def test_29_february_in_a_leap_year():
    assert read_day("29/2/2028", NOW).day == D(2028, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "10u",
        "om half elf",
        "10:30",
        "14u30",
        "om 10.30 uur",
        "09:15",
        "kwart voor elf",
        "om 2 uur 's middags",
        "in de morgen",
        "'s morgens",
        "elke morgen",
    ],
)
def test_times_are_no_days(text):
    assert read_day(text, NOW) == DayReading()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "wanneer is berchem open",
        "ik wil een afspraak voor een paspoort",
        "de 2 kinderen",
        "1-2 dagen",
        "1/2 uur",
        "8/13",
        "50/50",
        "85.07.30-033.61",  # a national register number
        "postcode 2000",
        "eerste",
        "🙂🙂🙂",
        "📅 🕙 👍",
        "'; DROP TABLE afspraken; --",
        "<script>alert('x')</script>",
        "<b onmouseover=alert(1)>klik</b>",
        "\x00\x01\x1b[31m",
        "a\x00b <> \ud800",
        "%s%s%n{0}${jndi:ldap://x}",
    ],
)
def test_nothing_found_and_no_exception(text):
    reading = read_day(text, NOW)
    assert not reading.found and reading.until is None


def test_a_nul_byte_does_not_hide_the_day():
    assert read_day("morgen\x00", NOW).day == D(2026, 11, 27)


def test_only_the_first_500_characters_are_read():
    assert read_day("x" * 495 + " morgen", NOW).day is None
    assert read_day("x" * 480 + " morgen", NOW).day == D(2026, 11, 27)
    assert read_day("morgen " * 2000, NOW).day == D(2026, 11, 27)


def test_not_a_string_finds_nothing():
    assert read_day(None, NOW) == DayReading()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, at, part",
    [
        ("09:15", T(9, 15), None),
        ("9.15", T(9, 15), None),
        ("9:15 uur", T(9, 15), None),
        ("10u", T(10, 0), None),
        ("10 uur", T(10, 0), None),
        ("10h", T(10, 0), None),
        ("10u30", T(10, 30), None),
        ("14u", T(14, 0), None),
        ("14u30", T(14, 30), None),
        ("om tien uur", T(10, 0), None),
        ("om 10", T(10, 0), None),
        ("om 2 uur 's middags", T(14, 0), "namiddag"),
        ("om 2 uur ’s middags", T(14, 0), "namiddag"),
        ("om twee uur", T(14, 0), None),  # 1..7 without a morning word: afternoon
        ("om 7 uur", T(19, 0), None),
        ("om 7 uur 's ochtends", T(7, 0), "voormiddag"),
        ("07:30", T(7, 30), None),  # a leading zero is as written
        ("om 8 uur", T(8, 0), None),
        ("om 8 uur 's avonds", T(20, 0), None),
        ("om een uur", T(13, 0), None),
        ("half elf", T(10, 30), None),
        ("om half elf", T(10, 30), None),
        ("half 2", T(13, 30), None),
        ("half twee", T(13, 30), None),
        ("half een", T(12, 30), None),
        ("half negen", T(8, 30), None),
        ("kwart over tien", T(10, 15), None),
        ("kwart voor elf", T(10, 45), None),
        ("tien over half tien", T(9, 40), None),
        ("vijf voor half twee", T(13, 25), None),
        ("5 over 10", T(10, 5), None),
        ("10 voor 12", T(11, 50), None),
        ("'s ochtends", None, "voormiddag"),
        ("in de voormiddag", None, "voormiddag"),
        ("voormiddag", None, "voormiddag"),
        ("'s morgens", None, "voormiddag"),
        ("zaterdagvoormiddag", None, "voormiddag"),
        ("namiddag", None, "namiddag"),
        ("in de namiddag", None, "namiddag"),
        ("'s middags", None, "namiddag"),
        ("dinsdagmiddag", None, "namiddag"),
        ("kan ik dinsdag 8 december om 10u komen", T(10, 0), None),
        ("morgen in de voormiddag om 9u", T(9, 0), "voormiddag"),
    ],
)
def test_times(text, at, part):
    assert read_time(text) == TimeReading(at=at, part=part)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "25u",
        "10:75",
        "24:00",
        "morgen",
        "8 december",
        "8/12",
        "08-12",
        "8.12.2026",
        "over twee weken",
        "om 1 januari",
        "binnen een uur",
        "10 personen",
        "'s avonds",
        "<script>alert(1)</script>",
        "'; DROP TABLE afspraken; --",
        "🙂🕙",
    ],
)
def test_no_time(text):
    assert read_time(text) == TimeReading()


def test_only_the_first_500_characters_are_read_for_a_time():
    assert read_time("x" * 498 + " 10u") == TimeReading()
    assert read_time("x" * 480 + " 10u").at == T(10, 0)


@pytest.mark.parametrize(
    "text, stripped",
    [
        ("dinsdag om 10u", "dinsdag       "),
        ("morgen om 10 uur", "morgen          "),
        ("in de morgen", "            "),
        ("8 december", "8 december"),
        ("8/12 om half elf", "8/12            "),
    ],
)
def test_strip_times_blanks_times_and_keeps_offsets(text, stripped):
    assert strip_times(text) == stripped
