"""`python -m bench.profile [--messages N]`: where the Rasa server spends a message's time.

Serves the assistant as the bench does, samples the `rasa run` process with py-spy (a sampling
profiler that attaches from outside, so the server runs unmodified) while N messages of the
latency mix go through one after another, and writes the functions that hold the most samples,
inclusive and exclusive, to reports/bench/profile-rasa.txt plus a flame graph (SVG).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

from bench import ROOT, Settings
from bench.client import say
from bench.latency import OUR_MIX
from bench.servers import served_assistant

PY_SPY = Path(sys.executable).parent / "py-spy"
TOP = 40


def _frames(stack: str) -> List[str]:
    """py-spy's collapsed format: frames joined by ';', each 'function (file:line)'."""
    frames = []
    for frame in stack.split(";"):
        name, _, where = frame.partition(" (")
        where = where.rstrip(")").rsplit(":", 1)[0]
        if "site-packages/" in where:
            where = where.split("site-packages/", 1)[1]
        elif str(ROOT) in where:
            where = where.replace(str(ROOT) + "/", "")
        frames.append(f"{name} ({where})")
    return frames


def summarise(collapsed: str) -> Tuple[int, Dict[str, int], Dict[str, int]]:
    """Total samples, and samples per function counted inclusively and exclusively."""
    inclusive: Counter = Counter()
    exclusive: Counter = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = _frames(stack)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        exclusive[frames[-1]] += samples
    return total, dict(inclusive), dict(exclusive)


def render(total: int, inclusive: Dict[str, int], exclusive: Dict[str, int], messages: int) -> str:
    lines = [f"py-spy samples of `rasa run` over {messages} sequential messages: {total} "
             "(py-spy's default: idle threads are not sampled)", ""]
    for title, table in (("inclusive (the function and what it calls)", inclusive),
                         ("exclusive (the function's own code)", exclusive)):
        lines.append(f"Top {TOP} functions, {title}:")
        for frame, samples in sorted(table.items(), key=lambda kv: -kv[1])[:TOP]:
            lines.append(f"{100 * samples / max(total, 1):6.1f}%  {frame}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args(argv)
    if not PY_SPY.exists():
        raise SystemExit(f"{PY_SPY} is missing: `make bench-profile` installs it")
    settings = Settings()
    out = settings.reports / "bench"
    out.mkdir(parents=True, exist_ok=True)
    raw = settings.workdir / "profile-rasa.collapsed"
    settings.workdir.mkdir(parents=True, exist_ok=True)
    with served_assistant(settings.workdir, "profile", with_proxy=False) as served:
        for text in OUR_MIX:  # warm-up, not sampled
            say(served.url, "profile-warmup", text)
        pid = served.servers["rasa"].pid
        spy = subprocess.Popen(
            [str(PY_SPY), "record", "--pid", str(pid), "--rate", "200", "--format", "raw",
             "--output", str(raw), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        time.sleep(2)  # attached before the first measured message
        for index in range(args.messages):
            cycle, position = divmod(index, len(OUR_MIX))
            say(served.url, f"profile-{cycle}", OUR_MIX[position])
        spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
        spy.wait(timeout=60)
    collapsed = raw.read_text()
    text = render(*summarise(collapsed), messages=args.messages)
    (out / "profile-rasa.txt").write_text(text)
    print(text)
    print(f"Wrote {out / 'profile-rasa.txt'} (raw stacks: {raw})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
