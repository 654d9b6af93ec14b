"""Answers that must be honest: another language, a lost document, a fact the catalogue lacks.
No reply states a number (price, duration, hour) that is not in the catalogue."""
from __future__ import annotations

import re

import pytest

from actions.honest_answers import (
    FACT_ASPECTS,
    ActionAnswerLostDocument,
    ActionAnswerOtherLanguage,
    ActionAnswerUnknownFact,
)
from service_catalogue.loader import DEFAULT_PATH
from tests.conftest import make_tracker, run_action

CATALOGUE_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def numbers_not_in_the_catalogue(text: str):
    return [n for n in NUMBER.findall(text) if n not in CATALOGUE_TEXT]


@pytest.mark.parametrize("language, word", [("en", "Dutch"), ("fr", "néerlandais"), ("tr", "Felemenkçe"),
                                            ("pl", "niderlandzku"), ("ar", "الهولندية"), ("de", "Dutch")])
def test_another_language_gets_what_the_assistant_does_and_the_number(catalogue, language, word):
    tracker = make_tracker("...", intent="other_language",
                           entities=[{"entity": "language", "value": language}])
    answer = run_action(ActionAnswerOtherLanguage(), tracker)
    assert word in answer.text
    assert catalogue.contact_centre.phone in answer.text and catalogue.contact_centre.website in answer.text


@pytest.mark.parametrize("product", ["eid", "kids_id", "paspoort", "rijbewijs"])
def test_a_lost_document_says_what_to_do_first_then_the_route(catalogue, product):
    tracker = make_tracker("kwijt", intent="report_lost_document",
                           entities=[{"entity": "product", "value": product}])
    answer = run_action(ActionAnswerLostDocument(), tracker)
    assert answer.responses[0] == "lost_document_first"
    assert "aangifte bij de politie" in answer.texts[0]
    assert "afspraak" in answer.text and "Neem mee" in answer.text
    assert numbers_not_in_the_catalogue(answer.text) == []


def test_a_lost_document_without_a_known_one_asks_which(catalogue):
    answer = run_action(ActionAnswerLostDocument(), make_tracker("kwijt", intent="report_lost_document"))
    assert answer.responses == ["lost_document_which"]


@pytest.mark.parametrize("aspect", FACT_ASPECTS + ("iets anders",))
@pytest.mark.parametrize("entities", [[], [{"entity": "product", "value": "paspoort"}],
                                      [{"entity": "counter", "value": "berchem"}]])
def test_an_unknown_fact_is_admitted_and_nothing_invented(catalogue, aspect, entities):
    tracker = make_tracker("?", intent="ask_unknown_fact",
                           entities=entities + [{"entity": "fact_aspect", "value": aspect}])
    answer = run_action(ActionAnswerUnknownFact(), tracker)
    assert "niet in mijn gegevens" in answer.text or "geen gegevens" in answer.text
    assert catalogue.contact_centre.phone in answer.text and catalogue.contact_centre.website in answer.text
    assert "€" not in answer.text and "euro" not in answer.text.lower()
    assert numbers_not_in_the_catalogue(answer.text) == []
