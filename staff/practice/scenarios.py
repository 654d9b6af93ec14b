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
class Scenario:
    kind: str
    topic: str
    subject: str  # counter or product id
    day: Optional[dt.date]
    message: str
    facts: Tuple[F.Fact, ...]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


@dataclass(frozen=True)
class Situation:
    """A scenario before it is put into words."""

    kind: str
    topic: str
    subject: str
    day: Optional[dt.date]
    facts: Tuple[F.Fact, ...]
    names: Dict[str, str]

    @property
    def fact_keys(self) -> List[str]:
        return [fact.key for fact in self.facts]


def _working_days(catalogue: Catalogue, today: dt.date) -> List[dt.date]:
    days = [today + dt.timedelta(days=i) for i in range(1, DAYS_AHEAD + 1)]
    return [d for d in days if d.weekday() < 5 and not schedule.is_holiday(catalogue, d)]


def _situation(kind: str, topic: str, subject: str, day, facts: Iterable[Optional[F.Fact]], **names) -> Optional[Situation]:
    found = tuple(f for f in facts if f is not None)
    return Situation(kind, topic, subject, day, found, names) if found else None


def situations(catalogue: Catalogue, today: dt.date, rng: random.Random) -> List[Situation]:
    """Every situation the catalogue allows today, one per kind and subject."""
    found: List[Optional[Situation]] = []
    days = _working_days(catalogue, today)
    appointment = F.appointment_only(catalogue)
    visit_products = [p for p in catalogue.products.values() if p.visit.required]
    for counter in catalogue.counters.values():
        day = rng.choice(days)
        redirect = F.redirect_counters(catalogue, counter, day)
        if redirect and visit_products:
            product = rng.choice(visit_products)
            found.append(
                _situation("redirected_counter", "loketten", counter.id, day, [redirect, appointment],
                           counter=counter.name, product=spoken_name(product.id, product.name),
                           district=counter.district)
            )
        if F.has_few_days(counter, today):
            rule_days = F.days_rule(catalogue, counter, today)
            asked_names = rule_days.expected("weekdays") or schedule.WEEKDAYS[:5]
            candidates = [d for d in days if schedule.weekday_name(d) in asked_names]
            if candidates:
                asked = rng.choice(candidates)
                found.append(
                    _situation("limited_days", "loketten", counter.id, asked,
                               [F.open_day(catalogue, counter, asked), rule_days, F.any_counter(catalogue, counter)],
                               counter=counter.name, district=counter.district)
                )
    for product in catalogue.products.values():
        names = dict(product=product.name)
        day = rng.choice(days)
        if product.legal_deadline:
            found.append(_situation("deadline_product", "aanvragen", product.id, day,
                                    [F.online(catalogue, product), F.phone_number(catalogue, product),
                                     F.legal_deadline(catalogue, product)], **names))
        elif not product.visit.required:
            found.append(_situation("remote_product", "aanvragen", product.id, day,
                                    [F.no_visit(catalogue, product), F.online(catalogue, product),
                                     F.phone_number(catalogue, product)], **names))
        else:
            found.append(_situation("visit_product", "aanvragen", product.id, day,
                                    [appointment, F.bring(catalogue, product), F.home_delivery(catalogue, product)], **names))
            if product.home_delivery.available:
                found.append(_situation("delivery_question", "thuis", product.id, day,
                                        [F.home_delivery(catalogue, product), appointment], **names))
        if product.lost_or_stolen:
            found.append(_situation("lost_or_stolen", "verlies", product.id, day,
                                    [F.police_report(catalogue, product), appointment, F.bring(catalogue, product)], **names))
        if product.home_visit and product.home_visit.available:
            found.append(_situation("home_visit", "thuis", product.id, day,
                                    [F.home_visit(catalogue, product)], **names))
    return [s for s in found if s is not None]


def spoken_name(product_id: str, name: str) -> str:
    """What a citizen calls the document: texts.nl.yml's spoken name, else the catalogue's name
    without its brackets ('paspoort (reispas)' -> 'paspoort')."""
    return texts().get("spoken_names", {}).get(product_id) or name.split(" (")[0]


def phrase(situation: Situation, rng: random.Random, line: Optional[int] = None) -> str:
    """The citizen's message: one of the kind's phrasings, with a person and a day picked."""
    lines = texts()["citizen"][situation.kind]
    template = lines[line % len(lines)] if line is not None else rng.choice(lines)
    person = rng.choice(texts()["people"])
    values = {**person, **situation.names}
    if "product" in values and situation.kind not in COUNTER_KINDS:
        values["product"] = spoken_name(situation.subject, values["product"])
    values["day"] = long_date(situation.day) if situation.day else ""
    text = template.format_map(values)
    return text[0].upper() + text[1:]


def to_scenario(situation: Situation, rng: random.Random) -> Scenario:
    return Scenario(
        situation.kind, situation.topic, situation.subject, situation.day, phrase(situation, rng), situation.facts
    )


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
    OTHER_TOPIC_DRILLS scenarios about them.
    """
    every = situations(catalogue, today, rng)
    rng.shuffle(every)
    pool = [s for s in every if topic == MIXED or s.topic == topic]
    favoured = [s for s in every if set(s.fact_keys) & set(favour)]
    favoured.sort(key=lambda s: (s not in pool, -len(set(s.fact_keys) & set(favour))))
    outside = [s for s in favoured if s not in pool][:OTHER_TOPIC_DRILLS]
    chosen = ([s for s in favoured if s in pool] + outside)[:size]
    chosen.sort(key=lambda s: s in pool)  # the changed facts of other topics come first
    rest = [s for s in pool if s not in chosen]
    # Vary kinds: take one situation of each kind before a second of any.
    by_kind: Dict[str, List[Situation]] = {}
    for s in rest:
        by_kind.setdefault(s.kind, []).append(s)
    while len(chosen) < size and any(by_kind.values()):
        for kind in list(by_kind):
            if by_kind[kind] and len(chosen) < size:
                chosen.append(by_kind[kind].pop())
    return [to_scenario(s, rng) for s in chosen]


def topics() -> Dict[str, str]:
    return dict(texts()["topics"])
