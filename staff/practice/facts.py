"""What a trainee must know, read off the service catalogue: one Fact per thing an answer can get
right, with the catalogue's own source and a fingerprint of the data behind it.

The fingerprints make "what changed" drills possible without anyone listing changes: a fact whose
data differs from what a trainee last practised is a changed fact for that trainee.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

from service_catalogue import schedule
from service_catalogue.model import Catalogue, Counter, Product, Source
from language.wording import join, join_or, long_date, per_week
from staff.practice.wording import render, source_label

# Fact ids and the topic a missed fact counts against.
FACT_TOPICS = {
    "appointment_only": "aanvragen",
    "redirect_counters": "loketten",
    "open_day": "loketten",
    "days_rule": "loketten",
    "any_counter": "loketten",
    "no_visit": "aanvragen",
    "online": "aanvragen",
    "phone_number": "aanvragen",
    "bring": "aanvragen",
    "legal_deadline": "aanvragen",
    "police_report": "verlies",
    "home_delivery": "thuis",
    "home_visit": "thuis",
}


@dataclass(frozen=True)
class Fact:
    fact_id: str
    subject: str  # the counter or product the fact is about; "" for a general rule
    statement: str  # the fact in the assistant's Dutch, from the catalogue
    source: str  # "bron A6", "aanname B3"
    fingerprint: str
    # What the answer checker needs beyond the fact id (counters to name, items to bring, ...).
    expect: Tuple[Tuple[str, Any], ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.fact_id}:{self.subject}" if self.subject else self.fact_id

    @property
    def topic(self) -> str:
        return FACT_TOPICS[self.fact_id]

    def expected(self, name: str, default: Any = None) -> Any:
        return dict(self.expect).get(name, default)


def fingerprint(*data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def _fact(fact_id: str, subject: str, statement: str, source: Source, data: Any, **expect) -> Fact:
    return Fact(
        fact_id,
        subject,
        statement,
        source_label(source),
        fingerprint(fact_id, data),
        tuple(sorted(expect.items())),
    )


def _dump(model) -> Any:
    return model.dict() if model is not None else None


# --- general rules -----------------------------------------------------------------------------


def appointment_only(catalogue: Catalogue) -> Optional[Fact]:
    measures = catalogue.measures
    if not measures.appointment_only:
        return None
    return _fact(
        "appointment_only", "", render("statement", "appointment_only"), measures.source, _dump(measures)
    )


def any_counter(catalogue: Catalogue, counter: Counter) -> Optional[Fact]:
    booking = catalogue.booking
    if not booking.any_counter:
        return None
    others = [c.id for c in catalogue.counters.values() if c.id != counter.id]
    return _fact(
        "any_counter",
        "",
        render("statement", "any_counter"),
        booking.any_counter_source,
        booking.any_counter,
        others=tuple(others),
    )


# --- counters ----------------------------------------------------------------------------------


def redirect_counters(catalogue: Catalogue, counter: Counter, day: dt.date) -> Optional[Fact]:
    redirect = counter.redirect_on(day)
    if redirect is None:
        return None
    targets = [catalogue.counters[target] for target in redirect.to]
    until = (
        render("statement", "redirect_until", day=long_date(redirect.valid_until, with_year=True))
        if redirect.valid_until
        else ""
    )
    statement = render(
        "statement",
        "redirect_counters",
        counter=counter.name,
        targets=join_or(t.name for t in targets),
        why=redirect.why,
        until=until,
    )
    return _fact(
        "redirect_counters",
        counter.id,
        statement,
        redirect.source,
        _dump(redirect),
        targets=tuple(t.id for t in targets),
        redirected=counter.id,
    )


def has_few_days(counter: Counter, day: dt.date) -> bool:
    """A counter that does not simply open on fixed weekdays is worth a question about its days."""
    rule = schedule.rule_on(counter, day)
    return rule is not None and rule.weekdays is None


def _rule_text(catalogue: Catalogue, counter: Counter, day: dt.date) -> Tuple[str, Source]:
    rule = schedule.rule_on(counter, day)
    if rule.alternating_iso_weeks is not None:
        weeks = rule.alternating_iso_weeks
        text = render("statement", "days_rule_alternating", even=join_or(weeks.even), odd=join_or(weeks.odd))
    else:
        upcoming = [d for d in rule.dates if d >= day][:4]
        text = render("statement", "days_rule_dates", dates=join(long_date(d) for d in upcoming))
    return text, rule.source


def days_rule(catalogue: Catalogue, counter: Counter, day: dt.date) -> Optional[Fact]:
    if not has_few_days(counter, day):
        return None
    rule = schedule.rule_on(counter, day)
    text, rule_source = _rule_text(catalogue, counter, day)
    statement = render(
        "statement",
        "days_rule",
        counter=counter.name,
        per_week=per_week(counter.days_per_week or 1),
        rule=text,
    )
    source = counter.days_source or rule_source
    weekdays = sorted(
        set((rule.alternating_iso_weeks.even + rule.alternating_iso_weeks.odd) if rule.alternating_iso_weeks else [])
    )
    return _fact(
        "days_rule",
        counter.id,
        statement,
        source,
        [_dump(r) for r in counter.opening] + [counter.days_per_week],
        weekdays=tuple(weekdays),
    )


def open_day(catalogue: Catalogue, counter: Counter, asked: dt.date) -> Optional[Fact]:
    """Which day(s) of the asked day's week the counter opens; None when it opens on none."""
    if not has_few_days(counter, asked):
        return None
    monday = asked - dt.timedelta(days=asked.weekday())
    week = [monday + dt.timedelta(days=i) for i in range(7)]
    open_days = [d for d in week if schedule.status_on(catalogue, counter, d).is_open]
    if not open_days:
        return None
    rule = schedule.rule_on(counter, asked)
    if asked in open_days:
        note = render("statement", "open_day_asked_open")
    else:
        note = render("statement", "open_day_asked_closed", asked=long_date(asked))
    statement = render(
        "statement",
        "open_day",
        counter=counter.name,
        open_days=join(long_date(d) for d in open_days),
        asked_note=note,
    )
    rule_days = days_rule(catalogue, counter, asked)
    return _fact(
        "open_day",
        counter.id,
        statement,
        rule.source,
        [_dump(r) for r in counter.opening] + [counter.days_per_week],
        open_weekdays=tuple(schedule.weekday_name(d) for d in open_days),
        open_dates=tuple(d.day for d in open_days),
        other_weekdays=tuple(
            w for w in (rule_days.expected("weekdays", ()) if rule_days else ())
            if w not in {schedule.weekday_name(d) for d in open_days}
        ),
        asked_is_open=asked in open_days,
    )


# --- products ----------------------------------------------------------------------------------


def no_visit(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if product.visit.required:
        return None
    statement = render("statement", "no_visit", product=product.name)
    return _fact("no_visit", product.id, statement, product.visit.source, _dump(product.visit))


def online(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if not product.remote.online:
        return None
    statement = render("statement", "online", product=product.name)
    return _fact("online", product.id, statement, product.remote.source, [True, _dump(product.remote.source)])


def phone_number(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if not product.remote.phone:
        return None
    centre = catalogue.contact_centre
    statement = render(
        "statement", "phone_number", product=product.name, centre=centre.name, phone=centre.phone
    )
    return _fact(
        "phone_number",
        product.id,
        statement,
        product.remote.source,
        [True, centre.phone, _dump(product.remote.source)],
        phone=centre.phone,
    )


def bring(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if not product.bring or not product.bring.items:
        return None
    items = product.bring.items
    # Items that hold a comma themselves are listed with semicolons.
    listed = "; ".join(items) if any("," in item for item in items) else join(items)
    statement = render("statement", "bring", product=product.name, items=listed)
    return _fact("bring", product.id, statement, product.bring.source, _dump(product.bring), items=tuple(items))


def home_delivery(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if not product.home_delivery.available:
        return None
    statement = render("statement", "home_delivery", product=product.name)
    return _fact(
        "home_delivery", product.id, statement, product.home_delivery.source, _dump(product.home_delivery)
    )


def police_report(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if not product.lost_or_stolen:
        return None
    statement = render("statement", "police_report", advice=product.lost_or_stolen.text)
    return _fact(
        "police_report", product.id, statement, product.lost_or_stolen.source, _dump(product.lost_or_stolen)
    )


def home_visit(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if not product.home_visit or not product.home_visit.available:
        return None
    statement = render(
        "statement", "home_visit", product=product.name, when=product.home_visit.when or ""
    )
    return _fact("home_visit", product.id, statement, product.home_visit.source, _dump(product.home_visit))


def legal_deadline(catalogue: Catalogue, product: Product) -> Optional[Fact]:
    if not product.legal_deadline:
        return None
    statement = render(
        "statement", "legal_deadline", product=product.name, deadline=product.legal_deadline.text
    )
    return _fact(
        "legal_deadline",
        product.id,
        statement,
        product.legal_deadline.source,
        _dump(product.legal_deadline),
        deadline=product.legal_deadline.text,
    )
