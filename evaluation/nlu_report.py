"""Scores a trained model on an NLU test file and its typing-slip copy.

Usage: python -m evaluation.nlu_report MODEL [TEST_FILE] [--out reports/nlu_report.json]
Used to compare NLU pipelines (README, "Choosing the NLU pipeline") and by the benchmarks.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from evaluation.nlu_examples import read_examples
from evaluation.nlu_scores import score
from evaluation.typing_slips import typo_copy


def parse_all(agent, loop, examples) -> list:
    """The agent's parse of every example, in order."""
    return [loop.run_until_complete(agent.parse_message(e.text)) for e in examples]


def evaluate(model: str, test_file: str) -> dict:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    loop = asyncio.new_event_loop()
    plain = read_examples(Path(test_file))
    out = {}
    for name, examples in (("test_set", plain), ("typo_copy", typo_copy(plain))):
        started = time.perf_counter()
        parses = parse_all(agent, loop, examples)
        elapsed = time.perf_counter() - started
        scores = score(examples, parses).as_dict()
        scores["mean_parse_ms"] = round(1000 * elapsed / len(examples), 2)
        out[name] = scores
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("test_file", nargs="?", default="tests/nlu/test_nlu.yml")
    parser.add_argument("--out")
    args = parser.parse_args()
    report = evaluate(args.model, args.test_file)
    for name, scores in report.items():
        print(
            f"{name}: intent accuracy {scores['intent_accuracy']}, macro-F1 {scores['intent_macro_f1']}, "
            f"entity F1 {scores['entity_f1']}, {scores['mean_parse_ms']} ms/parse"
        )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
