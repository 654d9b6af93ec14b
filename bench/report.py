"""The bench's outputs: reports/benchmark.json, plots under reports/bench/, a Markdown table.

Figures alone say little without the machine they came from (a 2-core machine shared with a
training run gives other numbers than an idle one), so the JSON carries the machine, the
versions, the load average before and after, and each measurement's method.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional

from bench import ROOT


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> Optional[float]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _run(*command: str) -> str:
    try:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def machine() -> Dict[str, Any]:
    def version(package: str) -> Optional[str]:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    model = ROOT / "models" / "stadsloket.tar.gz"
    return {
        "nproc": int(_run("nproc") or os.cpu_count() or 0),
        "cpu_model": _cpu_model(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "rasa": version("rasa"),
        "rasa_sdk": version("rasa-sdk"),
        "tensorflow": version("tensorflow"),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _run("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_run("git", "status", "--porcelain", "--untracked-files=no")),
        "model": {
            "path": str(model.relative_to(ROOT)),
            "bytes": model.stat().st_size if model.exists() else None,
            "modified": dt.datetime.fromtimestamp(model.stat().st_mtime, dt.timezone.utc)
            .isoformat(timespec="seconds") if model.exists() else None,
        },
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- derived figures -----------------------------------------------------------------------------


def _get(data: dict, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ratio(ours: Any, stock: Any) -> Optional[float]:
    if isinstance(ours, (int, float)) and isinstance(stock, (int, float)) and stock:
        return round(ours / stock, 2)
    return None


ROWS = [
    # label, path into the "ours"/"stock" results, unit
    ("latency p50", ("latency", "latency", "p50_ms"), "ms"),
    ("latency p95", ("latency", "latency", "p95_ms"), "ms"),
    ("latency p99", ("latency", "latency", "p99_ms"), "ms"),
    ("latency max", ("latency", "latency", "max_ms"), "ms"),
    ("startup to first answer", ("footprint", "startup", "seconds_to_first_answer"), "s"),
    ("RSS after start, all servers", ("footprint", "memory", "total", "rss_after_start_mb"), "MB"),
    ("RSS after start, rasa", ("footprint", "memory", "rasa", "rss_after_start_mb"), "MB"),
    ("RSS after the footprint messages, all servers",
     ("footprint", "memory", "total", "rss_after_messages_mb"), "MB"),
    ("RSS growth, all servers", ("footprint", "memory", "total", "growth_percent"), "%"),
    ("rasa RSS before a 200,000-character message",
     ("footprint", "long_message", "rasa_rss_before_mb"), "MB"),
    ("rasa RSS after a 200,000-character message",
     ("footprint", "long_message", "rasa_rss_after_mb"), "MB"),
]


def speed_targets(results: dict) -> Dict[str, dict]:
    """The issue's latency, throughput and memory targets, each with the measured figure."""
    out: Dict[str, dict] = {}

    def check(name: str, measured: Any, target: float, at_most: bool, note: str = "") -> None:
        if measured is None:
            return
        met = measured <= target if at_most else measured >= target
        out[name] = {"target": target, "at_most": at_most, "measured": measured, "met": met}
        if note:
            out[name]["note"] = note

    lat = _get(results, "ours", "latency", "latency") or {}
    check("latency p50 (ms)", lat.get("p50_ms"), 50, True)
    check("latency p95 (ms)", lat.get("p95_ms"), 100, True)
    check("latency p99 (ms)", lat.get("p99_ms"), 200, True)
    levels = _get(results, "ours", "throughput", "levels") or []
    if levels:
        best = max(levels, key=lambda lv: lv["messages_per_second"] or 0)
        clean = [lv for lv in levels if lv["latency"].get("p95_ms", 1e9) <= 400
                 and lv["errors"] == 0 and lv["bookings"]["lost"] == 0]
        best_clean = max((lv["messages_per_second"] for lv in clean), default=0.0)
        check("throughput with p95 <= 400 ms, no errors, no lost bookings (msg/s)", best_clean, 40,
              False, f"highest at any level: {best['messages_per_second']} msg/s at "
              f"{best['concurrency']} citizens (p95 {best['latency'].get('p95_ms')} ms)")
        check("errors at any concurrency", sum(lv["errors"] for lv in levels), 0, True)
        check("lost bookings at any concurrency", sum(lv["bookings"]["lost"] for lv in levels), 0, True)
    memory = _get(results, "ours", "footprint", "memory") or {}
    for server in ("rasa", "actions"):
        growth = _get(memory, server, "growth_percent")
        messages = _get(results, "ours", "footprint", "messages")
        check(f"RSS growth of the {server} server after {messages} messages (%)", growth, 5, True)
    return out


def comparison(results: dict) -> List[dict]:
    rows = []
    for label, path, unit in ROWS:
        ours, stock = _get(results, "ours", *path), _get(results, "stock", *path)
        if ours is None and stock is None:
            continue
        ratio = _ratio(ours, stock) if unit != "%" else None
        rows.append({"measure": label, "unit": unit, "ours": ours, "stock": stock,
                     "ours_over_stock": ratio})
    return rows


def merged_with_previous(results: dict, reports: Path) -> dict:
    """A partial run (--only) keeps the other phases' figures of the previous report, marked."""
    previous_file = reports / "benchmark.json"
    if not previous_file.exists():
        return results
    previous = json.loads(previous_file.read_text())
    carried = dict(previous.get("carried_over", {}))
    for who in ("ours", "stock"):
        for key, value in (previous.get(who) or {}).items():
            if key not in results[who]:
                results[who][key] = value
                carried.setdefault(f"{who}.{key}", previous.get("machine", {}).get("date"))
            else:
                carried.pop(f"{who}.{key}", None)
    results["carried_over"] = carried
    results["phase_seconds"] = {**previous.get("phase_seconds", {}), **results["phase_seconds"]}
    return results


# --- plots ---------------------------------------------------------------------------------------


def plots(results: dict, folder: Path) -> List[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []

    ours = _get(results, "ours", "latency", "latencies_ms")
    stock = _get(results, "stock", "latency", "latencies_ms")
    if ours:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        top = max(ours + (stock or []))
        bins = [top * i / 60 for i in range(61)]
        ax.hist(ours, bins=bins, alpha=0.7, label=f"stadsloket (n={len(ours)})")
        if stock:
            ax.hist(stock, bins=bins, alpha=0.7, label=f"stock rasa init (n={len(stock)})")
        for who, values, colour in (("ours", ours, "C0"), ("stock", stock, "C1")):
            if values:
                summary = results[who]["latency"]["latency"]
                for key, style in (("p50_ms", "-"), ("p95_ms", "--")):
                    ax.axvline(summary[key], color=colour, linestyle=style, linewidth=1)
        ax.set_xlabel("latency per message (ms); lines: p50 (solid) and p95 (dashed)")
        ax.set_ylabel("messages")
        ax.set_title("Sequential REST messages")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "latency_histogram.png", dpi=110)
        plt.close(fig)
        written.append("latency_histogram.png")

    levels = _get(results, "ours", "throughput", "levels")
    if levels:
        c = [lv["concurrency"] for lv in levels]
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        left.plot(c, [lv["messages_per_second"] for lv in levels], marker="o")
        left.set_xlabel("concurrent citizens")
        left.set_ylabel("messages per second")
        left.set_title("Throughput (booking conversations)")
        right.plot(c, [lv["latency"].get("p95_ms") for lv in levels], marker="o", color="C3",
                   label="p95")
        right.plot(c, [lv["latency"].get("p50_ms") for lv in levels], marker="o", color="C1",
                   label="p50")
        right.set_xlabel("concurrent citizens")
        right.set_ylabel("latency (ms)")
        right.set_title("Latency under load")
        right.legend()
        for axis in (left, right):
            axis.set_xticks(c)
            axis.set_ylim(bottom=0)
            axis.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(folder / "throughput.png", dpi=110)
        plt.close(fig)
        written.append("throughput.png")

    matrix = _get(results, "ours", "understanding", "test_set", "confusion")
    if matrix:
        written.append(_confusion_plot(plt, matrix, folder / "confusion_matrix.png",
                                       "Intents on the held-out test set"))

    series = []
    for who in ("ours", "stock"):
        samples = _get(results, who, "footprint", "rss_samples_kb")
        if samples:
            for server in (k for k in samples[0] if k != "messages"):
                series.append((f"{who}: {server}", [s["messages"] for s in samples],
                               [s[server] / 1024 for s in samples]))
    if series:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for label, x, y in series:
            ax.plot(x, y, marker=".", label=label)
        ax.set_xlabel("messages since the first answer")
        ax.set_ylabel("RSS (MB)")
        ax.set_title("Resident memory while serving")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "memory.png", dpi=110)
        plt.close(fig)
        written.append("memory.png")
    return written


def _confusion_plot(plt, confusion: dict, path: Path, title: str) -> str:
    import numpy as np

    rows, columns = confusion["rows"], confusion["columns"]
    counts = np.asarray(confusion["matrix"], dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(11, 9.5))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(columns)), columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for i in range(len(rows)):
        for j in range(len(columns)):
            if counts[i, j]:
                ax.text(j, i, int(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if shares[i, j] > 0.6 else "black")
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("labelled intent")
    ax.set_title(f"{title} (cell colour: share of the row)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


# --- tables --------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def markdown(results: dict) -> str:
    m = results["machine"]
    settings = results["settings"]
    lines = [
        f"{'Smoke run (tiny samples, not for comparison). ' if settings['BENCH_LABEL'] == 'smoke' else ''}"
        f"Measured {m['date'][:10]} on {m['nproc']} × {m['cpu_model']}, {m['ram_gb']} GB RAM "
        f"(load average {', '.join(map(str, m['load_average_at_start']))} at the start), "
        f"Python {m['python']}, Rasa {m['rasa']}, rasa-sdk {m['rasa_sdk']}; "
        f"{settings['BENCH_MESSAGES']} sequential messages, "
        f"{settings['BENCH_FOOTPRINT_MESSAGES']} footprint messages.",
        "",
        "| measure | stadsloket | stock `rasa init` | stadsloket / stock |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in results["comparison"]:
        lines.append(f"| {row['measure']} ({row['unit']}) | {_fmt(row['ours'])} | "
                     f"{_fmt(row['stock'])} | {_fmt(row['ours_over_stock'])} |")
    share = _get(results, "ours", "latency", "action_server", "share_of_latency")
    action = _get(results, "ours", "latency", "action_server", "action_ms_per_message", "mean_ms")
    lines = lines[:2] + _understanding_lines(results) + lines[2:]
    if share is not None:
        lines.append(f"| action server time per message, mean (ms) | {_fmt(action)} | – | – |")
        lines.append(f"| action server share of latency | {share:.0%} | – | – |")
    levels = _get(results, "ours", "throughput", "levels")
    if levels:
        lines += [
            "",
            "| concurrent citizens | messages/s | p50 (ms) | p95 (ms) | errors | bookings | lost bookings |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for lv in levels:
            lines.append(
                f"| {lv['concurrency']} | {_fmt(lv['messages_per_second'])} | "
                f"{_fmt(lv['latency'].get('p50_ms'))} | {_fmt(lv['latency'].get('p95_ms'))} | "
                f"{lv['errors']} | {lv['bookings']['codes_given']} | {lv['bookings']['lost']} |"
            )
    runs = _get(results, "ours", "replicas", "runs")
    if runs:
        lines += [
            "",
            "| Rasa replicas behind nginx | concurrent citizens | messages/s | p95 (ms) | errors | lost bookings "
            "| cores idle during the level |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for run in runs:
            for lv in run["levels"]:
                lines.append(
                    f"| {run['replicas']} | {lv['concurrency']} | {_fmt(lv['messages_per_second'])} | "
                    f"{_fmt(lv['latency'].get('p95_ms'))} | {lv['errors']} | {lv['bookings']['lost']} | "
                    f"{lv['cores_idle_during_level']} of {lv['cores']} |"
                )
    lines += _speed_lines(results)
    lines += _other_lines(results)
    if results.get("carried_over"):
        lines += ["", "Carried over from an earlier run: " + ", ".join(
            f"{key} ({when[:16] if when else '?'})" for key, when in sorted(results["carried_over"].items()))]
    return "\n".join(lines) + "\n"


def _understanding_lines(results: dict) -> List[str]:
    held = _get(results, "ours", "understanding")
    if not held:
        return []
    names = {
        "intent_accuracy_min": "intent accuracy, held-out set",
        "intent_macro_f1_min": "intent macro-F1, held-out set",
        "lowest_intent_f1_min": "lowest intent F1",
        "entity_f1_min": "counter/product entity F1",
        "typo_points_lost_max": "accuracy points lost on the typo copy",
        "out_of_scope_recall_min": "out-of-scope recall",
    }
    lines = ["| understanding | target | measured | met |", "| --- | ---: | ---: | :---: |"]
    for key, check in held["targets"].items():
        bound = "≤" if key.endswith("_max") else "≥"
        extra = ""
        if key == "lowest_intent_f1_min":
            extra = f" ({held['test_set']['lowest_intent_f1']['intent']})"
        lines.append(f"| {names[key]}{extra} | {bound} {check['target']} | "
                     f"{_fmt(check['measured'])} | {'yes' if check['met'] else '**no**'} |")
    typo = held["typo_copy"]
    lines.append(f"| typo copy: intent accuracy / macro-F1 / entity F1 | – | "
                 f"{_fmt(typo['intent_accuracy'])} / {_fmt(typo['intent_macro_f1'])} / "
                 f"{_fmt(typo['entity_f1'])} | – |")
    cv = _get(results, "ours", "cross_validation")
    if cv:
        lines.append(
            f"| {len(cv['folds'])}-fold cross-validation: intent accuracy / macro-F1 / entity F1 "
            f"(mean ± SD) | – | {cv['intent_accuracy']['mean']:.3f} ± {cv['intent_accuracy']['sd']:.3f} / "
            f"{cv['intent_macro_f1']['mean']:.3f} ± {cv['intent_macro_f1']['sd']:.3f} / "
            f"{cv['entity_f1']['mean']:.3f} ± {cv['entity_f1']['sd']:.3f} | – |")
    lines.append(f"| parse time per message, in-process (ms) | – | {_fmt(held['mean_parse_ms'])} | – |")
    return lines + [""]


def _speed_lines(results: dict) -> List[str]:
    lines = []
    targets = results.get("speed_targets") or {}
    if targets:
        lines += ["", "| speed and memory target | target | measured | met |",
                  "| --- | ---: | ---: | :---: |"]
        for name, t in targets.items():
            note = f" ({t['note']})" if t.get("note") else ""
            lines.append(f"| {name}{note} | {'≤' if t['at_most'] else '≥'} {_fmt(t['target'])} | "
                         f"{_fmt(t['measured'])} | {'yes' if t['met'] else '**no**'} |")
    changes = _get(results, "ours", "improvements", "changes") or []
    if changes:
        lines += ["", "| change | p50 before → after (ms) | p95 before → after (ms) "
                      "| Rasa CPU per message before → after (ms) "
                      "| msg/s at 20 citizens before → after | kept |",
                  "| --- | ---: | ---: | ---: | ---: | :---: |"]
        for c in changes:
            b, a = c["before_figures"], c["after_figures"]
            lines.append(
                f"| {c['change']} | {_fmt(b['latency']['p50_ms'])} → {_fmt(a['latency']['p50_ms'])} "
                f"| {_fmt(b['latency']['p95_ms'])} → {_fmt(a['latency']['p95_ms'])} "
                f"| {_fmt(b['rasa_cpu_ms_per_message'])} → {_fmt(a['rasa_cpu_ms_per_message'])} "
                f"| {_fmt(b['throughput']['messages_per_second'])} → "
                f"{_fmt(a['throughput']['messages_per_second'])} | {'yes' if c['kept'] else 'no'} |")
    return lines


def _other_lines(results: dict) -> List[str]:
    lines = []
    stories = _get(results, "ours", "conversation_tests")
    turns = _get(results, "ours", "booking_turns")
    train = _get(results, "ours", "training")
    if stories or turns or train:
        lines += ["", "| conversations and training | measured |", "| --- | ---: |"]
    if stories:
        lines.append(f"| conversation tests passed (`rasa test core`) | {stories['stories_passed']}/"
                     f"{stories['stories']} stories, action accuracy {_fmt(stories['action_accuracy'])} |")
    if turns:
        for key, label in (("everything_in_one_sentence", "everything in one sentence"),
                           ("question_by_question", "question by question, first button each time")):
            t = turns[key]
            lines.append(f"| turns to a booking: {label} | {t['turns']}"
                         f"{'' if t['booked'] else ' (**no booking**: ' + str(t.get('error')) + ')'} |")
    if train:
        lines.append(f"| training from scratch (s) | {_fmt(train['from_scratch_seconds'])} |")
        lines.append(f"| training after an NLU-only change (s) | {_fmt(train['after_nlu_change_seconds'])} |")
    return lines


def console(results: dict) -> str:
    rows = [("measure", "stadsloket", "stock", "ratio")]
    for row in results["comparison"]:
        rows.append((f"{row['measure']} ({row['unit']})", _fmt(row["ours"]), _fmt(row["stock"]),
                     _fmt(row["ours_over_stock"])))
    share = _get(results, "ours", "latency", "action_server", "share_of_latency")
    if share is not None:
        rows.append(("action server share of latency", f"{share:.0%}", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                     for i, (cell, w) in enumerate(zip(r, widths))) for r in rows]
    levels = _get(results, "ours", "throughput", "levels")
    if levels:
        out.append("")
        out.append("    C   msg/s   p50 ms   p95 ms  errors  bookings  lost")
        for lv in levels:
            out.append(
                f"{lv['concurrency']:>5} {lv['messages_per_second']:>7.2f} "
                f"{_fmt(lv['latency'].get('p50_ms')):>8} {_fmt(lv['latency'].get('p95_ms')):>8} "
                f"{lv['errors']:>7} {lv['bookings']['codes_given']:>9} {lv['bookings']['lost']:>5}"
            )
    runs = _get(results, "ours", "replicas", "runs")
    if runs:
        out.append("")
        out.append(" replicas    C   msg/s   p95 ms  errors  lost  idle cores")
        for run in runs:
            for lv in run["levels"]:
                out.append(
                    f"{run['replicas']:>9} {lv['concurrency']:>4} {lv['messages_per_second']:>7.2f} "
                    f"{_fmt(lv['latency'].get('p95_ms')):>8} {lv['errors']:>7} {lv['bookings']['lost']:>5} "
                    f"{lv['cores_idle_during_level']:>6} of {lv['cores']}"
                )
    if results["settings"]["BENCH_LABEL"] == "smoke":
        out.insert(0, "SMOKE RUN: tiny samples, a check that everything works, not figures to quote.")
    return "\n".join(out)


def write(results: dict, reports: Path) -> List[Path]:
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["comparison"] = comparison(results)
    results["speed_targets"] = speed_targets(results)
    folder = reports / "bench"
    results["plots"] = [f"bench/{name}" for name in plots(results, folder)]
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "benchmark.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (folder / "README-table.md").write_text(markdown(results))
    return [reports / "benchmark.json", folder / "README-table.md",
            *(reports / p for p in results["plots"])]
