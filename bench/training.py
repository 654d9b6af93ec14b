"""Training time: from scratch, and again after a change to the NLU data only.

Both in a scratch copy of the training inputs with its own empty Rasa cache, so the project's
model and cache stay as they are. The second run is what a data writer waits for after adding
one example: Rasa's fingerprints let it reuse the dialogue policies and retrain the NLU part.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from bench import ROOT
from bench.servers import run_rasa

ADDED_EXAMPLE = "- goeiemiddag, ik heb een vraagje\n"


def _train(copy: Path, name: str) -> float:
    began = time.perf_counter()
    run_rasa(["train", "--fixed-model-name", name, "--out", str(copy / "models")], cwd=copy,
             log=copy / f"{name}.log", RASA_CACHE_DIRECTORY=str(copy / "cache"))
    return time.perf_counter() - began


def run(workdir: Path) -> dict:
    copy = workdir / "training"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "data", copy / "data")

    print("  training from scratch", flush=True)
    scratch = _train(copy, "scratch")
    greetings = copy / "data" / "nlu" / "greetings.yml"
    text = greetings.read_text(encoding="utf-8")
    marker = "- intent: greet\n  examples: |\n"
    if marker not in text:
        raise RuntimeError(f"{greetings} has no greet block to add an example to")
    greetings.write_text(text.replace(marker, marker + "    " + ADDED_EXAMPLE, 1), encoding="utf-8")
    print("  training after adding one NLU example", flush=True)
    nlu_only = _train(copy, "nlu-change")
    return {
        "method": (
            "`rasa train` in a scratch copy of config.yml, domain.yml and data/ with an empty "
            "Rasa cache (RASA_CACHE_DIRECTORY): once from scratch, then again after adding one "
            f"greet example ({ADDED_EXAMPLE.strip()!r}), reusing that cache. Wall-clock seconds "
            "of the whole command, interpreter start included."
        ),
        "from_scratch_seconds": round(scratch, 1),
        "after_nlu_change_seconds": round(nlu_only, 1),
    }
