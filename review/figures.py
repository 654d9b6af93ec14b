"""Figures for the city, from the reviewed conversations: how many per day, how many were answered
without a person, how often a person was asked for, what was most often not understood.

Computed from the same masked conversations the review pages show, so no figure can carry what
a transcript may not. What cannot be measured yet (the share of thumbs up) is said to be not
measured on the page, never shown as zero.
"""
from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from review.conversations import Conversation

BAR_WIDTH = 320
ROW_HEIGHT = 28
LABEL_WIDTH = 120
TOP_MISUNDERSTOOD = 10


@dataclass
class Day:
    day: dt.date
    conversations: int
    asked_for_person: int
    not_understood: int


@dataclass
class Figures:
    days: List[Day]
    conversations: int
    contained: Optional[float]  # share answered without asking for a person
    asked_for_person: Optional[float]
    misunderstood: List[Tuple[str, int]]
    taken_over: int = 0  # conversations a staff member took (handover/queue.py)
    median_wait: Optional[float] = None  # seconds from asking to being taken


def _share(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().rstrip("?!. "))


def compute(conversations: List[Conversation], today: dt.date, days: int = 30,
            waits: Optional[List[float]] = None) -> Figures:
    """Figures over the conversations that started in the `days` days up to `today`; `waits` are
    the seconds each handover waited in that period."""
    first = today - dt.timedelta(days=days - 1)
    recent = [c for c in conversations if first <= c.started.date() <= today]
    per_day: Dict[dt.date, Day] = {first + dt.timedelta(days=n): Day(first + dt.timedelta(days=n), 0, 0, 0)
                                   for n in range(days)}
    misunderstood: Counter = Counter()
    for conversation in recent:
        day = per_day[conversation.started.date()]
        day.conversations += 1
        day.asked_for_person += "persoon" in conversation.flags
        day.not_understood += "niet_begrepen" in conversation.flags
        for line in conversation.lines:
            if line.who == "burger" and line.intent == "nlu_fallback" and line.text and not line.text.startswith("/"):
                misunderstood[_normalised(line.text)] += 1
    asked = sum(d.asked_for_person for d in per_day.values())
    return Figures(
        days=list(per_day.values()),
        conversations=len(recent),
        contained=_share(len(recent) - asked, len(recent)),
        asked_for_person=_share(asked, len(recent)),
        misunderstood=misunderstood.most_common(TOP_MISUNDERSTOOD),
        taken_over=len(waits or []),
        median_wait=statistics.median(waits) if waits else None,
    )


def per_day_chart(figures: Figures) -> Dict:
    """Bars of the conversations per day (SVG drawn on the server, as the team page does)."""
    most = max((d.conversations for d in figures.days), default=0) or 1
    bars = [{"label": f"{d.day:%d-%m}", "value": d.conversations, "y": n * ROW_HEIGHT,
             "width": round(BAR_WIDTH * d.conversations / most)} for n, d in enumerate(figures.days)]
    return {"title": "Gesprekken per dag", "bars": bars, "left": LABEL_WIDTH, "width": LABEL_WIDTH + BAR_WIDTH + 60,
            "height": max(ROW_HEIGHT, len(bars) * ROW_HEIGHT)}


def csv_rows(figures: Figures) -> List[List]:
    header = ["dag", "gesprekken", "vroeg_naar_een_medewerker", "niet_begrepen"]
    return [header] + [[d.day.isoformat(), d.conversations, d.asked_for_person, d.not_understood]
                       for d in figures.days]
