"""Scenarios: a citizen's situation made from the catalogue (counter, document, what happened,
which day), the message that citizen writes, and the facts a good answer contains.

Kinds follow what the counters are asked; each kind lists the fact makers it needs, so a product
that becomes available online in the catalogue brings its `online` fact along with no code change.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from language.wording import long_date
from service_catalogue import schedule
from service_catalogue.model import Catalogue
from staff.practice import facts as F
from staff.practice.wording import texts

MIXED = "alles"
ROUND_SIZE = 5
DAYS_AHEAD = 14
OTHER_TOPIC_DRILLS = 2
COUNTER_KINDS = ("redirected_counter", "limited_days")  # their subject is a counter


@dataclass(frozen=True)
class Situation:
    """A scenario before it is put into words; `variant` tells apart situations of one kind and
    subject (another document for a redirected counter, another asked day)."""

    kind: str
    topic: str
    subject: str
    variant: str
    day: Optional[dt.date]
    facts: Tuple[F.Fact, ...]
    names: Dict[str, str]

    @property
    def fact_keys(self) -> List[str]:
        return [fact.key for fact in self.facts]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}:{self.variant}"


@dataclass(frozen=True)
class Scenario:
    kind: str
    topic: str
    subject: str
    day: Optional[dt.date]
    message: str
    facts: Tuple[F.Fact, ...]


def _working_days(catalogue: Catalogue, today: dt.date) -> List[dt.date]:
    days = [today + dt.timedelta(days=i) for i in range(1, DAYS_AHEAD + 1)]
    return [d for d in days if d.weekday() < 5 and not schedule.is_holiday(catalogue, d)]


def _situation(kind: str, topic: str, subject: str, variant: str, day, facts: Iterable[Optional[F.Fact]], **names) -> Optional[Situation]:
    found = tuple(f for f in facts if f is not None)
    return Situation(kind, topic, subject, variant, day, found, names) if found else None


def spoken_name(product_id: str, name: str) -> str:
    """What a citizen calls the document: texts.nl.yml's spoken name, else the catalogue's name
    without its brackets ('paspoort (reispas)' -> 'paspoort')."""
    return texts().get("spoken_names", {}).get(product_id) or name.split(" (")[0]


def _counter_situations(catalogue: Catalogue, today: dt.date, days: List[dt.date], rng: random.Random) -> List[Optional[Situation]]:
    found: List[Optional[Situation]] = []
    appointment = F.appointment_only(catalogue)
    visit_products = [p for p in catalogue.products.values() if p.visit.required]
    for counter in catalogue.counters.values():
        for product in visit_products:  # one situation per document they come for
            day = rng.choice(days)
            redirect = F.redirect_counters(catalogue, counter, day)
            if redirect:
                found.append(_situation(
                    "redirected_counter", "loketten", counter.id, product.id, day, [redirect, appointment],
                    counter=counter.name, product=spoken_name(product.id, product.name), district=counter.district,
                ))
        if F.has_few_days(counter, today):
            rule_days = F.days_rule(catalogue, counter, today)
            asked_names = rule_days.expected("weekdays") or schedule.WEEKDAYS[:5]
            for asked in (d for d in days if schedule.weekday_name(d) in asked_names):
                found.append(_situation(
                    "limited_days", "loketten", counter.id, asked.isoformat(), asked,
                    [F.open_day(catalogue, counter, asked), rule_days, F.any_counter(catalogue, counter)],
                    counter=counter.name, district=counter.district,
                ))
    return found


def _product_situations(catalogue: Catalogue, days: List[dt.date], rng: random.Random) -> List[Optional[Situation]]:
    found: List[Optional[Situation]] = []
    appointment = F.appointment_only(catalogue)
    for product in catalogue.products.values():
        names = dict(product=product.name)
        day = rng.choice(days)

        def add(kind: str, topic: str, facts: List[Optional[F.Fact]]) -> None:
            found.append(_situation(kind, topic, product.id, "", day, facts, **names))

        if product.legal_deadline:
            add("deadline_product", "aanvragen", [F.no_visit(catalogue, product), F.online(catalogue, product),
                                                   F.phone_number(catalogue, product), F.legal_deadline(catalogue, product)])
        elif not product.visit.required:
            add("remote_product", "aanvragen", [F.no_visit(catalogue, product), F.online(catalogue, product),
                                                 F.phone_number(catalogue, product)])
        else:
            add("visit_product", "aanvragen", [appointment, F.bring(catalogue, product), F.home_delivery(catalogue, product)])
            if product.home_delivery.available:
                add("delivery_question", "thuis", [F.home_delivery(catalogue, product), appointment])
        if product.lost_or_stolen:
            add("lost_or_stolen", "verlies", [F.police_report(catalogue, product), appointment, F.bring(catalogue, product)])
        if product.home_visit and product.home_visit.available:
            add("home_visit", "thuis", [F.home_visit(catalogue, product)])
    return found


def situations(catalogue: Catalogue, today: dt.date, rng: random.Random) -> List[Situation]:
    """Every situation the catalogue allows in the coming weeks."""
    days = _working_days(catalogue, today)
    found = _counter_situations(catalogue, today, days, rng) + _product_situations(catalogue, days, rng)
    return [s for s in found if s is not None]


def snapshot(catalogue: Catalogue, today: dt.date) -> Dict[str, str]:
    """Fact key -> fingerprint of every fact some scenario drills: what a round is compared with."""
    return {fact.key: fact.fingerprint for s in situations(catalogue, today, random.Random(0)) for fact in s.facts}


def statements(catalogue: Catalogue, today: dt.date) -> Dict[str, F.Fact]:
    """A fact per key, to name changed facts (open_day is named by its days_rule)."""
    found: Dict[str, F.Fact] = {}
    for s in situations(catalogue, today, random.Random(0)):
        for fact in s.facts:
            found.setdefault(fact.key, fact)
    return found


def phrase(situation: Situation, rng: random.Random, line: Optional[int] = None, person: Optional[dict] = None) -> str:
    """The citizen's message: one of the kind's phrasings, with a person and a day picked."""
    lines = texts()["citizen"][situation.kind]
    template = lines[line % len(lines)] if line is not None else rng.choice(lines)
    if person is None:
        for_child = situation.kind not in COUNTER_KINDS and situation.subject in texts()["for_children"]
        people = [p for p in texts()["people"] if p["child"] or not for_child]
        person = rng.choice(people)
    values = {**person, **situation.names}
    if "product" in values and situation.kind not in COUNTER_KINDS:
        values["product"] = spoken_name(situation.subject, values["product"])
    values["day"] = long_date(situation.day) if situation.day else ""
    text = template.format_map(values)
    return text[0].upper() + text[1:]


def to_scenario(situation: Situation, rng: random.Random) -> Scenario:
    return Scenario(situation.kind, situation.topic, situation.subject, situation.day, phrase(situation, rng), situation.facts)


def _varied(pool: List[Situation], taken: List[Situation], size: int) -> List[Situation]:
    """Up to `size` more situations: a new kind and subject before a second one of either."""
    chosen = list(taken)
    for rule in (lambda s: (s.kind not in {c.kind for c in chosen}),
                 lambda s: (s.kind, s.subject) not in {(c.kind, c.subject) for c in chosen},
                 lambda s: True):
        for s in pool:
            if len(chosen) >= size:
                return chosen
            if s not in chosen and rule(s):
                chosen.append(s)
    return chosen


def pick_round(
    catalogue: Catalogue,
    today: dt.date,
    topic: str,
    rng: random.Random,
    favour: Sequence[str] = (),
    size: int = ROUND_SIZE,
) -> List[Scenario]:
    """`size` scenarios of `topic` (or of all topics), those about the `favour` fact keys first.

    Changed facts are news every trainee needs: a round of another topic still opens with up to
    OTHER_TOPIC_DRILLS scenarios about them. A topic with too few situations is topped up from
    the others, so a round always has `size` scenarios while the catalogue has that many.
    """
    every = situations(catalogue, today, rng)
    rng.shuffle(every)
    pool = [s for s in every if topic == MIXED or s.topic == topic]
    favoured = [s for s in every if set(s.fact_keys) & set(favour)]
    favoured.sort(key=lambda s: (s not in pool, -len(set(s.fact_keys) & set(favour))))
    inside = _varied([s for s in favoured if s in pool], [], size)
    outside = _varied([s for s in favoured if s not in pool], [], OTHER_TOPIC_DRILLS)
    chosen = (outside + inside)[:size]
    chosen = _varied(pool, chosen, size)
    chosen = _varied(every, chosen, size)
    return [to_scenario(s, rng) for s in chosen]


def topics() -> Dict[str, str]:
    return dict(texts()["topics"])
