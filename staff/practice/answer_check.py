"""Which of a scenario's facts a trainee's free Dutch answer got right, left out or got wrong.

Reads answers with the citizen side's Dutch layer (language.term_matching: normalising, counters
and products by their catalogue names, typing slips) and the word lists in answer_words.nl.yml.
A statement near a negation in the same clause counts as denied ("ge moet niet langskomen").
Each fact id has one small rule below; what a fact expects (counters, items, the phone number)
comes from the catalogue through the Fact.
"""
from __future__ import annotations

import enum
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Set, Tuple

import yaml
from rapidfuzz.distance import DamerauLevenshtein

from language.term_matching import TermMatcher, allowed_distance, normalise, simple_tokens
from service_catalogue.model import WEEKDAYS, Catalogue
from staff.practice.facts import Fact

WORDS_FILE = Path(__file__).with_name("answer_words.nl.yml")
MAX_ANSWER_CHARS = 4000
NEGATION_BEFORE = 5
NEGATION_AFTER = 4
# A full stop ends a clause only before a space or the end ("antwerpen.be" is one word).
CLAUSE_BREAK = re.compile(r"[;!?\n:()]+|\.+(?=\s|$)|,(?=\s|$)|\bmaar\b|\bwant\b|\bdus\b", re.IGNORECASE)
PHONE_LIKE = re.compile(r"\+?\d[\d \t./-]{6,}\d")


class Outcome(str, enum.Enum):
    HIT = "hit"
    MISSED = "missed"
    WRONG = "wrong"


@dataclass(frozen=True)
class Verdict:
    fact: Fact
    outcome: Outcome


@functools.lru_cache(maxsize=1)
def words() -> dict:
    return yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))


Pattern = Tuple[str, ...]


def pattern(phrase: str) -> Pattern:
    return tuple(phrase.split())


def _word_matches(token: str, word: str) -> bool:
    if token == "_":
        return True
    if token.endswith("*"):
        stem = token[:-1]
        if word.startswith(stem):
            return True
        limit = allowed_distance(len(stem))
        return bool(limit) and len(word) >= len(stem) and (
            DamerauLevenshtein.distance(word[: len(stem)], stem) <= limit
            or DamerauLevenshtein.distance(word[: len(stem) + 1], stem) <= limit
        )
    if word == token:
        return True
    limit = allowed_distance(len(token))
    return bool(limit) and DamerauLevenshtein.distance(word, token, score_cutoff=limit) <= limit


@dataclass(frozen=True)
class Occurrence:
    clause: int
    start: int
    end: int
    negated: bool


class Reading:
    """One answer, split into clauses of normalised words."""

    def __init__(self, answer: str):
        self.raw = (answer or "")[:MAX_ANSWER_CHARS]
        self.clauses: List[List[str]] = []
        for part in CLAUSE_BREAK.split(self.raw):
            found = normalise(part).split()
            if found:
                self.clauses.append(found)
        self.all_words = [w for clause in self.clauses for w in clause]
        self.asked: Optional[str] = None

    def _negated(self, clause: List[str], start: int, end: int) -> bool:
        lexicon = words()
        negators = set(lexicon["negators"])
        keep = tuple(lexicon["not_negating_after"])
        if any(word.startswith(tuple(lexicon["reminder_words"])) for word in clause):
            return False
        count = 0
        window = list(range(max(0, start - NEGATION_BEFORE), start)) + list(
            range(end, min(len(clause), end + NEGATION_AFTER))
        )
        for i in window:
            if clause[i] in negators:
                following = clause[i + 1] if i + 1 < len(clause) else ""
                if not following.startswith(keep):
                    count += 1
        return count % 2 == 1

    def find(self, phrases: Iterable[str]) -> List[Occurrence]:
        found: List[Occurrence] = []
        for p in map(pattern, phrases):
            for c, clause in enumerate(self.clauses):
                for i in range(len(clause) - len(p) + 1):
                    if all(_word_matches(t, clause[i + k]) for k, t in enumerate(p)):
                        found.append(Occurrence(c, i, i + len(p), self._negated(clause, i, i + len(p))))
        return found

    def concept(self, name: str) -> Tuple[bool, bool]:
        """(said, denied): whether the concept occurs plainly, and whether only denied."""
        found = self.find(words()["concepts"][name])
        said = any(not o.negated for o in found)
        return said, bool(found) and not said

    def starts_with(self, vocabulary: Sequence[str]) -> bool:
        return bool(self.all_words) and self.all_words[0] in set(vocabulary)

    def clause_text(self, clause: int) -> List[str]:
        return self.clauses[clause]


class AnswerChecker:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.names = TermMatcher.from_catalogue(catalogue, known_words=self._ordinary_words())

    @staticmethod
    def _ordinary_words() -> Set[str]:
        lexicon = words()
        found: Set[str] = set(lexicon["negators"]) | set(lexicon["yes_words"]) | set(lexicon["no_words"])
        for phrases in lexicon["concepts"].values():
            for phrase in phrases:
                found.update(w.rstrip("*") for w in phrase.split() if w != "_")
        return found

    # what the answer names

    def _named_in(self, reading: Reading, entity: str) -> List[Tuple[str, bool, int]]:
        named = []
        for c, clause in enumerate(reading.clauses):
            text = " ".join(clause)
            for match in self.names.find(simple_tokens(text)):
                if match.entity == entity:
                    start = len(text[: match.start].split())
                    end = start + len(text[match.start : match.end].split())
                    named.append((match.value, reading._negated(clause, start, end), c))
        return named

    def _weekdays(self, reading: Reading, skip_rule: bool = False) -> Tuple[Set[str], Set[str]]:
        """Weekdays said plainly and said denied; `skip_rule` leaves out clauses that explain the
        alternation ("om beurten dinsdag en woensdag"), which name days without choosing one."""
        said, denied = set(), set()
        closed = {o.clause for o in reading.find(words()["concepts"]["closed"])}
        rule = {o.clause for o in reading.find(words()["concepts"]["takes_turns"])} if skip_rule else set()
        for day in WEEKDAYS:
            found = [o if o.clause not in closed else Occurrence(o.clause, o.start, o.end, True)
                     for o in reading.find([day]) if o.clause not in rule]
            if any(not o.negated for o in found):
                said.add(day)
            elif found:
                denied.add(day)
        return said, denied

    # the rules, one per fact id

    def appointment_only(self, reading: Reading, fact: Fact) -> Outcome:
        said, denied = reading.concept("appointment")
        if denied and not said:
            # "Linkeroever neemt geen afspraken": a counter that takes none, not a visit without one.
            about_counter = {clause for _, _, clause in self._named_in(reading, "counter")}
            found = reading.find(words()["concepts"]["appointment"])
            denied = any(o.negated and o.clause not in about_counter for o in found)
        walk_in, walk_in_denied = reading.concept("walk_in")
        if said or walk_in_denied:
            return Outcome.HIT
        if denied or walk_in:
            return Outcome.WRONG
        return Outcome.MISSED

    def redirect_counters(self, reading: Reading, fact: Fact) -> Outcome:
        targets = set(fact.expected("targets", ()))
        redirected = fact.expected("redirected")
        named = self._named_in(reading, "counter")
        hits = {value for value, denied, _ in named if value in targets and not denied}
        if len(hits) >= min(2, len(targets)):
            return Outcome.HIT
        lived_in = words()["concepts"]["lived_in"] + words()["concepts"]["any_counter"]
        sent_home = False
        for value, denied, clause in named:
            if value == redirected and not denied:
                # "omdat ge op Linkeroever woont" names it without sending anyone there
                clause_reading = Reading(" ".join(reading.clause_text(clause)))
                sent_home = sent_home or not clause_reading.find(lived_in)
        others = {value for value, denied, _ in named if value not in targets and value != redirected and not denied}
        if not hits and (sent_home or others):
            return Outcome.WRONG
        return Outcome.MISSED

    def open_day(self, reading: Reading, fact: Fact) -> Outcome:
        said, _ = self._weekdays(reading, skip_rule=True)
        right = set(fact.expected("open_weekdays", ()))
        other = set(fact.expected("other_weekdays", ()))
        lexicon = words()
        if said & right and said & other:
            # Both days said: right only when the yes or no answers the asked day correctly.
            asked_open = fact.expected("asked_is_open")
            if reading.starts_with(lexicon["yes_words"] if asked_open else lexicon["no_words"]):
                return Outcome.HIT
            return Outcome.MISSED
        if said & right:
            return Outcome.HIT
        if said & other:
            return Outcome.WRONG
        if reading.starts_with(lexicon["yes_words"]):
            return Outcome.HIT if fact.expected("asked_is_open") else Outcome.WRONG
        if reading.starts_with(lexicon["no_words"]):
            return Outcome.WRONG if fact.expected("asked_is_open") else Outcome.MISSED
        return Outcome.MISSED

    def days_rule(self, reading: Reading, fact: Fact) -> Outcome:
        said, _ = self._weekdays(reading)
        rule_days = set(fact.expected("weekdays", ()))
        alternation, _ = reading.concept("alternation")
        if alternation or (len(rule_days) > 1 and rule_days <= said):
            return Outcome.HIT
        exclusive, _ = reading.concept("exclusive")
        if exclusive and len(said & rule_days) == 1:
            return Outcome.WRONG
        return Outcome.MISSED

    def any_counter(self, reading: Reading, fact: Fact) -> Outcome:
        said, denied = reading.concept("any_counter")
        others = set(fact.expected("others", ()))
        named = {value for value, was_denied, _ in self._named_in(reading, "counter") if not was_denied}
        if said or (named & others and len(named) > 1) or len(named & others) >= 2:
            return Outcome.HIT
        return Outcome.WRONG if denied else Outcome.MISSED

    def no_visit(self, reading: Reading, fact: Fact) -> Outcome:
        visit, visit_denied = reading.concept("visit")
        appointment, _ = reading.concept("appointment")
        online, _ = reading.concept("online")
        phone, _ = reading.concept("phone")
        remote = online or phone or self._phone_numbers(reading)
        if visit_denied or (not visit and not appointment and (remote or reading.starts_with(words()["no_words"]))):
            return Outcome.HIT
        if visit or appointment:
            return Outcome.WRONG
        return Outcome.MISSED

    def online(self, reading: Reading, fact: Fact) -> Outcome:
        said, denied = reading.concept("online")
        return Outcome.HIT if said else Outcome.WRONG if denied else Outcome.MISSED

    @staticmethod
    def _phone_numbers(reading: Reading) -> List[str]:
        numbers = []
        for match in PHONE_LIKE.finditer(reading.raw):
            digits = re.sub(r"\D", "", match.group())
            if digits.startswith("32") and len(digits) >= 10:
                digits = "0" + digits[2:]
            if 9 <= len(digits) <= 10:
                numbers.append(digits)
        return numbers

    def phone_number(self, reading: Reading, fact: Fact) -> Outcome:
        expected = re.sub(r"\D", "", fact.expected("phone", ""))
        numbers = self._phone_numbers(reading)
        if expected in numbers:
            return Outcome.HIT
        return Outcome.WRONG if numbers else Outcome.MISSED

    def _item_phrases(self, item: str) -> List[str]:
        lexicon = words()
        phrases: List[str] = []
        for word in normalise(item).split():
            if len(word) < 4 or word in lexicon["bring_ignore"]:
                continue
            phrases.extend(lexicon["bring_words"].get(word, [word]))
        return phrases

    def bring(self, reading: Reading, fact: Fact) -> Outcome:
        items = fact.expected("items", ())
        cue = words()["concepts"]["bring_cue"]
        hits = 0
        for item in items:
            found = [o for o in reading.find(self._item_phrases(item)) if not o.negated]
            # The scenario's own document named as its subject ("voor een nieuwe eID") is no
            # item to bring: the clause must say bring ("meebrengen", "neem ... mee"), or the
            # citizen has just asked what to bring.
            if found and reading.asked == "bring":
                hits += 1
            elif any(Reading(" ".join(reading.clause_text(o.clause))).find(cue) for o in found):
                hits += 1
            elif found and not self._only_subject(reading, found, fact):
                hits += 1
        return Outcome.HIT if items and hits >= math.ceil(len(items) / 2) else Outcome.MISSED

    def _only_subject(self, reading: Reading, found: List[Occurrence], fact: Fact) -> bool:
        """Whether every occurrence is just the scenario's own product named."""
        subject_names = {normalise(n) for n in self._names_of(fact.subject)}
        return all(" ".join(reading.clause_text(o.clause)[o.start : o.end]) in subject_names for o in found)

    def _names_of(self, product_id: str) -> List[str]:
        product = self.catalogue.products.get(product_id)
        return [product.id, product.name, *product.aliases] if product else []

    def home_delivery(self, reading: Reading, fact: Fact) -> Outcome:
        said, denied = reading.concept("home_delivery")
        return Outcome.HIT if said else Outcome.WRONG if denied else Outcome.MISSED

    def police_report(self, reading: Reading, fact: Fact) -> Outcome:
        said, denied = reading.concept("police")
        return Outcome.HIT if said else Outcome.WRONG if denied else Outcome.MISSED

    def home_visit(self, reading: Reading, fact: Fact) -> Outcome:
        said, denied = reading.concept("home_visit")
        must_come, _ = reading.concept("must_come")
        return Outcome.HIT if said else Outcome.WRONG if denied or must_come else Outcome.MISSED

    def legal_deadline(self, reading: Reading, fact: Fact) -> Outcome:
        expected = self._deadline_number(normalise(fact.expected("deadline", "")).split())
        stated = self._deadline_number(reading.all_words)
        if stated is None or expected is None:
            return Outcome.MISSED
        return Outcome.HIT if stated == expected else Outcome.WRONG

    @staticmethod
    def _deadline_number(found: List[str]) -> Optional[int]:
        numbers = words()["numbers"]
        for i, word in enumerate(found[:-1]):
            following = found[i + 1]
            if following.startswith(("dag", "werkd", "kalenderd", "dgn", "wd")):
                if word.isdigit():
                    return int(word)
                if word in numbers:
                    return numbers[word]
        return None

    def check(self, answer: str, facts: Iterable[Fact], asked: Optional[str] = None) -> List[Verdict]:
        """`asked`: the fact id the citizen's follow-up question was about, if any."""
        reading = Reading(answer)
        reading.asked = asked
        return [Verdict(fact, getattr(self, fact.fact_id)(reading, fact)) for fact in facts]
