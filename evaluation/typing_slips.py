"""A copy of an NLU test set with the slips people make when typing on a phone.

Every entity word of five letters or more gets one slip (two neighbouring letters swapped, a
letter dropped or a letter doubled), one other longer word gets one too, and the whole text loses
its capitals and accents. Seeded, so the copy is the same on every machine.
"""
from __future__ import annotations

import random
import re
import unicodedata
from typing import List

from evaluation.nlu_examples import Entity, Example

SLIPS = ("swap", "drop", "double")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def slip(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    kind = rng.choice(SLIPS)
    i = rng.randrange(1, len(word) - 1)  # keep the first and last letter: how people slip
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _slip_words(text: str, rng: random.Random, min_length: int, at_most: int) -> str:
    words = [m for m in re.finditer(r"[^\W\d_]+", text) if len(m.group()) >= min_length]
    chosen = {
        m.start()
        for m in (words if at_most is None else rng.sample(words, min(at_most, len(words))))
    }
    return re.sub(
        r"[^\W\d_]+",
        lambda m: slip(m.group(), rng) if m.start() in chosen else m.group(),
        text,
    )


def with_slips(example: Example, rng: random.Random) -> Example:
    pieces, entities, length = [], [], 0
    plain_indexes = [
        i for i, (_, e) in enumerate(example.segments()) if e is None and len(_.strip()) > 0
    ]
    slipped_plain = rng.choice(plain_indexes) if plain_indexes else None
    for index, (text, entity) in enumerate(example.segments()):
        if entity is not None:
            text = _slip_words(text, rng, min_length=5, at_most=None)
        elif index == slipped_plain:
            text = _slip_words(text, rng, min_length=5, at_most=1)
        text = strip_accents(text.lower())
        if entity is not None:
            entities.append(Entity(entity.entity, entity.value, length, length + len(text)))
        pieces.append(text)
        length += len(text)
    return Example(example.intent, "".join(pieces), entities)


def typo_copy(examples: List[Example], seed: int = 2020) -> List[Example]:
    rng = random.Random(seed)
    return [with_slips(example, rng) for example in examples]
