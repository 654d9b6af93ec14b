"""Understanding: the trained model on the held-out test file and its typing-slip copy, and
5-fold cross-validation on the training data.

The held-out file (tests/nlu/test_nlu.yml) is never trained on, so it is the honest figure; the
cross-validation says how stable that figure is across other splits of the training data. Both
use the scorer the tests use (evaluation.nlu_scores): an entity counts only with the right type
and catalogue id, which is what the answers depend on.
"""
from __future__ import annotations

import asyncio
import logging
import random
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

from bench import ROOT
from bench.servers import run_rasa
from evaluation.nlu_examples import Example, read_examples, write_examples
from evaluation.nlu_report import parse_all
from evaluation.nlu_scores import score
from evaluation.typing_slips import typo_copy

TEST_FILE = ROOT / "tests" / "nlu" / "test_nlu.yml"
TRAINING_DATA = ROOT / "data" / "nlu"
OUT_OF_SCOPE = "out_of_scope"
# What the assistant does with a message Rasa's fallback catches is the same as for
# out_of_scope: it says what it can help with. Both count as recognising "not for us".
NOT_FOR_US = (OUT_OF_SCOPE, "nlu_fallback")

TARGETS = {
    "intent_accuracy_min": 0.97,
    "intent_macro_f1_min": 0.95,
    "lowest_intent_f1_min": 0.90,
    "entity_f1_min": 0.97,
    "typo_points_lost_max": 3.0,
    "out_of_scope_recall_min": 0.90,
}


def predicted_intent(parse: dict) -> str:
    return (parse.get("intent") or {}).get("name") or "none"


def confusion(examples: Sequence[Example], parses: Sequence[dict]) -> dict:
    """Gold intents as rows, predicted intents (nlu_fallback included) as columns."""
    gold = sorted({e.intent for e in examples})
    extra = sorted({predicted_intent(p) for p in parses} - set(gold))
    columns = gold + extra
    counts = Counter((e.intent, predicted_intent(p)) for e, p in zip(examples, parses))
    return {
        "rows": gold,
        "columns": columns,
        "matrix": [[counts[(g, c)] for c in columns] for g in gold],
    }


def out_of_scope_recall(examples: Sequence[Example], parses: Sequence[dict]) -> dict:
    predicted = [predicted_intent(p) for e, p in zip(examples, parses) if e.intent == OUT_OF_SCOPE]
    if not predicted:
        return {"examples": 0}
    return {
        "examples": len(predicted),
        "recall": round(sum(p in NOT_FOR_US for p in predicted) / len(predicted), 4),
        "recall_as_out_of_scope_only": round(predicted.count(OUT_OF_SCOPE) / len(predicted), 4),
    }


def scored(examples: Sequence[Example], parses: Sequence[dict]) -> dict:
    result = score(examples, parses).as_dict()
    lowest = min(result["intent_f1"].items(), key=lambda item: item[1])
    result["lowest_intent_f1"] = {"intent": lowest[0], "f1": lowest[1]}
    result["out_of_scope"] = out_of_scope_recall(examples, parses)
    result["confusion"] = confusion(examples, parses)
    return result


def checks(plain: dict, typos: dict) -> Dict[str, dict]:
    """Each target with the measured figure and whether it is met."""
    lost = round(100 * (plain["intent_accuracy"] - typos["intent_accuracy"]), 1)
    measured = {
        "intent_accuracy_min": plain["intent_accuracy"],
        "intent_macro_f1_min": plain["intent_macro_f1"],
        "lowest_intent_f1_min": plain["lowest_intent_f1"]["f1"],
        "entity_f1_min": plain["entity_f1"],
        "typo_points_lost_max": lost,
        "out_of_scope_recall_min": plain["out_of_scope"].get("recall"),
    }
    out = {}
    for name, target in TARGETS.items():
        value = measured[name]
        met = value is not None and (value <= target if name.endswith("_max") else value >= target)
        out[name] = {"target": target, "measured": value, "met": met}
    return out


def _parse(model: Path, examples_sets: Sequence[Sequence[Example]]) -> Tuple[List[List[dict]], float]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.INFO)  # Rasa's default would print every parse, at DEBUG
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    out, began, count = [], time.perf_counter(), 0
    for examples in examples_sets:
        out.append(parse_all(agent, loop, examples))
        count += len(examples)
    loop.close()
    return out, (time.perf_counter() - began) / max(count, 1)


def held_out(model: Path, test_file: Path = TEST_FILE) -> dict:
    plain = read_examples(test_file)
    typos = typo_copy(plain)
    (plain_parses, typo_parses), seconds = _parse(model, [plain, typos])
    on_plain, on_typos = scored(plain, plain_parses), scored(typos, typo_parses)
    return {
        "method": (
            f"The served model ({model.name}) parses every example of {test_file.relative_to(ROOT)} "
            f"({len(plain)} examples, never trained on) and of its typing-slip copy "
            "(evaluation/typing_slips.py, fixed seed: swapped, dropped and doubled letters, no "
            "capitals, no accents). Intent accuracy, macro-F1 over the test set's intents, "
            "counter/product entity F1 by type and catalogue id. Out-of-scope recall = share of "
            "out_of_scope examples answered as not for us (out_of_scope or nlu_fallback)."
        ),
        "test_set": on_plain,
        "typo_copy": on_typos,
        "mean_parse_ms": round(1000 * seconds, 2),
        "targets": checks(on_plain, on_typos),
    }


# --- cross-validation ----------------------------------------------------------------------------


def training_examples(folder: Path = TRAINING_DATA) -> List[Example]:
    examples = []
    for path in sorted(folder.glob("*.yml")):
        examples.extend(read_examples(path))
    return examples


def other_training_blocks(folder: Path = TRAINING_DATA) -> List[dict]:
    """Synonyms, lookups and regexes: every fold trains with all of them, as the model does."""
    blocks = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        blocks.extend(b for b in data.get("nlu", []) if "intent" not in b)
    return blocks


def stratified_folds(examples: Sequence[Example], folds: int, seed: int) -> List[List[int]]:
    """Indexes of each fold; every intent's examples are dealt round the folds after a shuffle."""
    by_intent: Dict[str, List[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_intent[example.intent].append(index)
    rng = random.Random(seed)
    out: List[List[int]] = [[] for _ in range(folds)]
    offset = 0
    for intent in sorted(by_intent):
        indexes = by_intent[intent]
        rng.shuffle(indexes)
        for position, index in enumerate(indexes):
            out[(position + offset) % folds].append(index)
        offset += len(indexes)  # so small intents do not all start in fold 0
    return [sorted(f) for f in out]


def _train_fold(train: Sequence[Example], blocks: List[dict], folder: Path, name: str) -> Tuple[Path, float]:
    shutil.rmtree(folder, ignore_errors=True)
    data = folder / "data"
    write_examples(list(train), data / "examples.yml")
    if blocks:
        (data / "vocabulary.yml").write_text(
            yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
    began = time.perf_counter()
    run_rasa(["train", "nlu", "--nlu", str(data), "--config", str(ROOT / "config.yml"),
              "--out", str(folder / "models"), "--fixed-model-name", name],
             cwd=ROOT, log=folder / f"{name}.log", RASA_CACHE_DIRECTORY=str(folder / "cache"))
    return folder / "models" / f"{name}.tar.gz", time.perf_counter() - began


def cross_validation(workdir: Path, folds: int = 5, seed: int = 2020) -> dict:
    examples = training_examples()
    blocks = other_training_blocks()
    split = stratified_folds(examples, folds, seed)
    per_fold, all_examples, all_parses = [], [], []
    for number, held in enumerate(split, start=1):
        held_set = set(held)
        train = [e for i, e in enumerate(examples) if i not in held_set]
        test = [examples[i] for i in held]
        print(f"  fold {number}/{folds}: training on {len(train)}, testing on {len(test)}", flush=True)
        model, seconds = _train_fold(train, blocks, workdir / f"fold{number}", f"fold{number}")
        (parses,), _ = _parse(model, [test])
        fold_scores = score(test, parses).as_dict()
        per_fold.append({
            "fold": number,
            "train_examples": len(train),
            "test_examples": len(test),
            "training_seconds": round(seconds, 1),
            "intent_accuracy": fold_scores["intent_accuracy"],
            "intent_macro_f1": fold_scores["intent_macro_f1"],
            "entity_f1": fold_scores["entity_f1"],
        })
        all_examples.extend(test)
        all_parses.extend(parses)
    pooled = scored(all_examples, all_parses)

    def spread(key: str) -> dict:
        values = [f[key] for f in per_fold]
        mean = sum(values) / len(values)
        sd = (sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)) ** 0.5
        return {"mean": round(mean, 4), "sd": round(sd, 4), "min": min(values), "max": max(values)}

    return {
        "method": (
            f"{folds}-fold cross-validation on the {len(examples)} training examples of "
            f"{TRAINING_DATA.relative_to(ROOT)} (each intent's examples shuffled with seed {seed} "
            "and dealt round the folds); each fold trains the shipped config.yml pipeline with "
            "`rasa train nlu` on the other folds (synonyms, lookups and regexes always included) "
            "and is scored on its own. Per-fold figures, their mean and sample SD, and the "
            "pooled predictions of all folds."
        ),
        "folds": per_fold,
        "intent_accuracy": spread("intent_accuracy"),
        "intent_macro_f1": spread("intent_macro_f1"),
        "entity_f1": spread("entity_f1"),
        "pooled": pooled,
    }
