"""Finds counters and products in a message by their catalogue names, also when mistyped.

Synonym lists cannot foresee "berhcem" or "paspoortt". Matching every word window against the
catalogue's names with a small edit distance does, and a list of words that the training data uses
*outside* entities keeps ordinary Dutch words ("boeken") from being read as a counter ("hoboken").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from service_catalogue.model import Catalogue

_NON_WORD = re.compile(r"[^0-9a-z]+")
MIN_FUZZY_LENGTH = 5
MAX_TOTAL_DISTANCE = 2
MAX_TOKENS = 300  # names are looked for in the first 300 words; a longer message is no question


def normalise(text: str) -> str:
    """Lowercase, without accents, with every run of non-alphanumerics as one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", plain).strip()


def allowed_distance(length: int) -> int:
    if length < MIN_FUZZY_LENGTH:
        return 0
    return 1 if length <= 8 else 2


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    lemma: Optional[str] = None


@dataclass(frozen=True)
class Match:
    entity: str  # "counter" or "product"
    value: str  # the catalogue id
    start: int
    end: int
    distance: int

    @property
    def confidence(self) -> float:
        return 1.0 if self.distance == 0 else 0.9 - 0.1 * self.distance


def simple_tokens(text: str) -> List[Token]:
    """Word tokens with offsets, for callers without a spaCy doc (tests, scripts)."""
    return [Token(m.group(), m.start(), m.end()) for m in re.finditer(r"\w+", text)]


class TermMatcher:
    def __init__(self, terms: Dict[str, Tuple[str, str]], known_words: Iterable[str] = ()):
        # terms: normalised name -> (entity, id)
        self.terms = dict(terms)
        self.known_words: Set[str] = set(known_words)
        self.max_words = max((name.count(" ") + 1 for name in self.terms), default=1)
        self._by_words: Dict[int, List[str]] = {}
        for name in self.terms:
            self._by_words.setdefault(name.count(" ") + 1, []).append(name)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, known_words: Iterable[str] = ()) -> "TermMatcher":
        terms: Dict[str, Tuple[str, str]] = {}
        for entity, entries in (("counter", catalogue.counters), ("product", catalogue.products)):
            for entry in entries.values():
                for name in [entry.id, entry.name, *entry.aliases]:
                    key = normalise(name)
                    if key:
                        terms.setdefault(key, (entity, entry.id))
        return cls(terms, known_words)

    def to_dict(self) -> dict:
        return {"terms": self.terms, "known_words": sorted(self.known_words)}

    @classmethod
    def from_dict(cls, data: dict) -> "TermMatcher":
        return cls({k: tuple(v) for k, v in data["terms"].items()}, data["known_words"])

    def _fuzzy_one(
        self, form: str, is_ordinary: Callable[[str], bool]
    ) -> Optional[Tuple[str, int]]:
        limit = allowed_distance(len(form))
        if not limit or is_ordinary(form):
            return None
        found = process.extractOne(
            form, self._by_words.get(1, ()), scorer=DamerauLevenshtein.distance, score_cutoff=limit
        )
        return (found[0], int(found[1])) if found else None

    def _fuzzy_many(
        self, words: List[str], is_ordinary: Callable[[str], bool]
    ) -> Optional[Tuple[str, int]]:
        """Word by word: each word equal, or an unknown word one slip from the name's word."""
        best: Optional[Tuple[str, int]] = None
        for name in self._by_words.get(len(words), ()):
            total = 0
            for word, target in zip(words, name.split(" ")):
                if word == target:
                    continue
                if is_ordinary(word):
                    break
                distance = DamerauLevenshtein.distance(
                    word, target, score_cutoff=allowed_distance(len(target))
                )
                if distance > allowed_distance(len(target)):
                    break
                total += distance
            else:
                if total <= MAX_TOTAL_DISTANCE and (best is None or total < best[1]):
                    best = (name, total)
        return best

    def _lookup(
        self, forms: Sequence[str], is_ordinary: Callable[[str], bool]
    ) -> Optional[Tuple[str, int]]:
        for form in forms:
            if form in self.terms:
                return form, 0
        best: Optional[Tuple[str, int]] = None
        for form in forms:
            words = form.split(" ")
            found = (
                self._fuzzy_one(form, is_ordinary)
                if len(words) == 1
                else self._fuzzy_many(words, is_ordinary)
            )
            if found and (best is None or found[1] < best[1]):
                best = found
        return best

    def find(
        self,
        tokens: Sequence[Token],
        taken: Iterable[Tuple[int, int]] = (),
        is_word: Optional[Callable[[str], bool]] = None,
    ) -> List[Match]:
        """Longest, closest matches first; no two matches overlap, nor overlap `taken` spans.

        `is_word` tells whether a form is an ordinary Dutch word (from a lexicon); such words and
        the training data's own words are never read as a mistyped name.
        """

        def is_ordinary(form: str) -> bool:
            return form in self.known_words or (is_word is not None and is_word(form))

        words = [(tok, normalise(tok.text), normalise(tok.lemma or "")) for tok in tokens[:MAX_TOKENS]]
        words = [w for w in words if w[1]]
        used = [False] * len(words)
        for i, (tok, _, _) in enumerate(words):
            used[i] = any(tok.start < end and start < tok.end for start, end in taken)
        matches: List[Match] = []
        for size in range(min(self.max_words, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                if any(used[i : i + size]):
                    continue
                window = words[i : i + size]
                forms = [" ".join(w[1] for w in window)]
                lemma_form = " ".join(w[2] or w[1] for w in window)
                if lemma_form != forms[0]:
                    forms.append(lemma_form)
                found = self._lookup(forms, is_ordinary)
                if found is None:
                    continue
                entity, value = self.terms[found[0]]
                matches.append(
                    Match(entity, value, window[0][0].start, window[-1][0].end, found[1])
                )
                used[i : i + size] = [True] * size
        return sorted(matches, key=lambda m: m.start)
