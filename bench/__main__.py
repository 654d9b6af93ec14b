"""`python -m bench [--only PHASE ...] [--no-baseline]`

Runs the measurements one after another, never two at once: understanding (held-out set, typo
copy), conversations, latency and throughput (on one instance behind the action timing proxy),
the stock assistant's latency, a fresh start of each for the footprint, 1 vs 2 replicas behind
nginx (bench.replicas), then the slow ones:
cross-validation and training time. Sizes come from BENCH_* variables (see bench.Settings).
Writes reports/benchmark.json, reports/bench/*.png and reports/bench/README-table.md; with
--only, the phases not run keep their figures from the previous report (each phase says when it
ran).
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from contextlib import contextmanager

from bench import (Settings, conversations, footprint, improvements, latency, replicas, report,
                   throughput, training, understanding)
from bench.servers import MODEL, ensure_baseline, served_assistant, served_baseline

PHASES = ("understanding", "conversations", "latency", "throughput", "footprint", "improvements",
          "replicas", "cross_validation", "training")


def _stop_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # so every `finally` stops its servers


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=PHASES,
                        help="run only this measurement (repeatable)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the stock rasa init assistant (no ratios then)")
    args = parser.parse_args(argv)
    phases = set(args.only or PHASES)
    with_baseline = not args.no_baseline and bool(phases & {"latency", "footprint"})
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    settings = Settings()
    # Each phase clears its own folder under the workdir, so runs of other phases keep theirs.
    settings.workdir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    results = {
        "settings": settings.as_dict(),
        "phases": sorted(phases),
        "machine": report.machine(),
        "ours": {},
        "stock": {},
        "phase_seconds": {},
    }

    @contextmanager
    def phase(name: str):
        print(f"[{time.perf_counter() - began:7.1f} s] {name}", flush=True)
        start = time.perf_counter()
        yield
        results["phase_seconds"][name] = round(time.perf_counter() - start, 1)

    if "understanding" in phases:
        with phase("stadsloket: understanding on the held-out set and its typo copy"):
            results["ours"]["understanding"] = understanding.held_out(MODEL)

    if with_baseline:
        with phase("stock assistant: rasa init (once, reused while its model exists)"):
            results["stock"]["model"] = ensure_baseline(settings.workdir)

    if "conversations" in phases:
        with phase("stadsloket: conversation tests (rasa test core)"):
            results["ours"]["conversation_tests"] = conversations.story_tests(settings.workdir)

    if phases & {"latency", "throughput", "conversations"}:
        print("stadsloket: starting behind the action timing proxy", flush=True)
        with served_assistant(settings.workdir, "ours", with_proxy=True) as served:
            results["ours"]["startup_of_latency_instance"] = served.startup
            print(f"  first answer after {served.startup['seconds_to_first_answer']} s", flush=True)
            if "conversations" in phases:
                with phase("stadsloket: turns needed for a booking"):
                    results["ours"]["booking_turns"] = conversations.booking_turns(served)
            if "latency" in phases:
                with phase(f"stadsloket: latency, {settings.messages} messages"):
                    results["ours"]["latency"] = latency.run(
                        served, settings.messages, latency.OUR_MIX, "lat")
            if "throughput" in phases:
                with phase(f"stadsloket: throughput at concurrency {settings.concurrency}"):
                    results["ours"]["throughput"] = throughput.run(
                        served, settings.concurrency, settings.throughput_messages)

    if "latency" in phases and with_baseline:
        with phase(f"stock assistant: start + latency, {settings.messages} messages"):
            with served_baseline(settings.workdir, "stock") as served:
                results["stock"]["startup_of_latency_instance"] = served.startup
                results["stock"]["latency"] = latency.run(
                    served, settings.messages, latency.BASELINE_MIX, "lat")

    if "footprint" in phases:
        m, c = settings.footprint_messages, settings.footprint_concurrency
        with phase(f"stadsloket: footprint, fresh start + {m} messages"):
            results["ours"]["footprint"] = footprint.run(
                lambda: served_assistant(settings.workdir, "ours-footprint", with_proxy=False),
                m, latency.OUR_MIX, c, "fp", with_long_message=True)
        if with_baseline:
            with phase(f"stock assistant: footprint, fresh start + {m} messages"):
                results["stock"]["footprint"] = footprint.run(
                    lambda: served_baseline(settings.workdir, "stock-footprint"),
                    m, latency.BASELINE_MIX, c, "fp")

    if "improvements" in phases:
        with phase(f"stadsloket: before/after each improvement, {settings.improvement_messages} messages each"):
            results["ours"]["improvements"] = improvements.run(
                settings.workdir, settings.improvement_messages)

    if "replicas" in phases:
        levels, m = settings.replica_concurrency, settings.replica_messages
        with phase(f"stadsloket: 1 vs 2 replicas behind nginx at {levels} citizens, {m} messages each"):
            results["ours"]["replicas"] = replicas.run(settings.workdir, levels, m)

    if "cross_validation" in phases:
        with phase(f"stadsloket: {settings.folds}-fold cross-validation (trains {settings.folds} NLU models)"):
            results["ours"]["cross_validation"] = understanding.cross_validation(
                settings.workdir / "cross-validation", settings.folds)

    if "training" in phases:
        with phase("stadsloket: training time, from scratch and after an NLU-only change"):
            results["ours"]["training"] = training.run(settings.workdir)

    results["total_seconds"] = round(time.perf_counter() - began, 1)
    if args.only:
        results = report.merged_with_previous(results, settings.reports)
    written = report.write(results, settings.reports)
    print()
    print(report.console(results))
    print()
    print(f"Total {results['total_seconds']} s. Wrote " + ", ".join(str(p) for p in written))
    print(f"Server logs of this run: {settings.workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
