"""Footprint: time to the first answer, and resident memory before and after M messages.

A fresh start each time (no timing proxy, as the launcher serves it): the clock runs from starting
the servers to the first real answer, because that, not "port open", is when a citizen can be
helped. Memory is the RSS of each server process (with any children) from /proc, sampled right
after that first answer and again as the messages go through. Trackers stay in Rasa's default
in-memory store, so part of the growth is the conversations themselves, as in production.
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable, ContextManager, Dict, List, Sequence

from bench.client import AsyncCitizenClient, say
from bench.servers import Served

SAMPLES = 10
LONG_MESSAGE_CHARS = 200_000
LONG_MESSAGE_QUESTION = "Wanneer is het loket in Berendrecht open? "


def long_message(served: Served) -> dict:
    """One message of 200,000 characters (a question pasted over and over, as in the incident
    that took the server down): the Rasa server's memory before and after, and its answer.
    Only for our assistant, whose guard refuses it before NLU; the stock one would try to
    featurize it and grow by many gigabytes."""
    text = (LONG_MESSAGE_QUESTION * (LONG_MESSAGE_CHARS // len(LONG_MESSAGE_QUESTION) + 1))[:LONG_MESSAGE_CHARS]
    before = served.servers["rasa"].rss_kb()
    began = time.perf_counter()
    reply = say(served.url, "fp-long-message", text, timeout=600)
    seconds = time.perf_counter() - began
    after = served.servers["rasa"].rss_kb()
    return {
        "characters": LONG_MESSAGE_CHARS,
        "rasa_rss_before_mb": round(before / 1024, 1),
        "rasa_rss_after_mb": round(after / 1024, 1),
        "rasa_peak_rss_mb": round(served.servers["rasa"].peak_rss_kb() / 1024, 1),
        "reply_seconds": round(seconds, 3),
        "reply": reply.text if reply.error is None else f"error: {reply.error}",
    }


async def _send(served: Served, messages: int, mix: Sequence[str], concurrency: int, label: str,
                samples: List[dict]) -> int:
    """Sends the mix (one conversation per cycle) in SAMPLES chunks, sampling RSS after each."""
    errors = 0
    chunk = max(1, -(-messages // SAMPLES))
    async with AsyncCitizenClient(served.url, concurrency) as client:
        sent = 0
        while sent < messages:
            todo = list(range(sent, min(sent + chunk, messages)))

            async def worker(k: int) -> int:
                failed = 0
                for index in todo[k::concurrency]:
                    cycle, position = divmod(index, len(mix))
                    reply = await client.say(f"{label}-{cycle}", mix[position])
                    failed += bool(reply.error or not reply.text)
                return failed

            errors += sum(await asyncio.gather(*(worker(k) for k in range(concurrency))))
            sent += len(todo)
            samples.append({"messages": sent, **served.rss_kb()})
    return errors


def run(start: Callable[[], ContextManager[Served]], messages: int, mix: Sequence[str],
        concurrency: int, label: str, with_long_message: bool = False) -> dict:
    with start() as served:
        after_start = served.rss_kb()
        samples = [{"messages": 0, **after_start}]
        began = time.perf_counter()
        # A conversation is one cycle of the mix, so senders of parallel workers never mix.
        errors = asyncio.run(_send(served, messages, mix, concurrency, label, samples))
        seconds = time.perf_counter() - began
        after = served.rss_kb()
        peak = {name: server.peak_rss_kb() for name, server in served.servers.items()}
        startup = dict(served.startup)
        long = long_message(served) if with_long_message else None

    def mb(kb: int) -> float:
        return round(kb / 1024, 1)

    memory: Dict[str, dict] = {}
    for name in after_start:
        memory[name] = {
            "rss_after_start_mb": mb(after_start[name]),
            "rss_after_messages_mb": mb(after[name]),
            "growth_percent": round(100 * (after[name] - after_start[name]) / after_start[name], 1),
            "peak_rss_mb": mb(peak[name]),
        }
    total_start, total_after = sum(after_start.values()), sum(after.values())
    memory["total"] = {
        "rss_after_start_mb": mb(total_start),
        "rss_after_messages_mb": mb(total_after),
        "growth_percent": round(100 * (total_after - total_start) / total_start, 1),
    }
    return {
        "method": (
            "Fresh start of the served assistant (servers started together, as serving/launcher.py "
            "does); startup = seconds from starting the first server to the first reply that "
            f"answers the probe question {startup.get('probe')!r} (polled every 0.25 s, each poll "
            "a new conversation). RSS = VmRSS from /proc/<pid>/status of each server process "
            "plus its children, after the first answer and after the messages. The messages are "
            f"the latency mix cycling (one conversation per cycle, {concurrency} senders in "
            "parallel, only to get them through); RSS sampled after every tenth of them. "
            "Peak = VmHWM of the server process."
        ),
        "startup": startup,
        "messages": messages,
        "messages_errors": errors,
        "messages_seconds": round(seconds, 1),
        "memory": memory,
        "rss_samples_kb": samples,
        **({"long_message": long} if long else {}),
    }
