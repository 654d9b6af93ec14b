"""Understands the time of day a citizen asks for ("10u", "half elf", "'s middags", "09:15").

Pure rules, no clock: the booking form needs a clock time or a part of the day, and the day
reader (actions/dutch_dates.py) needs to blank times out so that "10u" is not read as today.

Hours 1..7 said without a morning word ("om 2 uur", "half 2", "om 7") mean the afternoon
(13:00..19:00): the counters are not open at night or before 8, and that is how people say it.
A leading zero ("07:30") or a morning word ("7 uur 's ochtends") keeps the hour as written.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

from language.wording import MONTHS

MAX_CHARS = 500
VOORMIDDAG = "voormiddag"
NAMIDDAG = "namiddag"

HOUR_WORDS = {
    "een": 1, "één": 1, "eén": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
}  # fmt: skip
_MINUTE_WORDS = {"kwart": 15, "vijf": 5, "tien": 10, "twintig": 20}
# Apostrophes people type on phones and keyboards, mapped one to one (offsets stay the same).
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

_WORD = "|".join(sorted(HOUR_WORDS, key=len, reverse=True))
_HOUR = rf"(?:[0-9]{{1,2}}|{_WORD})"
_MONTH_WORDS = set(MONTHS) | {m[:3] for m in MONTHS} | {"sept", "mrt", "febr"}
_MONTH = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
# After an hour: not a date ("8/12", "1 januari") nor an amount ("twee weken", "10 personen").
_NOT_A_DATE = (
    rf"(?![0-9]|\s*[/.-]\s*[0-9]|\s*(?:ste|de|e)?\s*(?:{_MONTH})\b"
    r"|\s*(?:dagen|dag|weken|week|maanden|maand|jaar|jaren|personen|persoon|keer|minuten|kinderen)\b)"
)
_CLOCK = re.compile(  # 09:15, 9.15, 10u30, 14h30, 10 uur 30
    r"(?:\bom\s+)?(?<![0-9./:-])([0-9]{1,2})\s*(?::|\.|u|h|uur)\s*([0-9]{2})"
    r"(?![0-9]|[./-][0-9])"
    r"(?:\s*(?:uur|u|h)\b\.?)?",
    re.IGNORECASE,
)
_HOURS = re.compile(  # 10u, 10 uur, 14h, tien uur (not "een uur": that is a duration)
    r"(?:\bom\s+)?(?<![0-9./:-])([0-9]{1,2})\s*(?:uur|u|h)\b\.?|(?:\bom\s+)?\b("
    + "|".join(w for w in sorted(HOUR_WORDS, key=len, reverse=True) if HOUR_WORDS[w] != 1)
    + r")\s+uur\b",
    re.IGNORECASE,
)
_OM = re.compile(  # om 2, om tien, om een uur
    rf"\bom\s+({_HOUR})\b(?:\s*(?:uur|u|h)\b\.?)?{_NOT_A_DATE}",
    re.IGNORECASE,
)
_RELATIVE = re.compile(  # half elf, kwart voor elf, tien over half tien, 5 voor 12
    r"(?:\bom\s+)?(?:\b(kwart|vijf|tien|twintig|[0-9]{1,2})\s+(over|na|voor)\s+(?:(half)\s+)?"
    r"|\b(half)\s+)"
    rf"({_HOUR})\b(?:\s*uur\b)?{_NOT_A_DATE}",
    re.IGNORECASE,
)
_S = r"(?:'s|s'|\bs)[\s-]*"
_MORNING = re.compile(
    _S + r"(?:ochtends|morgens|voormiddags)\b|voormiddag|\bin\s+de\s+(?:ochtend|morgen)\b"
    r"|ochtend\b|\bmorgens\b|\bmorgenvroeg\b",
    re.IGNORECASE,
)
_AFTERNOON = re.compile(
    _S + r"(?:middags|namiddags)\b|namiddag|\bin\s+de\s+middag\b|\bna\s+de\s+middag\b"
    r"|\b[a-z]+(?<!voor)(?<!na)middag\b",  # dinsdagmiddag, vanmiddag, morgenmiddag
    re.IGNORECASE,
)
_EVENING = re.compile(_S + r"avonds\b|\bin\s+de\s+avond\b|avond\b", re.IGNORECASE)


@dataclass(frozen=True)
class TimeReading:
    """A clock time and/or the part of the day the text names; both None when it names neither.

    `part` is only what the text says ("'s middags" -> "namiddag"), never guessed from `at`.
    """

    at: Optional[dt.time] = None
    part: Optional[str] = None

    @property
    def found(self) -> bool:
        return self.at is not None or self.part is not None


def _number(token: str) -> int:
    token = token.lower()
    return HOUR_WORDS[token] if token in HOUR_WORDS else int(token)


def _afternoon(hour: int, written: str, pm: bool, am: bool) -> int:
    """The 24-hour value of a spoken hour (see the module docstring for the 1..7 rule)."""
    if pm and 1 <= hour <= 11:
        return hour + 12
    if not am and 1 <= hour <= 7 and not written.startswith("0"):
        return hour + 12
    return hour


def _clock(hour: int, minute: int) -> Optional[dt.time]:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return dt.time(hour, minute)
    return None


def _matches(text: str) -> Iterator[Tuple[int, int, "re.Match"]]:
    for pattern in (_CLOCK, _HOURS, _OM, _RELATIVE):
        for match in pattern.finditer(text):
            yield match.start(), match.end(), match


def _time_spans(text: str) -> List[Tuple[int, int, "re.Match"]]:
    """Clock-time expressions, earliest first, overlaps dropped (the longest at a start wins)."""
    spans = sorted(_matches(text), key=lambda s: (s[0], -s[1]))
    kept: List[Tuple[int, int, "re.Match"]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _value(match: "re.Match", pm: bool, am: bool) -> Optional[dt.time]:
    if match.re is _CLOCK:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            return None
        return _clock(_afternoon(hour, match.group(1), pm, am), minute)
    if match.re is _HOURS:
        written = match.group(1) or match.group(2)
        hour = _number(written)
        return _clock(_afternoon(hour, written, pm, am), 0) if hour <= 23 else None
    if match.re is _OM:
        hour = _number(match.group(1))
        return _clock(_afternoon(hour, match.group(1), pm, am), 0) if hour <= 23 else None
    amount, direction, half, bare_half, written = match.groups()
    named = _number(written)
    if named > 24 or named == 0:
        return None
    base = _afternoon(named, written, pm, am) * 60
    if half or bare_half:
        base -= 30
    if amount:
        minutes = _MINUTE_WORDS.get(amount.lower()) or int(amount)
        if not 1 <= minutes <= 29:
            return None
        base += minutes if direction.lower() in ("over", "na") else -minutes
    base %= 24 * 60
    return dt.time(base // 60, base % 60)


def _part(text: str) -> Tuple[Optional[str], bool, bool]:
    """(the part of the day named first, an afternoon/evening word?, a morning word?)."""
    found = []
    for pattern, part in ((_MORNING, VOORMIDDAG), (_AFTERNOON, NAMIDDAG), (_EVENING, None)):
        match = pattern.search(text)
        if match:
            found.append((match.start(), part))
    found.sort(key=lambda f: f[0])
    names = [part for _, part in found]
    first = next((part for part in names if part), None)
    am = VOORMIDDAG in names
    pm = not am and len(found) > 0  # only afternoon/evening words
    return first, pm, am


def read_time(text: str) -> TimeReading:
    """The first clock time and the part of the day in `text` (first 500 characters).

    An impossible time ("25u", "10:75") gives no time rather than a guess.
    """
    if not isinstance(text, str) or not text:
        return TimeReading()
    text = text[:MAX_CHARS].translate(APOSTROPHES)
    part, pm, am = _part(text)
    spans = _time_spans(text)
    at = _value(spans[0][2], pm, am) if spans else None
    return TimeReading(at=at, part=part)


_PART_PHRASES = re.compile(
    _S + r"(?:ochtends|morgens|voormiddags|middags|namiddags|avonds)\b"
    r"|\b(?:in|na|voor)\s+de\s+(?:ochtend|morgen|voormiddag|middag|namiddag|avond)\b",
    re.IGNORECASE,
)


def strip_times(text: str) -> str:
    """`text` with clock times and part-of-day phrases blanked out, keeping every offset.

    Lets the day reader see "dinsdag" in "dinsdag om 10u" and nothing at all in "10u", and
    keeps "in de morgen" (in the morning) from being read as "morgen" (tomorrow).
    """
    if not isinstance(text, str):
        return ""
    normal = text.translate(APOSTROPHES)
    chars = list(text)
    spans = [(s, e) for s, e, _ in _time_spans(normal)]
    spans += [(m.start(), m.end()) for m in _PART_PHRASES.finditer(normal)]
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
