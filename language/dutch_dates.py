"""Understands the day a citizen means ("dinsdag", "morgen", "8/12", "24 december").

The forms the booking form relies on are read by the rules below, so that their meaning is
ours, documented and tested rather than whatever Duckling decides. Duckling, run in-process
(pyduckling), is asked only when no rule matched, for holidays and the like ("kerstmis"), and
only a day it names in words is taken from it. Clock times are blanked out first
(actions/dutch_times.strip_times): Duckling reads a bare "10u" as today at 10.

Rules, relative to `now`:
- "dinsdag", "volgende/komende/deze dinsdag": the first Tuesday after today, never today. So on
  a Monday "volgende dinsdag" is tomorrow, on a Tuesday it is in 7 days, on a Thursday the
  coming Tuesday. "volgende week dinsdag" / "dinsdag volgende week" is the Tuesday of next ISO
  week (on a Monday: in 8 days), the unambiguous way to say it.
- A day and month without a year ("8 december", "8/12") is in this year, unless that is more
  than 31 days ago, then it is next year: on 26 November "8/1" is 8 January next year, but
  "20 november" stays this year's (a past day, which the caller can refuse as past). A day that
  does not exist in the year so chosen ("29 februari" in 2027) is impossible.
- A day of the month alone ("de 8ste", "dinsdag de 8ste") is the first such day from today on.
- "8.12" without a year is no date: it is left to be a time (9.15 is a quarter past nine).
- Ranges set `until` (inclusive): "deze week (nog)" is today..Sunday of this ISO week,
  "volgende week" Monday..Sunday of next week, "dit/volgend weekend" Saturday..Sunday,
  "begin/half/eind december" the 1st-10th/11th-20th/21st-last, "in december" the whole month.
  "over twee weken" is one day, 14 days ahead; "over drie dagen" 3 days ahead.
- When several days are named, the first in the text counts.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

from language.dutch_times import APOSTROPHES, MAX_CHARS, strip_times
from language.wording import MONTHS, WEEKDAY_NAMES

ZONEINFO_DIR = "/usr/share/zoneinfo"
ROLL_OVER_DAYS = 31  # a day-month further in the past than this means next year
MIN_YEAR, MAX_YEAR = 1900, 2199

_MONTH_NAMES = {name: i + 1 for i, name in enumerate(MONTHS)}
_MONTH_NAMES.update({name[:3]: i + 1 for i, name in enumerate(MONTHS)})
_MONTH_NAMES.update({"sept": 9, "mrt": 3, "febr": 2})
_COUNTS = {
    "een": 1, "één": 1, "eén": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13,
    "veertien": 14, "vijftien": 15, "twintig": 20, "dertig": 30,
}  # fmt: skip
_RELATIVE_DAYS = {
    "eergisteren": -2, "gisteren": -1, "vandaag": 0, "overmorgen": 2,
    "vanmorgen": 0, "vanochtend": 0, "vanvoormiddag": 0, "vanmiddag": 0, "vannamiddag": 0,
    "vanavond": 0, "deze morgen": 0, "deze voormiddag": 0, "deze namiddag": 0,
}  # fmt: skip


def _alternatives(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NTH = {
    "eerste": 1, "1ste": 1, "1e": 1, "tweede": 2, "2de": 2, "2e": 2, "derde": 3, "3de": 3, "3e": 3,
    "vierde": 4, "4de": 4, "4e": 4, "vijfde": 5, "5de": 5, "5e": 5, "laatste": -1,
}  # fmt: skip
# Duckling is only trusted with a day it names in words: a holiday, or a weekday or month name.
# Without this it reads "de 2 kinderen" as the 2nd, "1-2 dagen" as 1 February, "eerste" as a day.
_DUCKLING_WORDS = re.compile(
    rf"{_alternatives(WEEKDAY_NAMES)}|{_alternatives(MONTHS)}|kerst|nieuwjaar|oudejaar|pasen|paas"
    r"|pinkster|hemelvaart|allerheiligen|allerzielen|wapenstilstand|feestdag",
    re.IGNORECASE,
)
_MONTH_PARTS = {"begin": (1, 10), "half": (11, 20), "midden": (11, 20)}
_F = re.IGNORECASE
_MONTH = rf"(?P<month>{_alternatives(_MONTH_NAMES)})\.?"
_PARTS_OF_DAY = "voormiddag|namiddag|middag|ochtend|morgen|avond"
_WD = rf"(?P<weekday>{_alternatives(WEEKDAY_NAMES)})(?:{_PARTS_OF_DAY})?"  # zaterdagvoormiddag
_WD_PREFIX = rf"(?:{_WD},?\s+(?:de\s+)?)?"
_COUNT = rf"(?P<count>[0-9]{{1,2}}|{_alternatives(_COUNTS)})"
_YEAR = r"(?:\s+(?P<year>[0-9]{4}))?"
_NO_AMOUNT = (  # "1-2 dagen", "de 2 kinderen" are amounts
    r"(?!\s*(?:dagen|dag|weken|week|maanden|maand|jaar|jaren|uur|uren|minuten|personen|keer"
    r"|kinderen)\b)"
)
_D, _M = r"(?P<d>[0-9]{1,2})", r"(?P<m>[0-9]{1,2})"
_NOT_AFTER_NUMBER = r"(?<![0-9./:-])"
_NOT_BEFORE_NUMBER = r"(?![0-9]|[/.-][0-9])"
_NEXT = r"(?P<which>volgende|komende|deze)"

_PATTERNS = {
    "iso": rf"(?<![0-9./-])(?P<year>[0-9]{{4}})-(?P<m>[0-9]{{1,2}})-(?P<d>[0-9]{{1,2}})(?![0-9])",
    "day_month": rf"{_WD_PREFIX}\b(?P<d>[0-9]{{1,2}})\s*(?:ste|de|e)?\s*{_MONTH}(?![a-z]){_YEAR}",
    "numeric": rf"{_WD_PREFIX}{_NOT_AFTER_NUMBER}{_D}(?P<sep>[/-]){_M}"
    rf"(?:(?P=sep)(?P<year>[0-9]{{4}}|[0-9]{{2}}))?{_NOT_BEFORE_NUMBER}{_NO_AMOUNT}",
    # "8.12.2026"; without a year "8.12" is left to be a time (9.15 is a quarter past nine)
    "dotted": rf"{_WD_PREFIX}{_NOT_AFTER_NUMBER}{_D}\.{_M}\.(?P<year>[0-9]{{4}}|[0-9]{{2}})"
    rf"{_NOT_BEFORE_NUMBER}",
    # "dinsdag 8", "dinsdag de 8ste", "de 8ste" (a bare "de 8" is too often an amount)
    "day_only": rf"(?:{_WD},?\s+(?:de\s+)?{_D}(?:ste|de|e)?|\bde\s+(?P<d2>[0-9]{{1,2}})(?:ste|de|e))"
    rf"\b(?!\s*[/.:-]|\s*(?:{_alternatives(_MONTH_NAMES)})(?![a-z])"
    rf"|\s+(?:van|{_alternatives(WEEKDAY_NAMES)})\b){_NO_AMOUNT}",
    "nth_weekday": rf"\b(?:de\s+)?(?P<nth>{_alternatives(_NTH)})\s+{_WD}\s+(?:van\s+)?{_MONTH}"
    rf"(?![a-z]){_YEAR}",
    "relative": rf"\b(?P<word>{_alternatives(_RELATIVE_DAYS)})\b",
    # not "in de morgen", "elke morgen" (the morning)
    "tomorrow": rf"(?<!de )(?<!elke )(?<!iedere )\bmorgen(?:vroeg|{_PARTS_OF_DAY})?\b",
    "in_count": rf"\bover\s+{_COUNT}\s+(?P<unit>dagen|dag|weken|week|maanden|maand)\b",
    "weekday": rf"(?:\b(?:volgende|komende|deze|aanstaande|eerstvolgende)\s+)?\b{_WD}\b",
    "week_weekday": rf"\b{_NEXT}\s+week\s+(?:op\s+)?\b{_WD}\b",
    "weekday_week": rf"\b{_WD}\s+(?:van\s+)?{_NEXT}\s+week\b",
    "count_weekday": rf"\bover\s+{_COUNT}\s+weken?\s+(?:op\s+)?\b{_WD}\b",
    "weekday_count": rf"\b{_WD}\s+over\s+{_COUNT}\s+weken?\b",
    "this_week": r"\b(?:nog\s+)?deze\s+week(?:\s+nog)?\b",
    "next_week": r"\b(?:volgende|komende)\s+week\b",
    "weekend": r"\b(?P<which>dit|deze|het|volgend|volgende|komend|komende)\s+weekend\b",
    "month_part": rf"\b(?P<part>begin|half|midden|eind|einde)\s+{_MONTH}(?![a-z]){_YEAR}",
    "month": rf"\bin\s+{_MONTH}(?![a-z]){_YEAR}",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_COMPILED = {kind: re.compile(pattern, _F) for kind, pattern in _PATTERNS.items()}


@dataclass(frozen=True)
class DayReading:
    """What the text says about a day: a date (or a range of dates), an impossible date, or nothing.

    For a range ("volgende week"), `day` is its first day and `until` its last (inclusive), so
    callers that only look at `day` still get a sensible answer.
    """

    day: Optional[dt.date] = None
    impossible: Optional[str] = None  # the text of a date that does not exist
    until: Optional[dt.date] = None

    @property
    def found(self) -> bool:
        return self.day is not None or self.impossible is not None


@functools.lru_cache(maxsize=1)
def _duckling():
    import duckling

    zones = duckling.load_time_zones(ZONEINFO_DIR)
    lang = duckling.parse_lang("NL")
    locale = duckling.parse_locale("NL_BE", duckling.default_locale_lang(lang))
    return duckling, zones, locale, duckling.parse_dimensions(["time"])


def _count(word: str) -> int:
    word = word.lower()
    return _COUNTS[word] if word in _COUNTS else int(word)


def _weekday(match: "re.Match") -> int:
    return WEEKDAY_NAMES.index(match.group("weekday").lower())


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _next_weekday(today: dt.date, weekday: int) -> dt.date:
    """The first such weekday after today (a week ahead when today is that weekday)."""
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _year_for(today: dt.date, month: int, day: int) -> int:
    """This year, unless (month, day) this year is more than ROLL_OVER_DAYS ago: then next year."""
    cutoff = today - dt.timedelta(days=ROLL_OVER_DAYS)
    if cutoff.year == today.year and (month, day) < (cutoff.month, cutoff.day):
        return today.year + 1
    return today.year


def _year(written: Optional[str]) -> Optional[int]:
    if not written:
        return None
    return int(written) + 2000 if len(written) == 2 else int(written)


def _date(today: dt.date, year: Optional[int], month: int, day: int, text: str) -> "DayReading":
    year = year or _year_for(today, month, day)
    try:
        return DayReading(day=dt.date(year, month, day))
    except ValueError:
        return DayReading(impossible=text.strip())


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day_of_month(today: dt.date, day: int, text: str) -> DayReading:
    """"de 8ste": the first such day from today on (on 26 November "de 31ste" is 31 December)."""
    first = today.replace(day=1)
    for ahead in range(3):
        month = _add_months(first, ahead)
        if day <= calendar.monthrange(month.year, month.month)[1]:
            if month.replace(day=day) >= today:
                return DayReading(day=month.replace(day=day))
    return DayReading(impossible=text.strip())


def _nth_weekday(today: dt.date, match: "re.Match", text: str) -> DayReading:
    """"de 3de zondag van december", "laatste vrijdag van november"; the year as for a date."""
    group = match.groupdict()
    nth, weekday = _NTH[group["nth"].lower()], _weekday(match)
    month = _MONTH_NAMES[group["month"].lower()]

    def in_year(year: int) -> Optional[dt.date]:
        days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month]
        matching = [d for d in days if d.weekday() == weekday]
        return matching[nth - 1 if nth > 0 else -1] if nth <= len(matching) else None

    year = _year(group["year"])
    if year is None:
        this_year = in_year(today.year)
        probe = this_year or dt.date(today.year, month, 28)
        year = _year_for(today, month, probe.day)
    day = in_year(year)
    return DayReading(day=day) if day else DayReading(impossible=text.strip())


def _reading(kind: str, match: "re.Match", today: dt.date, text: str) -> Optional[DayReading]:
    """What one matched expression means; None when it turns out not to be a date at all."""
    group = match.groupdict()
    if group.get("year") and not MIN_YEAR <= _year(group["year"]) <= MAX_YEAR:
        return DayReading(impossible=text.strip())  # "8 december 0000" is no day to book
    if kind == "iso":
        return _date(today, int(group["year"]), int(group["m"]), int(group["d"]), text)
    if kind == "day_month":
        day = int(group["d"])
        if day > 39:
            return None
        return _date(today, _year(group["year"]), _MONTH_NAMES[group["month"].lower()], day, text)
    if kind in ("numeric", "dotted"):
        day, month = int(group["d"]), int(group["m"])
        if day > 39 or not 1 <= month <= 12:
            return None
        return _date(today, _year(group["year"]), month, day, text)
    if kind == "day_only":
        day = int(group["d"] or group["d2"])
        if not 1 <= day <= 39:
            return None
        return _day_of_month(today, day, text)
    if kind == "nth_weekday":
        return _nth_weekday(today, match, text)
    if kind == "relative":
        return DayReading(day=today + dt.timedelta(days=_RELATIVE_DAYS[group["word"].lower()]))
    if kind == "tomorrow":
        return DayReading(day=today + dt.timedelta(days=1))
    if kind == "in_count":
        count, unit = _count(group["count"]), group["unit"].lower()
        if unit.startswith("maand"):
            return DayReading(day=_add_months(today, count))
        days = count * 7 if unit in ("week", "weken") else count
        return DayReading(day=today + dt.timedelta(days=days))
    if kind == "weekday":
        return DayReading(day=_next_weekday(today, _weekday(match)))
    if kind in ("week_weekday", "weekday_week"):
        weeks = 0 if group["which"].lower() == "deze" else 1
        return DayReading(day=_monday(today) + dt.timedelta(weeks=weeks, days=_weekday(match)))
    if kind in ("count_weekday", "weekday_count"):
        weeks = _count(group["count"])
        return DayReading(day=_monday(today) + dt.timedelta(weeks=weeks, days=_weekday(match)))
    if kind == "this_week":
        return DayReading(day=today, until=_monday(today) + dt.timedelta(days=6))
    if kind == "next_week":
        monday = _monday(today) + dt.timedelta(weeks=1)
        return DayReading(day=monday, until=monday + dt.timedelta(days=6))
    if kind == "weekend":
        ahead = 1 if group["which"].lower().startswith(("volgend", "komend")) else 0
        saturday = _monday(today) + dt.timedelta(weeks=ahead, days=5)
        return DayReading(day=max(saturday, today), until=saturday + dt.timedelta(days=1))
    if kind in ("month_part", "month"):
        month = _MONTH_NAMES[group["month"].lower()]
        first, last = 1, 31
        if kind == "month_part":
            part = group["part"].lower()
            first, last = _MONTH_PARTS.get(part, (21, 31))  # eind, einde
        year = _year(group["year"]) or _year_for(today, month, first)
        last = min(last, calendar.monthrange(year, month)[1])
        return DayReading(day=dt.date(year, month, first), until=dt.date(year, month, last))
    return None


def _candidates(text: str, today: dt.date) -> Iterator[Tuple[int, int, DayReading]]:
    for kind, pattern in _COMPILED.items():
        for match in pattern.finditer(text):
            reading = _reading(kind, match, today, match.group(0))
            if reading is not None:
                yield match.start(), match.end(), reading


def _by_duckling(text: str, now: dt.datetime) -> DayReading:
    """Duckling's first whole-day reading of `text` (times already blanked out)."""
    duckling, zones, locale, dimensions = _duckling()
    zone = str(now.tzinfo)
    reference = duckling.parse_ref_time(zones, zone, int(now.timestamp()))
    context = duckling.Context(reference, locale)
    for result in duckling.parse(text, context, dimensions, False):
        value = result.get("value", {})
        if value.get("type") != "value" or value.get("grain") != "day":
            continue
        if not _DUCKLING_WORDS.search(result.get("body", "")):
            continue
        moment = dt.datetime.fromisoformat(value["value"])
        return DayReading(day=moment.astimezone(ZoneInfo(zone)).date())
    return DayReading()


def _clean(text: str) -> str:
    """Control characters and lone surrogates become spaces: Duckling (Rust) panics on a NUL
    byte with an exception that is no `Exception`, so it must never see one."""
    text = _CONTROL.sub(" ", text.translate(APOSTROPHES))
    return text.encode("utf-8", "replace").decode("utf-8")


def read_day(text: str, now: dt.datetime) -> DayReading:
    """The first day (or range of days) named in `text`, relative to `now` (an aware datetime).

    Only the first 500 characters are read. Clock times are no days: "10u" alone finds nothing,
    "morgen om 10 uur" finds tomorrow. Never raises: odd input finds nothing.
    """
    if not isinstance(text, str) or not text:
        return DayReading()
    text = strip_times(_clean(text[:MAX_CHARS]))
    today = now.date()
    found: List[Tuple[int, int, DayReading]] = list(_candidates(text, today))
    if found:
        # the earliest expression wins; at the same place the longest ("dinsdag 8 december")
        return min(found, key=lambda c: (c[0], -c[1]))[2]
    if not text.strip():
        return DayReading()
    try:
        return _by_duckling(text, now)
    except Exception:  # a foreign parser's hiccup must not end the conversation
        return DayReading()
