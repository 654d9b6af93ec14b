"""`python -m bench.publish`: puts the last full run's table and plots into the README.

The README shows figures of a named run, not of whatever ran last: this copies
reports/bench/README-table.md between the README's bench-table markers and the plots to
docs/benchmarks/, refusing a smoke run, whose tiny samples are not figures to quote.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from bench import ROOT

START = "<!-- bench-table:start (python -m bench.publish) -->"
END = "<!-- bench-table:end -->"


def publish(reports: Path = ROOT / "reports", readme: Path = ROOT / "README.md",
            docs: Path = ROOT / "docs" / "benchmarks") -> list:
    results = json.loads((reports / "benchmark.json").read_text())
    if results["settings"].get("BENCH_LABEL") != "full":
        raise SystemExit("the last run was a smoke run: run `make bench` first")
    table = (reports / "bench" / "README-table.md").read_text().strip()
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme.name} has no {START} ... {END} block")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{table}\n{END}{after}")
    docs.mkdir(parents=True, exist_ok=True)
    copied = []
    for plot in results.get("plots", []):
        shutil.copy(reports / plot, docs / Path(plot).name)
        copied.append(docs / Path(plot).name)
    return copied


if __name__ == "__main__":
    for path in publish():
        print(f"copied {path.relative_to(ROOT)}")
    print("README.md table updated")
    sys.exit(0)
