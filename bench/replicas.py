"""1 against 2 Rasa replicas behind nginx, as `make cluster` runs them (production profile: a
PostgreSQL database of its own on the machine's server, the machine's Redis), at the same
concurrency levels, in one run. Throughput and p95 come from bench.throughput's booking
conversations; with them, the share of the machine's cores that was idle during each level
(/proc/stat) and the CPU our servers used, because on a 2-core machine a second replica competes
with the first for the same cores: the figures say what was measured, and the README projects
to more cores on paper.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import sqlalchemy as sa

from bench import throughput
from bench.servers import Served, _server_env
from serving.launcher import Stack
from serving.profile import ensure_database

DATABASE_ENV = "STADSLOKET_BENCH_DATABASE_URL"  # a PostgreSQL server; a database is made per run
REDIS_ENV = "STADSLOKET_BENCH_REDIS_URL"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/2"


def _cpu_jiffies() -> Tuple[int, int]:
    """(idle, total) jiffies of all cores since boot."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return idle, sum(fields[:8])


def _database(replicas: int) -> str:
    base = sa.engine.make_url(os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE)
    url = str(base.set(database=f"stadsloket_bench_{replicas}r_{int(time.time())}"))
    ensure_database(url)
    return url


def _drop(url: str) -> None:
    target = sa.engine.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _measure(workdir: Path, replicas: int, levels: Sequence[int], messages: int) -> dict:
    url = _database(replicas)
    stack = None
    try:
        env = _server_env(STADSLOKET_DATABASE_URL=url,
                          STADSLOKET_REDIS_URL=os.environ.get(REDIS_ENV) or DEFAULT_REDIS)
        stack = Stack(workdir / f"replicas-{replicas}", replicas=replicas, action_servers=replicas, balancer=True,
                      env={k: v for k, v in env.items() if k.startswith(("STADSLOKET_", "TICKET_"))})
        started = stack.start()
        served = Served(f"{replicas} replica(s)", stack.url, {s.name: s for s in stack.rasas + stack.actions},
                        bookings_url=url)
        result: Dict[str, object] = {"replicas": replicas, "action_servers": replicas,
                                     "seconds_to_start": started, "levels": []}
        first = 0
        for level in levels:
            idle0, total0 = _cpu_jiffies()
            cpu0 = {name: server.cpu_seconds() for name, server in served.servers.items()}
            measured = throughput.run(served, [level], messages, first=first)["levels"][0]
            first += measured["conversations"]
            idle1, total1 = _cpu_jiffies()
            cores = os.cpu_count() or 1
            measured["cores"] = cores
            measured["cores_idle_during_level"] = round(cores * (idle1 - idle0) / max(total1 - total0, 1), 2)
            measured["cpu_seconds_by_server"] = {
                name: round(server.cpu_seconds() - cpu0[name], 1) for name, server in served.servers.items()
            }
            measured["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
            result["levels"].append(measured)
            print(f"  {replicas} replica(s), {level} citizens: {measured['messages_per_second']} msg/s, "
                  f"p95 {measured['latency'].get('p95_ms')} ms, {measured['cores_idle_during_level']} "
                  f"of {cores} cores idle", flush=True)
        return result
    finally:
        if stack is not None:
            stack.stop()
        _drop(url)


def run(workdir: Path, levels: Sequence[int], messages: int) -> dict:
    measured: List[dict] = [_measure(workdir, replicas, levels, messages) for replicas in (1, 2)]
    return {
        "method": (
            "The same booking conversations as the throughput phase (distinct slots, no think time), "
            "through nginx in front of N Rasa replicas and N action servers (serving.launcher.Stack, "
            "the topology of make cluster), for N = 1 then N = 2, one after the other in one run. "
            "Conversations in PostgreSQL (a database made for the run on STADSLOKET_BENCH_DATABASE_URL's "
            "server, dropped afterwards), locks and socket.io rooms in Redis (STADSLOKET_BENCH_REDIS_URL), "
            "rate limits off (every client is 127.0.0.1). Idle cores: the machine's idle share of "
            "/proc/stat during the level times the core count; CPU by server: user+system seconds."
        ),
        "runs": measured,
    }
