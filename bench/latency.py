"""Latency: N messages one after another, and how much of each the action server takes.

One message in flight at a time, so each figure is the assistant's own response time, not
queueing. The mix is fixed and cycles; every cycle is a new conversation (new sender id), so
trackers stay as short as a citizen's and the run is repeatable. With the timing proxy in front
of the action server, the action calls a message caused are read back after it, so the action
time per message is exact rather than estimated.
"""
from __future__ import annotations

import json
import statistics
import urllib.request
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from bench import summarise
from bench.client import say
from bench.servers import Served

# Questions whose answers come from custom actions, and greetings/thanks from the domain.
OUR_MIX = [
    "Goeiedag",
    "Wanneer is het loket in Berendrecht open?",
    "Moet ik langskomen voor een paspoort?",
    "kan ik een attest van woonst online aanvragen",
    "Naar welk loket kan ik vanop Linkeroever?",
    "Is het loket in Wilrijk open op maandag?",
    "Bedankt, tot ziens",
]
# The stock bot's own stories.
BASELINE_MIX = ["hello", "I am sad", "yes", "bye", "are you a bot?"]


def drain_timings(proxy_url: Optional[str]) -> List[dict]:
    """The proxy's action-call records since the last drain (and forgets them)."""
    if not proxy_url:
        return []
    with urllib.request.urlopen(f"{proxy_url}/bench/timings", timeout=30) as response:
        return json.loads(response.read())


def run(served: Served, count: int, mix: Sequence[str], label: str) -> dict:
    """Sends `count` messages after one unrecorded warm-up cycle of the mix."""
    for text in mix:
        say(served.url, f"{label}-warmup", text)
    drain_timings(served.proxy_url)

    records = []
    for index in range(count):
        cycle, position = divmod(index, len(mix))
        sender = f"{label}-{cycle}"
        text = mix[position]
        reply = say(served.url, sender, text)
        calls = drain_timings(served.proxy_url)
        records.append(
            {
                "text": text,
                "seconds": reply.seconds,
                "error": reply.error or (None if reply.text else "no reply"),
                "action_seconds": sum(c["seconds"] for c in calls),
                "actions": [c["action"] for c in calls],
                "foreign_calls": sum(1 for c in calls if c["sender"] != sender),
                "action_errors": sum(1 for c in calls if c["status"] != 200),
            }
        )
    return _result(records, served, mix)


def _result(records: List[dict], served: Served, mix: Sequence[str]) -> dict:
    latencies = [r["seconds"] for r in records]
    result = {
        "method": (
            f"{len(records)} messages sent one after another to POST /webhooks/rest/webhook "
            f"(urllib, new connection each), time from sending to the last byte of the reply; "
            f"the mix of {len(mix)} messages cycles, each cycle a new conversation; one "
            f"unrecorded warm-up cycle first. An error is an HTTP error, a timeout or an empty "
            f"reply. Percentiles by linear interpolation."
        ),
        "mix": list(mix),
        "latency": summarise(latencies),
        "errors": sum(1 for r in records if r["error"]),
        "error_kinds": _count(r["error"] for r in records if r["error"]),
        "latencies_ms": [round(s * 1000, 1) for s in latencies],
        "per_message": _per_message(records, with_actions=served.proxy_url is not None),
    }
    if served.proxy_url:
        action = [r["action_seconds"] for r in records]
        total = sum(latencies)
        per_action: Dict[str, List[float]] = defaultdict(list)
        result["action_server"] = {
            "method": (
                "A timing proxy (bench/action_proxy.py) sits between Rasa and the action "
                "server; for each action call it records the time from forwarding the request to "
                "the last byte of the action server's answer. After each message the calls it "
                "caused are read back and summed. Share = sum of action time / sum of latency."
            ),
            "action_ms_per_message": summarise(action),
            "share_of_latency": round(sum(action) / total, 3) if total else None,
            "messages_with_action_calls": sum(1 for r in records if r["actions"]),
            "action_calls": sum(len(r["actions"]) for r in records),
            "action_http_errors": sum(r["action_errors"] for r in records),
            "calls_of_other_conversations": sum(r["foreign_calls"] for r in records),
        }
        for r in records:
            if r["actions"] and len(r["actions"]) == 1:
                per_action[r["actions"][0]].append(r["action_seconds"])
        result["action_server"]["single_call_ms_by_action"] = {
            name: round(statistics.median(values) * 1000, 1) for name, values in per_action.items()
        }
    return result


def _per_message(records: List[dict], with_actions: bool) -> Dict[str, dict]:
    by_text: Dict[str, List[dict]] = defaultdict(list)
    for r in records:
        by_text[r["text"]].append(r)
    out = {}
    for text, rows in by_text.items():
        entry = {"count": len(rows), "p50_ms": summarise([r["seconds"] for r in rows])["p50_ms"]}
        if with_actions:
            entry["action_p50_ms"] = summarise([r["action_seconds"] for r in rows])["p50_ms"]
            entry["actions"] = sorted({a for r in rows for a in r["actions"]})
        out[text] = entry
    return out


def _count(items) -> Dict[str, int]:
    counts: Dict[str, int] = defaultdict(int)
    for item in items:
        counts[item] += 1
    return dict(counts)
