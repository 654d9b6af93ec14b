"""Scores parsed messages against labelled examples: intent accuracy and macro-F1, entity F1.

Entities count as right only with the right type *and* catalogue id, which is what the answers
depend on; positions are not compared, so a typo copy is scored the same way.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Sequence

from evaluation.nlu_examples import Example

ENTITY_TYPES = ("counter", "product")


@dataclass
class Scores:
    examples: int
    intent_accuracy: float
    intent_macro_f1: float
    intent_f1: Dict[str, float]
    entity_precision: float
    entity_recall: float
    entity_f1: float
    errors: List[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def score(examples: Sequence[Example], parses: Sequence[dict]) -> Scores:
    intents = sorted({e.intent for e in examples})
    per_intent = {i: Counter() for i in intents}
    entity_counts = Counter()
    errors, correct = [], 0
    for example, parse in zip(examples, parses):
        predicted = (parse.get("intent") or {}).get("name")
        if predicted == example.intent:
            correct += 1
            per_intent[example.intent]["tp"] += 1
        else:
            per_intent[example.intent]["fn"] += 1
            if predicted in per_intent:
                per_intent[predicted]["fp"] += 1
        gold = Counter((e.entity, e.value) for e in example.entities if e.entity in ENTITY_TYPES)
        found = Counter(
            (e["entity"], e["value"])
            for e in parse.get("entities", [])
            if e.get("entity") in ENTITY_TYPES
        )
        tp = sum((gold & found).values())
        entity_counts.update(tp=tp, fp=sum(found.values()) - tp, fn=sum(gold.values()) - tp)
        if predicted != example.intent or gold != found:
            errors.append(
                {
                    "text": example.text,
                    "intent": example.intent,
                    "predicted": predicted,
                    "entities": sorted(gold.elements()),
                    "predicted_entities": sorted(found.elements()),
                }
            )
    intent_f1 = {i: round(_f1(c["tp"], c["fp"], c["fn"]), 4) for i, c in per_intent.items()}
    tp, fp, fn = entity_counts["tp"], entity_counts["fp"], entity_counts["fn"]
    return Scores(
        examples=len(examples),
        intent_accuracy=round(correct / len(examples), 4),
        intent_macro_f1=round(sum(intent_f1.values()) / len(intent_f1), 4),
        intent_f1=intent_f1,
        entity_precision=round(tp / (tp + fp), 4) if tp + fp else 0.0,
        entity_recall=round(tp / (tp + fn), 4) if tp + fn else 0.0,
        entity_f1=round(_f1(tp, fp, fn), 4),
        errors=errors,
    )
