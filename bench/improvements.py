"""Before and after: each change the profile led to, measured both ways in the same run.

Each configuration is started on its own; it gets the latency mix one message at a time and then
a short throughput level of concurrent booking conversations. Besides wall-clock figures, the
Rasa server's own CPU time per message is read from /proc: on a shared machine it is the
steadier of the two. A change's gain is then a figure of this machine today, not a remembered one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

from bench import latency, throughput
from bench.servers import served_assistant

PLAIN = {"launcher": "rasa", "workers": 1}
PATCHED = {"launcher": "serving", "workers": 1}
TWO_WORKERS = {"launcher": "serving", "workers": 2}

CHANGES = [
    {
        "change": "Action server answers validated with one prebuilt JSON-schema validator "
                  "(serving/action_response_check.py) instead of jsonschema.validate, which "
                  "re-checks Rasa's response schema against the draft 2020-12 meta-schema on "
                  "every action call",
        "found_by": "py-spy profile of `rasa run` (make bench-profile): jsonschema held about a "
                    "third of the server's samples, nearly all under "
                    "RemoteAction._validate_action_result",
        "before": PLAIN,
        "after": PATCHED,
        "kept": True,
    },
    {
        "change": "Two Sanic workers (SANIC_WORKERS=2) sharing conversations through Redis "
                  "(tracker store and lock store), instead of one process keeping them in memory",
        "found_by": "one `rasa run` process uses one core at most; the profile shows the time "
                    "is CPU in that process",
        "before": PATCHED,
        "after": TWO_WORKERS,
        "kept": False,  # measured as an option for operators; see the README
    },
]


def _key(config: Dict) -> Tuple:
    return config["launcher"], config["workers"]


def _measure(workdir: Path, config: Dict, messages: int, concurrency: int) -> dict:
    label = f"improvement-{config['launcher']}-{config['workers']}w"
    with served_assistant(workdir, label, with_proxy=False, rasa_launcher=config["launcher"],
                          workers=config["workers"]) as served:
        rasa = served.servers["rasa"]
        cpu_before = rasa.cpu_seconds()
        sequential = latency.run(served, messages, latency.OUR_MIX, f"ab-{label}")
        cpu = rasa.cpu_seconds() - cpu_before
        level = throughput.run(served, [concurrency], messages)["levels"][0]
    sent = messages + len(latency.OUR_MIX)  # latency.run's warm-up cycle included
    return {
        "configuration": config,
        "latency": sequential["latency"],
        "errors": sequential["errors"],
        "rasa_cpu_ms_per_message": round(1000 * cpu / sent, 1),
        "throughput": {key: level[key] for key in
                       ("concurrency", "messages_per_second", "latency", "errors", "bookings")},
    }


def _less(before: float, after: float) -> float:
    return round(100 * (before - after) / before, 1) if before else 0.0


def run(workdir: Path, messages: int, concurrency: int = 20) -> dict:
    measured: Dict[Tuple, dict] = {}
    changes = []
    for change in CHANGES:
        for side in ("before", "after"):
            if _key(change[side]) not in measured:
                measured[_key(change[side])] = _measure(workdir, change[side], messages, concurrency)
        before, after = measured[_key(change["before"])], measured[_key(change["after"])]
        changes.append({
            **change,
            "before_figures": before,
            "after_figures": after,
            "p50_less_percent": _less(before["latency"]["p50_ms"], after["latency"]["p50_ms"]),
            "p95_less_percent": _less(before["latency"]["p95_ms"], after["latency"]["p95_ms"]),
            "rasa_cpu_less_percent": _less(before["rasa_cpu_ms_per_message"],
                                           after["rasa_cpu_ms_per_message"]),
            "throughput_more_percent": -_less(before["throughput"]["messages_per_second"],
                                              after["throughput"]["messages_per_second"]),
        })
    return {
        "method": (
            "Each configuration is started on its own (fresh bookings file); the latency mix "
            f"is sent once unmeasured, then {messages} messages one after another "
            f"(bench/latency.py), then one throughput level of {concurrency} concurrent booking "
            f"conversations, about {messages} messages (bench/throughput.py). Rasa CPU per "
            "message = utime+stime of the Rasa server process and its children from /proc "
            "over the sequential messages, divided by their number. Configurations: "
            "launcher `rasa` = plain `rasa run`, `serving` = `python -m serving run`."
        ),
        "changes": changes,
    }
