"""The training data and the catalogue agree, and the test set stays apart from training."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from language.message_rules import RULE_INTENTS
from language.term_matching import TermMatcher, simple_tokens

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\]\{([^}]+)\}")
MIN_EXAMPLES = 25
MIN_RULE_EXAMPLES = 3
DOMAIN_INTENTS = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]
# Sent by the chat page (a manage link), never typed: a few examples of a pasted link only (the
# message guard turns those into the payload before NLU), none in the held-out set.
PAYLOAD_INTENTS = {"open_manage_link"}


def examples(paths):
    """(intent, example text with annotations) for every example in the NLU files."""
    out = []
    for path in paths:
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            assert set(block) <= {
                "intent",
                "examples",
            }, f"{path}: only intents here, found {set(block)}"
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.append((block["intent"], line[2:].strip()))
    return out


TRAINING = examples(sorted((ROOT / "data" / "nlu").glob("*.yml")))
TESTING = examples([ROOT / "tests" / "nlu" / "test_nlu.yml"])


def annotations(example):
    import json

    return [(text, json.loads("{" + body + "}")) for text, body in ANNOTATION.findall(example)]


def plain(example):
    return ANNOTATION.sub(lambda m: m.group(1), example)


def key(example):
    return re.sub(r"[^\w]+", " ", plain(example).lower()).strip()


def test_every_intent_has_enough_varied_examples():
    counts = Counter(intent for intent, _ in TRAINING)
    assert set(counts) == set(DOMAIN_INTENTS)
    for intent in DOMAIN_INTENTS:
        # Intents set by rule after DIET need a few examples only (for the validator and DIET).
        least = MIN_RULE_EXAMPLES if intent in RULE_INTENTS | PAYLOAD_INTENTS else MIN_EXAMPLES
        assert counts[intent] >= least, f"{intent}: {counts[intent]} examples"
        assert (
            len({key(e) for i, e in TRAINING if i == intent}) == counts[intent]
        ), f"{intent} has duplicates"


def test_the_test_set_is_never_trained_on():
    trained = {key(e) for _, e in TRAINING}
    overlap = [e for _, e in TESTING if key(e) in trained]
    assert overlap == []
    # The held-out set predates the rule-set intents; the realistic set covers them.
    assert set(i for i, _ in TESTING) == set(DOMAIN_INTENTS) - RULE_INTENTS - PAYLOAD_INTENTS


@pytest.mark.parametrize("data", [TRAINING, TESTING], ids=["training", "test"])
def test_entity_values_are_catalogue_ids(data, catalogue):
    ids = {"counter": set(catalogue.counters), "product": set(catalogue.products)}
    for _, example in data:
        for _, body in annotations(example):
            assert body["entity"] in ids, example
            assert body["value"] in ids[body["entity"]], example


def test_every_catalogue_id_has_training_examples(catalogue):
    seen = {(body["entity"], body["value"]) for _, e in TRAINING for _, body in annotations(e)}
    expected = {("counter", c) for c in catalogue.counters} | {
        ("product", p) for p in catalogue.products
    }
    assert expected - seen == set()


def test_every_annotated_name_is_matched_to_its_value(catalogue):
    """The matcher reads each annotated surface form as the annotated id: no synonym drift."""
    matcher = TermMatcher.from_catalogue(catalogue)
    misses = []
    for _, example in TRAINING + TESTING:
        for text, body in annotations(example):
            found = matcher.find(simple_tokens(text))
            if [m.value for m in found] != [body["value"]]:
                misses.append((text, body["value"], [m.value for m in found]))
    assert misses == []
