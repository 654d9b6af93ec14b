"""Throughput: C citizens at once, each booking an appointment in its own conversation.

Bookings are what a busy morning is made of and what must never get lost, so every simulated
conversation books (document, counter, day and hour in the first message, then name, e-mail and
"ja") and asks a question after it. Each booking gets its own counter/day/hour from the
catalogue's open days and slot plan, so a refusal means something went wrong, not that the slot
was taken. Afterwards the store is read directly and compared with the reference codes the
citizens were given: a code without a booking is a lost booking.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import zip_longest
from typing import Dict, List, Optional, Sequence, Tuple

from language import wording
from actions.texts import texts
from bench import summarise
from bench.client import AsyncCitizenClient, Reply
from bench.latency import drain_timings
from bench.servers import Served
from bookings import rules, slot_plan
from bookings.reference_codes import ALPHABET
from service_catalogue import load_catalogue, schedule


def _literal_before(key: str, placeholder: str) -> str:
    """The fixed words of an answer just before one of its placeholders."""
    head = texts()[key].split("{" + placeholder + "}")[0]
    return re.split(r"\{[^}]*\}", head)[-1].lstrip(" .,;:")


# What the replies must contain, read from the assistant's own wording (actions/texts.nl.yml).
NAME_QUESTION = texts()["booking_ask_name"]
CONTACT_QUESTION = texts()["booking_ask_contact"]
CONFIRMATION_QUESTION = re.split(r"\{[^}]*\}", texts()["booking_summary"])[-1].strip()
CODE_INTRO = _literal_before("booking_made", "code")
CODE = re.compile(re.escape(CODE_INTRO) + rf"([{ALPHABET}]{{6}})")
NAME = "Test Persoon"


@dataclass(frozen=True)
class Slot:
    counter_id: str
    counter_name: str
    day: dt.date
    start: dt.time


def plan_slots(count: int) -> List[Slot]:
    """`count` distinct bookable (counter, day, hour) from tomorrow on, counters taken in turn.

    Never today, whose hours pass during the run. Counters under a redirect or without open
    days in the booking window drop out by themselves (rules.bookable_days only returns open days).
    """
    catalogue = load_catalogue()
    tomorrow = schedule.today(catalogue) + dt.timedelta(days=1)
    starts = slot_plan.slot_starts(catalogue)
    per_counter = []
    for counter in catalogue.counters.values():
        days = rules.bookable_days(catalogue, counter, tomorrow, catalogue.booking.horizon_days)
        # Hours vary fastest, so the first bookings spread over the day, not over the calendar.
        per_counter.append(
            [Slot(counter.id, counter.name, day, start) for day in days for start in starts]
        )
    slots = [s for group in zip_longest(*per_counter) for s in group if s is not None]
    if len(slots) < count:
        raise RuntimeError(f"only {len(slots)} free slots in the booking window, {count} needed")
    return slots[:count]


def booking_wish(slot: Slot) -> str:
    """Document, counter, day and hour in one sentence, the day written as the assistant writes it."""
    today = schedule.today(load_catalogue())
    day = wording.long_date(slot.day, with_year=slot.day.year != today.year)
    # A driving licence is one person's: no "for how many?" step, as in the earlier runs.
    return f"ik wil een afspraak voor een rijbewijs in {slot.counter_name} op {day} om {slot.start:%H:%M}"


def script(number: int, slot: Slot) -> List[Tuple[str, str]]:
    """One citizen's conversation: (message, what the reply must contain)."""
    return [
        (booking_wish(slot), NAME_QUESTION),
        (NAME, CONTACT_QUESTION),
        (f"burger{number}@example.be", CONFIRMATION_QUESTION),
        ("ja", CODE_INTRO),
        ("Wanneer is het loket in Berendrecht open?", "Berendrecht"),
        ("Moet ik langskomen voor een paspoort?", ""),
    ]


STEPS = len(script(0, Slot("", "", dt.date.today(), dt.time(9))))
STEP_NAMES = ["booking wish", "name", "contact", "confirmation", "question 1", "question 2"]


@dataclass
class Outcome:
    number: int
    latencies: List[float]
    code: Optional[str] = None
    http_error: Optional[str] = None
    failed_step: Optional[str] = None
    unsent: int = 0
    sample: str = ""


async def _conversation(client: AsyncCitizenClient, number: int, slot: Slot, label: str) -> Outcome:
    outcome = Outcome(number, [])
    steps = script(number, slot)
    for index, (text, expect) in enumerate(steps):
        reply: Reply = await client.say(f"{label}-citizen-{number}", text)
        outcome.latencies.append(reply.seconds)
        if reply.error:
            outcome.http_error = reply.error
        elif not reply.text or expect not in reply.text:
            outcome.failed_step = STEP_NAMES[index]
            outcome.sample = reply.text[:300]
        if reply.error or outcome.failed_step:
            outcome.unsent = len(steps) - index - 1  # the rest of this conversation is moot
            return outcome
        found = CODE.search(reply.text)
        if found:
            outcome.code = found.group(1)
    return outcome


async def _level(served: Served, concurrency: int, work: List[Tuple[int, Slot]], label: str):
    async with AsyncCitizenClient(served.url, concurrency) as client:

        async def citizen(k: int) -> List[Outcome]:
            return [await _conversation(client, n, slot, label) for n, slot in work[k::concurrency]]

        start = time.perf_counter()
        results = await asyncio.gather(*(citizen(k) for k in range(concurrency)))
        return time.perf_counter() - start, [o for group in results for o in group]


def _stored(served: Served) -> Dict[str, str]:
    """contact -> code of every booking in the store, read straight from the SQLite file (or the
    PostgreSQL database of the production profile)."""
    if served.bookings_url:
        import sqlalchemy as sa

        engine = sa.create_engine(served.bookings_url, hide_parameters=True)
        try:
            with engine.connect() as conn:
                return dict(conn.execute(sa.text("SELECT contact, code FROM bookings")).all())
        finally:
            engine.dispose()
    with sqlite3.connect(f"file:{served.bookings_file}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT contact, code FROM bookings").fetchall())


def run(served: Served, levels: Sequence[int], messages_per_level: int, first: int = 0) -> dict:
    """`first`: number of the first conversation, when earlier runs on the same store took the
    ones before (each conversation has its own slot and contact)."""
    conversations_per_level = [max(c, math.ceil(messages_per_level / STEPS)) for c in levels]
    slots = plan_slots(first + sum(conversations_per_level))
    drain_timings(served.proxy_url)
    results = []
    for concurrency, conversations in zip(levels, conversations_per_level):
        work = [(n, slots[n]) for n in range(first, first + conversations)]
        first += conversations
        wall, outcomes = asyncio.run(_level(served, concurrency, work, f"c{concurrency}"))
        calls = drain_timings(served.proxy_url)
        results.append(_level_result(served, concurrency, wall, outcomes, calls))
        level = results[-1]
        print(f"  concurrency {concurrency:>3}: {level['messages_per_second']:.2f} msg/s, "
              f"p95 {level['latency'].get('p95_ms')} ms, errors {level['errors']}, "
              f"lost bookings {level['bookings']['lost']}", flush=True)
    return {
        "method": (
            "For each concurrency level C, C simulated citizens (asyncio + one aiohttp session, "
            "no think time) each run booking conversations back to back, each conversation with "
            f"its own sender id: {STEPS} messages (booking wish with document, counter, day and "
            "hour; name; e-mail burger<n>@example.be; 'ja'; two questions). Conversations per "
            f"level: max(C, ceil(BENCH_THROUGHPUT_MESSAGES / {STEPS})), citizen k taking every "
            "C-th one. Every booking gets a distinct counter/day/hour (open days from "
            "service_catalogue.schedule via bookings.slot_plan, from tomorrow). Throughput = "
            "messages sent / wall time of the level. An error is an HTTP error/timeout, or a "
            "reply without the expected words (the rest of that conversation is then not sent). "
            "Lost bookings: reference codes given to citizens that are not in the SQLite store "
            "(read directly after the level); bookings without code: stored bookings of the "
            "level's contacts whose citizen got no code."
        ),
        "levels": results,
    }


def _level_result(served, concurrency, wall, outcomes: List[Outcome], calls: List[dict]) -> dict:
    latencies = [s for o in outcomes for s in o.latencies]
    stored = _stored(served)
    mine = {f"burger{o.number}@example.be": o for o in outcomes}
    given = {o.code for o in outcomes if o.code}
    in_store = {code for contact, code in stored.items() if contact in mine}
    failed_steps: Dict[str, int] = defaultdict(int)
    for o in outcomes:
        if o.failed_step:
            failed_steps[o.failed_step] += 1
    samples = [f"{o.failed_step}: {o.sample}" for o in outcomes if o.failed_step][:3]
    return {
        "concurrency": concurrency,
        "conversations": len(outcomes),
        "messages_sent": len(latencies),
        "messages_not_sent_after_error": sum(o.unsent for o in outcomes),
        "wall_seconds": round(wall, 2),
        "messages_per_second": round(len(latencies) / wall, 2) if wall else None,
        "bookings_per_minute": round(60 * len(given) / wall, 1) if wall else None,
        "latency": summarise(latencies),
        "errors": sum(1 for o in outcomes if o.http_error or o.failed_step),
        "http_errors": sum(1 for o in outcomes if o.http_error),
        "missing_expected_reply_by_step": dict(failed_steps),
        "failure_samples": samples,
        "bookings": {
            "codes_given": len(given),
            "in_store": len(in_store),
            "lost": len(given - in_store),
            "without_code": len(in_store - given),
        },
        "action_ms_per_message_mean": (
            round(1000 * sum(c["seconds"] for c in calls) / len(latencies), 1) if latencies else None
        ),
    }
