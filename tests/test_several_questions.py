"""Several questions in one message: cut into clauses, each understood on its own, answered in
one reply with information first and nothing said twice (NLU stood in by a table)."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from serving.several_questions import answer_each, clauses, is_question, merge, questions_in

TWO = "Ik woon op Linkeroever, naar welk loket moet ik nu? En heb ik daarvoor een afspraak nodig?"


def fake_parse(table):
    async def parse(text):
        for key, (intent, confidence) in table.items():
            if key in text:
                return {"intent": {"name": intent, "confidence": confidence}}
        return {"intent": {"name": "nlu_fallback", "confidence": 0.3}}

    return parse


@pytest.mark.parametrize(
    "text, expected",
    [
        (TWO, ["Ik woon op Linkeroever, naar welk loket moet ik nu?", "heb ik daarvoor een afspraak nodig?"]),
        ("is deurne open op vrijdag en kan ik een attest online krijgen",
         ["is deurne open op vrijdag", "kan ik een attest online krijgen"]),
        ("Wanneer is Berchem open?", ["Wanneer is Berchem open?"]),
        ("Berchem. Dinsdag 8 december.", ["Dinsdag 8 december."]),  # one-word clauses are no clause
    ],
)
def test_clauses(text, expected):
    assert clauses(text) == expected


def test_questions_are_recognised_by_mark_or_first_word():
    assert is_question("moet ik langskomen")
    assert is_question("dat wil ik weten?")
    assert not is_question("Ik woon in Zandvliet")


def test_two_understood_questions_are_split_and_a_booking_wish_comes_last():
    parse = fake_parse({"afspraak maken": ("book_appointment", 0.95), "welk loket": ("ask_which_counter", 0.9),
                        "afspraak nodig": ("ask_appointment_required", 0.92)})
    text = "Ik wil een afspraak maken. Naar welk loket moet ik? En heb ik een afspraak nodig?"
    parts = asyncio.run(questions_in(parse, text))
    assert parts == ["Naar welk loket moet ik?", "heb ik een afspraak nodig?", "Ik wil een afspraak maken."]


def test_one_question_or_unsure_clauses_stay_whole():
    parse = fake_parse({"welk loket": ("ask_which_counter", 0.9), "nodig": ("ask_appointment_required", 0.4)})
    assert asyncio.run(questions_in(parse, "Naar welk loket moet ik? En is dat nodig?")) is None
    assert asyncio.run(questions_in(parse, "Naar welk loket moet ik?")) is None
    story = "Ik woon in Zandvliet. Mijn vader is ziek. Naar welk loket moet ik?"
    assert asyncio.run(questions_in(parse, story)) is None


def test_answers_are_merged_without_saying_a_sentence_twice():
    note = "Maak eerst een afspraak: zonder afspraak kun je niet binnen."
    merged = merge([
        {"text": f"Het loket Berchem is open van maandag tot vrijdag. {note}"},
        {"text": f"Het loket Deurne is open van maandag tot vrijdag. {note}"},
        {"text": "Op welke dag wil je komen?", "buttons": [{"title": "ma", "payload": "ma"}]},
        {"text": "Op welke dag wil je komen?", "buttons": [{"title": "ma", "payload": "ma"}]},
    ])
    texts = [m["text"] for m in merged]
    assert texts[0].endswith(note) and note not in texts[1]
    assert sum(1 for m in merged if m.get("buttons")) == 2  # buttons are kept with their message
    assert texts.count("Op welke dag wil je komen?") == 1


def test_each_clause_is_handled_in_order_and_answered_once():
    handled = []

    async def handle(message):
        handled.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": f"antwoord op: {message.text}"})

    original = UserMessage(TWO, CollectingOutputChannel(), "burger")
    asyncio.run(answer_each(handle, original, ["eerste vraag?", "tweede vraag?"]))
    assert handled == ["eerste vraag?", "tweede vraag?"]
    assert [m["text"] for m in original.output_channel.messages] == [
        "antwoord op: eerste vraag?", "antwoord op: tweede vraag?"
    ]


def parse_with_entities(table, starts=False):
    """Stand-in NLU: intent by key phrase, entities by name, as the real one gives them."""
    names = {"rijbewijs": ("product", "rijbewijs"), "Wilrijk": ("counter", "wilrijk")}

    async def parse(text):
        entities = [{"entity": e, "value": v} for name, (e, v) in names.items() if name in text]
        for key, (intent, confidence) in table.items():
            if (text.startswith(key) if starts else key in text):
                return {"intent": {"name": intent, "confidence": confidence}, "entities": entities}
        return {"intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": entities}

    return parse


def test_a_clause_keeps_the_document_named_elsewhere_in_the_message():
    parse = parse_with_entities({"afspraak maken": ("book_appointment", 0.9),
                                 "meebrengen": ("ask_product_channel", 0.9)})
    text = "Mag ik in Wilrijk een afspraak maken voor mijn rijbewijs? En wat moet ik meebrengen?"
    parts = asyncio.run(questions_in(parse, text))
    assert parts == ['/ask_product_channel{"product": "rijbewijs", "counter": "wilrijk"}',
                     "Mag ik in Wilrijk een afspraak maken voor mijn rijbewijs?"]


def test_a_story_the_nlu_cannot_place_gets_its_one_question_answered():
    parse = parse_with_entities({"Waar maak ik": ("ask_which_counter", 0.9)}, starts=True)
    story = "Ik woon al jaren op Linkeroever. Ik moet mijn rijbewijs vernieuwen. Waar maak ik een afspraak?"
    assert asyncio.run(questions_in(parse, story)) == ['/ask_which_counter{"product": "rijbewijs"}']
    placed = parse_with_entities({"Waar maak ik": ("ask_which_counter", 0.9),
                                  "Ik woon al jaren": ("ask_which_counter", 0.9)}, starts=True)
    assert asyncio.run(questions_in(placed, story)) is None  # understood whole: left whole


def test_another_language_or_a_lost_document_is_answered_whole():
    parse = parse_with_entities({"kwijt": ("report_lost_document", 1.0), "Waar": ("ask_which_counter", 0.9),
                                 "meebrengen": ("ask_product_channel", 0.9)})
    text = "Mijn rijbewijs is kwijt. Waar moet ik heen? En wat moet ik meebrengen?"
    assert asyncio.run(questions_in(parse, text)) is None


def test_a_short_heading_and_a_time_are_told_apart():
    assert clauses("Twee vraagjes: kan ik dat online? En moet ik langskomen?") == [
        "kan ik dat online?", "moet ik langskomen?"]
    assert clauses("Ik kom om 10:30 graag. Of om 11u?") == ["Ik kom om 10:30 graag.", "om 11u?"]
