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
]


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
    return "\n".join(lines) + "\n"


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
    if results["settings"]["BENCH_LABEL"] == "smoke":
        out.insert(0, "SMOKE RUN: tiny samples, a check that everything works, not figures to quote.")
    return "\n".join(out)


def write(results: dict, reports: Path) -> List[Path]:
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["comparison"] = comparison(results)
    folder = reports / "bench"
    results["plots"] = [f"bench/{name}" for name in plots(results, folder)]
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "benchmark.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (folder / "README-table.md").write_text(markdown(results))
    return [reports / "benchmark.json", folder / "README-table.md",
            *(reports / p for p in results["plots"])]
