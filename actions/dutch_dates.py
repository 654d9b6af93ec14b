"""Understands the day a citizen means ("dinsdag", "morgen", "8/12", "24 december").

Duckling, run in-process (pyduckling), reads Flemish dates well; the rules here catch what it
gets wrong or lets through, such as "31 februari", which it silently reads as February.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from actions.wording import MONTHS

ZONEINFO_DIR = "/usr/share/zoneinfo"
_MONTH_NAMES = {name: i + 1 for i, name in enumerate(MONTHS)}
_MONTH_NAMES.update({name[:3]: i + 1 for i, name in enumerate(MONTHS)})
_MONTH_NAMES.update({"sept": 9, "mrt": 3})
_DAY_MONTH = re.compile(
    r"\b(\d{1,2})\s*(?:ste|de|e)?\s+("
    + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))
    + r")\.?\b(?:\s+(\d{4}))?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))?\b")


@dataclass(frozen=True)
class DayReading:
    """What the text says about a day: a date, an impossible date, or nothing."""

    day: Optional[dt.date] = None
    impossible: Optional[str] = None  # the text of a date that does not exist

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


def _impossible(text: str) -> Optional[str]:
    for match in _DAY_MONTH.finditer(text):
        day, month = int(match.group(1)), _MONTH_NAMES[match.group(2).lower()]
        year = int(match.group(3)) if match.group(3) else 2024  # a leap year admits 29 februari
        if not _exists(year, month, day):
            return match.group(0).strip()
    for match in _NUMERIC.finditer(text):
        day, month = int(match.group(1)), int(match.group(2))
        if not _exists(2024, month, day):
            return match.group(0)
    return None


def _exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def read_day(text: str, now: dt.datetime) -> DayReading:
    """The first day named in `text`, relative to `now` (an aware datetime)."""
    if not text:
        return DayReading()
    impossible = _impossible(text)
    if impossible:
        return DayReading(impossible=impossible)
    duckling, zones, locale, dimensions = _duckling()
    zone = str(now.tzinfo)
    reference = duckling.parse_ref_time(zones, zone, int(now.timestamp()))
    context = duckling.Context(reference, locale)
    for result in duckling.parse(text[:500], context, dimensions, False):
        value = result.get("value", {})
        if value.get("type") != "value" or value.get("grain") not in ("day", "hour", "minute"):
            continue
        moment = dt.datetime.fromisoformat(value["value"])
        return DayReading(day=moment.astimezone(ZoneInfo(zone)).date())
    return DayReading()
