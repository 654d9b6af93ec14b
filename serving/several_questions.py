"""Several questions in one message, or a story that ends in a question.

Citizens write "Ik woon op Linkeroever, naar welk loket moet ik? En heb ik een afspraak nodig?".
The message is cut into clauses (sentences, and questions joined by "en"/"of" or a comma), and
each is understood by the same NLU as the whole message:

- two or more questions understood with confidence: each is handled as a message of its own, the
  information questions first, in the order asked, then a wish to book, so that its form starts
  after the answers; the answers are sent together, without repeating a sentence;
- a story the NLU cannot place as a whole, with one question in it that it can: that question
  is handled;
- otherwise (one question, a form's answer, another language, a lost document) the message
  goes through whole.

A clause does not lose what the rest of the message said: a document or counter named elsewhere
in the message ("... voor mijn rijbewijs? En wat moet ik meebrengen?") is added to a clause that
names none, by handing that clause over as its intent with the message's entities.
"""
from __future__ import annotations

import json
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

INFORMATION_INTENTS = {
    "ask_service_changes", "ask_appointment_required", "ask_opening_days", "ask_which_counter",
    "ask_product_channel", "ask_home_delivery", "ask_contact", "report_lost_document",
    "ask_unknown_fact",
}
BOOKING_INTENTS = {"book_appointment"}
WHOLE_INTENTS = {"other_language", "report_lost_document"}  # answered for the whole message
UNPLACED_INTENTS = {"nlu_fallback", "out_of_scope"}
CONTEXT_ENTITIES = ("product", "counter")
MIN_CONFIDENCE = 0.6
MAX_CLAUSES = 4
QUESTION_WORDS = {
    "wanneer", "waar", "waarom", "welke", "welk", "hoe", "hoeveel", "hoelang", "wat", "wie", "moet",
    "moeten", "kan", "kunnen", "mag", "mogen", "is", "zijn", "heb", "hebben", "heeft", "krijg", "ga",
    "gaat", "zit", "ligt", "bestaat", "werkt", "doe", "doet", "kun", "kunt",
}
_SENTENCE = re.compile(r"(?<=[?!.;])\s+|\n+")
# "..., en heb ik daar een afspraak voor nodig?" / "... of moet ik langskomen": a second question.
_JOINED = re.compile(r"(?:,\s*|\s+)(?:en|of|en ook|maar)\s+(?=(?:" + "|".join(sorted(QUESTION_WORDS)) + r")\b)",
                     re.IGNORECASE)
_BOOKING_HINT = re.compile(r"\b(afspraak|afspraken|boeken|reserveren|langskomen)\b", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:\w+\s+){0,2}[^\W\d]+:\s+)?(?:en ook|en|of|maar|ook)?\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def clauses(text: str) -> List[str]:
    found: List[str] = []
    for sentence in _SENTENCE.split(text):
        for part in _JOINED.split(sentence):
            part = _LEADING.sub("", part.strip(" ,"))
            if len(part.split()) >= 2:
                found.append(part)
    return found


def is_question(clause: str) -> bool:
    words = clause.lower().split()
    return clause.rstrip().endswith("?") or (bool(words) and words[0].strip(",") in QUESTION_WORDS)


def merge(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The answers in order, each sentence said once (a note shared by two answers, a form's
    question asked again after each answer)."""
    seen, merged = set(), []
    for message in messages:
        text = message.get("text")
        if not text:
            merged.append(message)
            continue
        kept = [s for s in _SENTENCE_END.split(text) if not (len(s) > 15 and s in seen)]
        seen.update(_SENTENCE_END.split(text))
        if kept or message.get("buttons"):
            merged.append({**message, "text": " ".join(kept)})
    return merged


def _intent(parsed: Dict[str, Any]):
    intent = parsed.get("intent") or {}
    return intent.get("name"), intent.get("confidence") or 0.0


def _entities(parsed: Dict[str, Any], kinds=None) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for entity in parsed.get("entities") or []:
        if (kinds is None or entity.get("entity") in kinds) and isinstance(entity.get("value"), str):
            found.setdefault(entity["entity"], entity["value"])
    return found


def _with_context(part: str, parsed: Dict[str, Any], whole: Dict[str, str]) -> str:
    """The clause as typed, or as its intent with all its own entities and the document or
    counter it lacks from the whole message."""
    own = _entities(parsed)
    missing = {k: v for k, v in whole.items() if k not in own}
    if not missing:
        return part
    intent, _ = _intent(parsed)
    return f"/{intent}{json.dumps({**own, **missing}, ensure_ascii=False)}"


async def questions_in(parse: Callable[[str], Awaitable[Dict[str, Any]]], text: str) -> Optional[List[str]]:
    """The messages to handle one by one instead of `text`, in order, or None to keep it whole."""
    parts = clauses(text)
    if len(parts) < 2 or len(parts) > MAX_CLAUSES * 2:  # at most 9 parses for a message
        return None
    whole = await parse(text)
    whole_intent, whole_confidence = _intent(whole)
    if whole_intent in WHOLE_INTENTS:
        return None
    context = _entities(whole, CONTEXT_ENTITIES)
    information, booking = [], []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if not (is_question(part) or last or _BOOKING_HINT.search(part)):
            continue  # a statement of a story: not understood separately (each parse costs)
        parsed = await parse(part)
        intent, confidence = _intent(parsed)
        if confidence < MIN_CONFIDENCE:
            continue
        # A statement in a story is not a question to answer; a wish to book is, however put.
        if intent in INFORMATION_INTENTS and (is_question(part) or last):
            information.append(_with_context(part, parsed, context))
        elif intent in BOOKING_INTENTS:
            booking.append(_with_context(part, parsed, context))
    chosen = information[:MAX_CLAUSES] + booking[:1]
    if len(chosen) >= 2:
        return chosen
    if len(chosen) == 1 and (whole_intent in UNPLACED_INTENTS or whole_confidence < MIN_CONFIDENCE):
        return chosen
    return None


async def answer_each(handle: Callable[[UserMessage], Awaitable[Any]], message: UserMessage,
                      parts: List[str]) -> None:
    """Handles each clause as a message of its own (same sender, same channel metadata) and
    sends the merged answers through the message's own output channel."""
    collected: List[Dict[str, Any]] = []
    for part in parts:
        collector = CollectingOutputChannel()
        await handle(UserMessage(part, collector, message.sender_id, input_channel=message.input_channel,
                                 metadata=message.metadata))
        collected.extend(collector.messages)
    for reply in merge(collected):
        reply = {k: v for k, v in reply.items() if k != "recipient_id"}
        await message.output_channel.send_response(message.sender_id, reply)
