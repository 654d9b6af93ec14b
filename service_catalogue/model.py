"""Typed model of the service catalogue.

Validation is strict on purpose: a typo in the data (an unknown weekday, a redirect to a counter
that does not exist, a fact without a source) must stop start-up instead of surfacing as a wrong
answer to a citizen.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Dict, List, Optional

from pydantic import BaseModel, Extra, Field, root_validator, validator

# The sources the facts sheet names; anything else must be flagged as an assumption.
AUTHORITATIVE_REFS = {f"A{i}" for i in range(1, 10)} | {f"C{i}" for i in range(1, 6)}
ASSUMPTION_REFS = {f"B{i}" for i in range(1, 10)}

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")

# Dutch month names, for dates the assistant and the staff command line write.
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


class CatalogueError(ValueError):
    """The catalogue file is missing, unreadable or invalid."""


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Source(Strict):
    """Where a fact comes from: an authoritative reference, or a flagged assumption."""

    ref: Optional[str] = None
    assumption: bool = False
    reason: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def _sourced(cls, values):
        ref, assumption, reason = values["ref"], values["assumption"], values["reason"]
        if assumption:
            if not reason or not reason.strip():
                raise ValueError("an assumption needs a one-line reason")
            if ref is not None and ref not in ASSUMPTION_REFS | AUTHORITATIVE_REFS:
                raise ValueError(f"unknown source reference '{ref}'")
        else:
            if ref not in AUTHORITATIVE_REFS:
                raise ValueError(
                    f"'{ref}' is not a source of the announcement (A1-A9) or the eID page (C1-C5);"
                    " mark the fact with assumption: true and a reason"
                )
        return values


def _coerce_source(value):
    # `source: A2` is shorthand for `source: {ref: A2}`.
    return {"ref": value} if isinstance(value, str) else value


class Validity(Strict):
    valid_from: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values):
        start, end = values.get("valid_from"), values.get("valid_until")
        if start and end and end < start:
            raise ValueError(f"valid_until {end} lies before valid_from {start}")
        return values

    def covers(self, day: dt.date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)


def _check_weekdays(days: List[str]) -> List[str]:
    for day in days:
        if day not in WEEKDAYS:
            raise ValueError(f"'{day}' is not a weekday; use one of {', '.join(WEEKDAYS)}")
    return days


class AlternatingWeeks(Strict):
    even: List[str]
    odd: List[str]

    _days = validator("even", "odd", allow_reuse=True)(_check_weekdays)


class OpeningRule(Validity):
    """One way a counter opens; exactly one of weekdays, alternating_iso_weeks or dates."""

    weekdays: Optional[List[str]] = None
    alternating_iso_weeks: Optional[AlternatingWeeks] = None
    dates: Optional[List[dt.date]] = None
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)

    @validator("weekdays")
    def _known_weekdays(cls, days):
        return _check_weekdays(days) if days is not None else days

    @root_validator(skip_on_failure=True)
    def _one_kind(cls, values):
        kinds = [k for k in ("weekdays", "alternating_iso_weeks", "dates") if values.get(k)]
        if len(kinds) != 1:
            raise ValueError(
                "an opening rule needs exactly one of weekdays, alternating_iso_weeks or dates"
                f" (found: {', '.join(kinds) or 'none'})"
            )
        return Validity._ordered.__func__(cls, values)


class Redirect(Validity):
    to: List[str]
    why: str
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)

    @validator("to")
    def _not_empty(cls, to):
        if not to:
            raise ValueError("a redirect needs at least one counter to send people to")
        return to


class Address(Strict):
    """Where a counter is, only as a source gives it; a counter without one has none."""

    street: str
    postcode: str = Field(..., regex=r"^[1-9][0-9]{3}$")
    place: str
    source: Source
    url: Optional[str] = None

    _sources = validator("source", pre=True, allow_reuse=True)(_coerce_source)

    @property
    def text(self) -> str:
        return f"{self.street}, {self.postcode} {self.place}"


class Counter(Strict):
    id: str
    name: str
    district: str
    aliases: List[str]
    desks: int = Field(..., ge=1, le=50)
    opening: List[OpeningRule]
    redirect: Optional[Redirect] = None
    days_per_week: Optional[int] = Field(None, ge=1, le=7)
    days_source: Optional[Source] = None
    source: Source
    desks_source: Source
    # None until the city gives it: the assistant never invents an address.
    address: Optional[Address] = None

    @property
    def location(self) -> str:
        """For calendars and messages: the address when known, else the counter's name."""
        name = f"Stadsloket {self.name}"
        return f"{name}, {self.address.text}" if self.address else name

    _sources = validator("source", "desks_source", "days_source", pre=True, allow_reuse=True)(
        _coerce_source
    )

    @validator("opening")
    def _has_rules(cls, rules):
        if not rules:
            raise ValueError("a counter needs at least one opening rule")
        return rules

    def redirect_on(self, day: dt.date) -> Optional[Redirect]:
        """The redirect in force on `day`, if any."""
        if self.redirect and self.redirect.covers(day):
            return self.redirect
        return None


class Visit(Strict):
    required: bool
    why: Optional[str] = None
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)

    @root_validator(skip_on_failure=True)
    def _why_when_required(cls, values):
        if values["required"] and not values.get("why"):
            raise ValueError("say why a visit is required (field 'why')")
        return values


class Remote(Strict):
    online: bool
    phone: bool
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)


class Availability(Strict):
    available: bool
    when: Optional[str] = None
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)


class SourcedList(Strict):
    items: List[str]
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)


class SourcedText(Strict):
    text: str
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)


class Household(Strict):
    """Several people of one household in one booking (up to `max_people`)."""

    max_people: int = Field(4, ge=1, le=4)
    children_only: bool = False
    source: Source

    _sources = validator("source", pre=True, allow_reuse=True)(_coerce_source)


class Product(Strict):
    id: str
    name: str
    aliases: List[str]
    visit: Visit
    remote: Remote
    home_delivery: Availability
    home_visit: Optional[Availability] = None
    bring: Optional[SourcedList] = None
    legal_deadline: Optional[SourcedText] = None
    # What to do first when the document was lost or stolen (before the new application).
    lost_or_stolen: Optional[SourcedText] = None
    notes: List[SourcedText] = []
    # Who one booking for several people of a household is for: "children" (Kids-ID), else
    # anyone. None: one booking is for one person only.
    household: Optional["Household"] = None

    @root_validator(skip_on_failure=True)
    def _reachable(cls, values):
        visit, remote = values["visit"], values["remote"]
        if not visit.required and not (remote.online or remote.phone):
            raise ValueError("a product without a visit must be available online or by phone")
        return values


class Measures(Validity):
    appointment_only: bool
    source: Source
    start_source: Source

    _sources = validator("source", "start_source", pre=True, allow_reuse=True)(_coerce_source)


class StaffedHours(Strict):
    """When staff take over chats: weekdays (public holidays excepted) between start and end."""

    days: List[str]
    start: dt.time
    end: dt.time
    source: Source

    _days = validator("days", allow_reuse=True)(_check_weekdays)
    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values):
        if values["end"] <= values["start"]:
            raise ValueError("staffed hours must end after they start")
        return values


class ContactCentre(Strict):
    name: str
    phone: str
    source: Source
    website: str
    website_source: Source
    staffed_hours: StaffedHours

    _source = validator("source", "website_source", pre=True, allow_reuse=True)(_coerce_source)

    @validator("phone")
    def _dialable(cls, phone):
        if not re.fullmatch(r"0[0-9 ]{7,14}", phone):
            raise ValueError(f"'{phone}' is not a Belgian phone number such as 03 22 11 333")
        return phone


class Session(Strict):
    start: dt.time
    end: dt.time

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values):
        if values["end"] <= values["start"]:
            raise ValueError("a session must end after it starts")
        return values


class Reminder(Strict):
    """When the reminder of an appointment goes out: `days_before` the day, at `at` local time."""

    days_before: int = Field(2, ge=0, le=14)
    at: dt.time = dt.time(18, 0)
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)


class Booking(Strict):
    any_counter: bool
    any_counter_source: Source
    appointment_site: str
    appointment_site_source: Source
    slot_minutes: int = Field(..., ge=5, le=120)
    sessions: List[Session]
    horizon_days: int = Field(..., ge=1, le=366)
    source: Source
    reminder: Optional[Reminder] = None  # None: no reminders

    _sources = validator(
        "source", "any_counter_source", "appointment_site_source", pre=True, allow_reuse=True
    )(_coerce_source)


class Holidays(Strict):
    fixed: List[str] = []
    easter_offsets: List[int] = []
    source: Source

    _source = validator("source", pre=True, allow_reuse=True)(_coerce_source)

    @validator("fixed", each_item=True)
    def _month_day(cls, value):
        try:
            dt.datetime.strptime(f"2024-{value}", "%Y-%m-%d")  # a leap year admits 02-29
        except ValueError:
            raise ValueError(f"'{value}' is not a month-day such as 12-25") from None
        return value


class Catalogue(Strict):
    sources: Dict[str, str]
    timezone: str
    measures: Measures
    contact_centre: ContactCentre
    changes: List[SourcedText]
    booking: Booking
    holidays: Holidays
    counters: Dict[str, Counter]
    products: Dict[str, Product]

    @validator("counters", "products", pre=True)
    def _ids_from_keys(cls, entries):
        if not isinstance(entries, dict) or not entries:
            raise ValueError("must be a non-empty mapping of id to entry")
        out = {}
        for key, entry in entries.items():
            if not isinstance(key, str) or not ID_PATTERN.match(key):
                raise ValueError(f"'{key}' is not a valid id (lowercase letters, digits, - and _)")
            if isinstance(entry, dict):
                entry = {"id": key, **entry}
            out[key] = entry
        return out

    @validator("timezone")
    def _known_zone(cls, zone):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{zone}'") from None
        return zone

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values):
        counters, products = values["counters"], values["products"]
        for counter in counters.values():
            if counter.redirect:
                for target in counter.redirect.to:
                    if target not in counters:
                        raise ValueError(
                            f"counters.{counter.id}.redirect.to: '{target}' is not a counter"
                        )
                    if target == counter.id:
                        raise ValueError(f"counters.{counter.id}.redirect.to: points to itself")
        seen: Dict[str, str] = {}
        for kind, entries in (("counter", counters), ("product", products)):
            for entry in entries.values():
                for alias in entry.aliases:
                    key = alias.casefold()
                    owner = f"{kind} {entry.id}"
                    if key in seen and seen[key] != owner:
                        raise ValueError(f"alias '{alias}' is used by {seen[key]} and {owner}")
                    seen[key] = owner
        return values

    def counter(self, counter_id: Optional[str]) -> Optional[Counter]:
        return self.counters.get(counter_id) if counter_id else None

    def product(self, product_id: Optional[str]) -> Optional[Product]:
        return self.products.get(product_id) if product_id else None
