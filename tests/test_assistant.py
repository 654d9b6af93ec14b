"""The trained assistant end to end: NLU quality on the held-out test set, and conversations
through the real action server whose answers must carry the announcement's facts.

These tests load models/stadsloket.tar.gz once (`make test` trains it first).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.nlu_examples import read_examples, write_examples
from evaluation.nlu_report import parse_all
from evaluation.nlu_scores import score
from evaluation.typing_slips import typo_copy
from tests.conftest import Conversation

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
TEST_SET = ROOT / "tests" / "nlu" / "test_nlu.yml"

MIN_INTENT_ACCURACY = 0.95
MIN_ENTITY_F1 = 0.95
MIN_TYPO_ENTITY_F1 = 0.90

pytestmark = pytest.mark.model


def _report(name, scores):
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"{name}.json").write_text(
        json.dumps(scores.as_dict(), ensure_ascii=False, indent=2)
    )


def test_nlu_on_the_held_out_test_set(agent, loop):
    examples = read_examples(TEST_SET)
    scores = score(examples, parse_all(agent, loop, examples))
    _report("nlu_test_set", scores)
    print(
        f"\nNLU test set: intent accuracy {scores.intent_accuracy}, macro-F1 {scores.intent_macro_f1}, "
        f"entity F1 {scores.entity_f1} ({scores.examples} examples)"
    )
    assert scores.intent_accuracy >= MIN_INTENT_ACCURACY, scores.errors
    assert scores.entity_f1 >= MIN_ENTITY_F1, scores.errors


def test_nlu_on_a_copy_with_typing_slips(agent, loop):
    examples = typo_copy(read_examples(TEST_SET))
    write_examples(examples, REPORTS / "test_nlu_typos.yml")
    scores = score(examples, parse_all(agent, loop, examples))
    _report("nlu_test_set_typos", scores)
    print(
        f"\nNLU typo copy: intent accuracy {scores.intent_accuracy}, entity F1 {scores.entity_f1}"
    )
    assert scores.entity_f1 >= MIN_TYPO_ENTITY_F1, scores.errors


@pytest.fixture
def talk(agent, loop):
    return lambda text: Conversation(agent, loop).say(text)


# One conversation per fact of the announcement (part A of the facts sheet).
@pytest.mark.parametrize(
    "fact, question, expected",
    [
        ("A1", "wat is er veranderd aan de loketten?", ["12 november 2020"]),
        ("A2", "moet ik een afspraak maken of kan ik zo binnenlopen", ["enkel op afspraak"]),
        (
            "A3",
            "wat is er allemaal veranderd bij de stadsloketten",
            ["vaste ploegen", "backoffice"],
        ),
        ("A4", "wat zijn de nieuwe maatregelen aan het loket", ["contactcenter"]),
        ("A5", "kan mijn rijbewijs thuis geleverd worden?", ["gratis levering aan huis"]),
        (
            "A6",
            "ik woon op linkeroever, naar welk loket moet ik",
            ["Antwerpen-Centrum, Berchem, Borgerhout of Merksem", "openbaar vervoer"],
        ),
        (
            "A7",
            "Wanneer is het loket in Berendrecht open?",
            ["één dag per week", "dinsdag of woensdag"],
        ),
        (
            "A8",
            "mag ik ook naar een ander loket gaan dan dat van mijn district",
            ["niet alleen in dat van je eigen district"],
        ),
        ("A9", "kan ik een attest van woonst online aanvragen", ["online", "03 22 11 333"]),
    ],
)
def test_announcement_fact_in_a_conversation(talk, fact, question, expected):
    answer = talk(question)
    for part in expected:
        assert part in answer, f"{fact}: {answer!r}"


def test_a_typo_still_reaches_the_right_counter(talk):
    assert "Het loket Berchem is open" in talk("wanneer is berhcem open")


def test_an_unclear_message_gets_topics_then_the_contact_centre(agent, loop):
    conversation = Conversation(agent, loop)
    first = loop.run_until_complete(
        agent.handle_text("xqzt vlorp gnap", sender_id=conversation.sender)
    )
    assert any(r.get("buttons") for r in first), first
    second = conversation.say("brrrt kwak zonk")
    assert "03 22 11 333" in second


def test_a_huge_message_gets_a_polite_answer(talk):
    answer = talk("paspoort " * 5000)
    assert answer.strip()
