"""Dutch phrasing shared by the answers: lists, dates and weekday names. No facts live here."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, List

from service_catalogue.model import MONTHS, WEEKDAYS

WEEKDAY_NAMES = WEEKDAYS


def join(items: Iterable[str], last: str = "en") -> str:
    """'a', 'a en b', 'a, b en c'."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def join_or(items: Iterable[str]) -> str:
    return join(items, "of")


def long_date(day: dt.date, with_year: bool = False) -> str:
    """'dinsdag 1 december' (the year only when asked, e.g. for a date far off)."""
    text = f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def dates(days: Iterable[dt.date], today: dt.date) -> str:
    days = list(days)
    return join(long_date(d, with_year=d.year != today.year) for d in days)


def weekdays(names: List[str]) -> str:
    """'van maandag tot en met vrijdag' for a run of days, else 'op maandag en woensdag'."""
    indexes = [WEEKDAY_NAMES.index(name) for name in names]
    if len(indexes) >= 3 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"van {names[0]} tot en met {names[-1]}"
    return f"op {join(names)}"


def clock(moment: dt.time) -> str:
    """'9 uur', '12.30 uur': as times are said, not as a machine writes them."""
    return f"{moment.hour} uur" if moment.minute == 0 else f"{moment.hour}.{moment.minute:02d} uur"


def bullet_list(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def per_week(days: int) -> str:
    return "één dag per week" if days == 1 else f"{days} dagen per week"
