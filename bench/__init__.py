"""`make bench`: latency, throughput and footprint of the assistant as it is served.

Everything is measured over HTTP against real processes (action server + `rasa run` with the
REST channel), because that is what a citizen waits for; in-process timings would miss the
channel, the action round trip and the server's own overhead. The stock `rasa init` assistant is
measured the same way in the same run, so that figures from a loaded or slow machine can still be
read as ratios. Sizes come from the environment (see `Settings`), so `make bench-smoke` checks
the whole path in a few minutes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass(frozen=True)
class Settings:
    """Sizes of one run; each comes from an environment variable of the same name."""

    messages: int = field(default_factory=lambda: _int("BENCH_MESSAGES", 1000))
    concurrency: List[int] = field(
        default_factory=lambda: [int(c) for c in (os.environ.get("BENCH_CONCURRENCY") or "1 5 20 50").split()]
    )
    # Messages per concurrency level (at least one booking conversation per citizen).
    throughput_messages: int = field(default_factory=lambda: _int("BENCH_THROUGHPUT_MESSAGES", 300))
    footprint_messages: int = field(default_factory=lambda: _int("BENCH_FOOTPRINT_MESSAGES", 10000))
    # 1 vs 2 replicas behind nginx (bench.replicas): citizens at once, and messages per level.
    replica_concurrency: List[int] = field(
        default_factory=lambda: [int(c) for c in (os.environ.get("BENCH_REPLICA_CONCURRENCY") or "20 50").split()]
    )
    replica_messages: int = field(default_factory=lambda: _int("BENCH_REPLICA_MESSAGES", 300))
    # Parallel senders while the footprint messages are sent (only to get them through quickly).
    footprint_concurrency: int = field(default_factory=lambda: _int("BENCH_FOOTPRINT_CONCURRENCY", 4))
    improvement_messages: int = field(default_factory=lambda: _int("BENCH_IMPROVEMENT_MESSAGES", 300))
    folds: int = field(default_factory=lambda: _int("BENCH_FOLDS", 5))
    # "smoke" for `make bench-smoke`, so small-sample figures are never mistaken for a real run.
    label: str = field(default_factory=lambda: os.environ.get("BENCH_LABEL") or "full")
    reports: Path = field(default_factory=lambda: ROOT / (os.environ.get("BENCH_REPORTS") or "reports"))
    workdir: Path = field(default_factory=lambda: ROOT / "build" / "bench")

    def as_dict(self) -> dict:
        return {
            "BENCH_LABEL": self.label,
            "BENCH_MESSAGES": self.messages,
            "BENCH_CONCURRENCY": self.concurrency,
            "BENCH_THROUGHPUT_MESSAGES": self.throughput_messages,
            "BENCH_FOOTPRINT_MESSAGES": self.footprint_messages,
            "BENCH_FOOTPRINT_CONCURRENCY": self.footprint_concurrency,
            "BENCH_FOLDS": self.folds,
            "BENCH_IMPROVEMENT_MESSAGES": self.improvement_messages,
            "BENCH_REPLICA_CONCURRENCY": self.replica_concurrency,
            "BENCH_REPLICA_MESSAGES": self.replica_messages,
        }


def summarise(seconds: List[float]) -> dict:
    """Percentiles in milliseconds (numpy's linear interpolation), the same for every phase."""
    import numpy as np

    if not seconds:
        return {"count": 0}
    ms = np.asarray(seconds) * 1000.0
    return {
        "count": int(ms.size),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "mean_ms": round(float(ms.mean()), 1),
        "min_ms": round(float(ms.min()), 1),
        "max_ms": round(float(ms.max()), 1),
    }
