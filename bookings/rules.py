"""The rules a booking must obey, as pure functions: the form validators call them on each
answer, and the actions that write (book, move) call `check_booking` again on everything just
before the store is changed, whatever the conversation's slots say.

Each rule takes what the citizen said (already read by language.dutch_dates) and returns a
Verdict: the accepted value, or the wording key of a refusal with the alternatives to offer as
buttons. Nothing here imports Rasa, so every rule is tested with a fixed clock and a store.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from language import wording
from language.dutch_dates import DayReading
from language.dutch_times import TimeReading
from actions.texts import render
from bookings import slot_plan
from bookings.contact_details import read_contact
from language.household import People
from service_catalogue import Catalogue, Counter, schedule
from service_catalogue.model import Product

MAX_DAY_BUTTONS = 3
MAX_TIME_BUTTONS = 5
MAX_ECHO = 40
NAME_MAX = 60
NEAREST_DAYS_SEARCH = 21  # days either side of a refused day to look for room
# Letters of any script, with the separators names really use.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.\-][^\W\d_]+)*\.?$")
NOON = dt.time(12, 0)

Button = Dict[str, str]


@dataclass(frozen=True)
class Verdict:
    """An accepted value, or why not (a key of texts.nl.yml, its values, buttons to offer)."""

    value: Any = None
    key: Optional[str] = None
    values: Dict[str, Any] = field(default_factory=dict)
    buttons: List[Button] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.value is not None


def intent_button(title: str, intent: str, **entities: str) -> Button:
    payload = f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}"
    return {"title": title, "payload": payload}


def day_label(day: dt.date, today: dt.date) -> str:
    return wording.long_date(day, with_year=day.year != today.year)


def day_buttons(days: Sequence[dt.date], today: dt.date) -> List[Button]:
    """A day button sends the date as text, so it is read like a typed date."""
    return [{"title": day_label(d, today), "payload": day_label(d, today)} for d in days]


def time_label(start: dt.time) -> str:
    return start.strftime("%H:%M")


def time_buttons(starts: Sequence[dt.time]) -> List[Button]:
    return [{"title": time_label(t), "payload": time_label(t)} for t in starts]


def counter_buttons(counters: Sequence[Counter]) -> List[Button]:
    return [intent_button(c.name, "inform", counter=c.id) for c in counters]


def bookable_counters(catalogue: Catalogue, today: dt.date) -> List[Counter]:
    return [c for c in catalogue.counters.values() if not c.redirect_on(today)]


def visit_products(catalogue: Catalogue):
    return [p for p in catalogue.products.values() if p.visit.required]


def product_buttons(catalogue: Catalogue) -> List[Button]:
    return [intent_button(p.name, "inform", product=p.id) for p in visit_products(catalogue)]


# --- product and counter ---------------------------------------------------------------------


def choose_product(catalogue: Catalogue, given: str) -> Verdict:
    product = catalogue.product(given)
    if product is None:
        return Verdict(
            key="booking_product_unknown",
            values={"value": given[:MAX_ECHO]},
            buttons=product_buttons(catalogue),
        )
    return Verdict(value=product.id)


def choose_counter(catalogue: Catalogue, given: str, today: dt.date) -> Verdict:
    counter = catalogue.counter(given)
    if counter is None:
        return Verdict(
            key="booking_counter_unknown",
            values={"value": given[:MAX_ECHO]},
            buttons=counter_buttons(bookable_counters(catalogue, today)),
        )
    redirect = counter.redirect_on(today)
    if redirect:
        targets = [catalogue.counters[t] for t in redirect.to]
        return Verdict(
            key="booking_counter_redirected",
            values={
                "counter_name": counter.name,
                "targets": wording.join_or(t.name for t in targets),
                "why": redirect.why,
            },
            buttons=counter_buttons(targets),
        )
    return Verdict(value=counter.id)


# --- day -------------------------------------------------------------------------------------


def bookable_days(catalogue: Catalogue, counter: Counter, start: dt.date, count: int) -> List[dt.date]:
    """The next `count` open days from `start`, inside today's booking window (room not checked)."""
    first, last = slot_plan.booking_window(catalogue, schedule.today(catalogue))
    found = [d for d in _days(max(start, first), last) if slot_plan.is_bookable_day(catalogue, counter, d)]
    return found[: max(count, 0)]


def days_with_room(
    catalogue: Catalogue, store, counter: Counter, start: dt.date, now: dt.datetime, count: int
) -> List[dt.date]:
    """The first `count` days from `start` on which a slot is still free."""
    found: List[dt.date] = []
    _, last = slot_plan.booking_window(catalogue, now.date())
    day = max(start, now.date())
    while day <= last and len(found) < count:
        if slot_plan.free_slots(catalogue, store, counter.id, day, now):
            found.append(day)
        day += dt.timedelta(days=1)
    return found


def nearest_days_with_room(
    catalogue: Catalogue, store, counter: Counter, around: dt.date, now: dt.datetime
) -> List[dt.date]:
    """Alternatives for a refused day: the closest days with room, later ones first on a tie."""
    today = now.date()
    first, last = slot_plan.booking_window(catalogue, today)
    anchor = min(max(around, first), last)
    span = dt.timedelta(days=NEAREST_DAYS_SEARCH)
    candidates = [
        d
        for d in _days(max(first, anchor - span), min(last, anchor + span))
        if d != around and slot_plan.free_slots(catalogue, store, counter.id, d, now)
    ]
    candidates.sort(key=lambda d: (abs((d - anchor).days), d < anchor))
    chosen = sorted(candidates[:MAX_DAY_BUTTONS])
    return chosen or days_with_room(catalogue, store, counter, today, now, MAX_DAY_BUTTONS)


def _days(first: dt.date, last: dt.date) -> List[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _refuse_day(catalogue, store, counter, key, around, now, **values) -> Verdict:
    days = nearest_days_with_room(catalogue, store, counter, around, now)
    return Verdict(key=key, values=values, buttons=day_buttons(days, now.date()))


def choose_day(
    catalogue: Catalogue,
    store,
    counter: Optional[Counter],
    reading: DayReading,
    now: dt.datetime,
) -> Verdict:
    """A bookable day with a free slot. Without a counter yet only the calendar is checked;
    the counter's days are checked again once it is known."""
    today = now.date()
    first, last = slot_plan.booking_window(catalogue, today)
    if reading.impossible:
        return _refuse_without_counter(
            catalogue, store, counter, "booking_date_impossible", today, now, date=reading.impossible[:MAX_ECHO]
        )
    if reading.day is None:
        return _refuse_without_counter(catalogue, store, counter, "booking_date_unclear", today, now)
    day = reading.day
    label = day_label(day, today)
    if reading.until is not None and counter is not None:
        in_range = [d for d in _days(max(day, today), min(reading.until, last))]
        with_room = [d for d in in_range if slot_plan.free_slots(catalogue, store, counter.id, d, now)]
        if with_room:
            return Verdict(value=with_room[0].isoformat())
        return _refuse_day(
            catalogue, store, counter, "booking_date_range_full", reading.until, now,
            counter_name=counter.name,
        )
    if day < today:
        return _refuse_without_counter(
            catalogue, store, counter, "booking_date_past", today, now, day=label.capitalize()
        )
    if day > last:
        last_day = day_label(last, today)
        if counter is None:
            return Verdict(key="booking_date_too_far", values={"last_day": last_day})
        # The nearest days are the last ones of the window.
        return _refuse_day(catalogue, store, counter, "booking_date_too_far", day, now, last_day=last_day)
    if counter is None:
        return Verdict(value=day.isoformat())
    status = schedule.status_on(catalogue, counter, day).status
    if status is schedule.Status.HOLIDAY:
        return _refuse_day(catalogue, store, counter, "booking_date_holiday", day, now, day=label.capitalize())
    if status is not schedule.Status.OPEN:
        return _refuse_day(
            catalogue, store, counter, "booking_date_closed", day, now, day=label, counter_name=counter.name
        )
    if not slot_plan.free_slots(catalogue, store, counter.id, day, now):
        return _refuse_day(
            catalogue, store, counter, "booking_date_full", day, now, day=label, counter_name=counter.name
        )
    return Verdict(value=day.isoformat())


def _refuse_without_counter(catalogue, store, counter, key, start, now, **values) -> Verdict:
    """A refusal that is not about the counter's days: offer its first days with room."""
    if counter is None:
        return Verdict(key=key, values=values)
    days = days_with_room(catalogue, store, counter, start, now, MAX_DAY_BUTTONS)
    return Verdict(key=key, values=values, buttons=day_buttons(days, now.date()))


def day_fits(catalogue: Catalogue, store, counter: Counter, day: dt.date, now: dt.datetime) -> bool:
    return bool(slot_plan.free_slots(catalogue, store, counter.id, day, now))


# --- time ------------------------------------------------------------------------------------


def _nearest_times(free: List[dt.time], wanted: dt.time) -> List[dt.time]:
    def distance(t: dt.time) -> int:
        return abs((t.hour * 60 + t.minute) - (wanted.hour * 60 + wanted.minute))

    return sorted(sorted(free, key=distance)[:MAX_TIME_BUTTONS])


def in_part(start: dt.time, part: str) -> bool:
    return start < NOON if part == "voormiddag" else start >= NOON


def sessions_text(catalogue: Catalogue) -> str:
    return wording.join(
        render("session_span", start=time_label(s.start), end=time_label(s.end))
        for s in catalogue.booking.sessions
    )


def choose_time(
    catalogue: Catalogue,
    store,
    counter: Optional[Counter],
    day: Optional[dt.date],
    reading: TimeReading,
    now: dt.datetime,
) -> Verdict:
    """A free slot start on the chosen day; before the day is known, any start of a session."""
    starts = slot_plan.slot_starts(catalogue)
    free = (
        slot_plan.free_slots(catalogue, store, counter.id, day, now)
        if counter is not None and day is not None
        else starts
    )
    day_text = day_label(day, now.date()) if day else ""
    if reading.at is not None:
        wanted = reading.at.replace(second=0, microsecond=0)
        if wanted in free:
            return Verdict(value=time_label(wanted))
        if wanted not in starts:
            key, values = "booking_time_not_offered", {
                "time": time_label(wanted),
                "sessions": sessions_text(catalogue),
                "minutes": catalogue.booking.slot_minutes,
            }
        elif day == now.date() and wanted <= now.time():
            key, values = "booking_time_passed", {"time": time_label(wanted)}
        else:
            key, values = "booking_time_taken", {"time": time_label(wanted), "day": day_text}
        return Verdict(key=key, values=values, buttons=time_buttons(_nearest_times(free, wanted)))
    if reading.part is not None:
        in_that_part = [t for t in free if in_part(t, reading.part)]
        if in_that_part:
            return Verdict(
                key="booking_time_in_part",
                values={"part": reading.part, "day": day_text},
                buttons=time_buttons(in_that_part[:MAX_TIME_BUTTONS]),
            )
        return Verdict(
            key="booking_time_part_full",
            values={"part": reading.part, "day": day_text},
            buttons=time_buttons(free[:MAX_TIME_BUTTONS]),
        )
    return Verdict(key="booking_time_unclear", buttons=time_buttons(free[:MAX_TIME_BUTTONS]))


# --- who -------------------------------------------------------------------------------------


def choose_name(text: str) -> Verdict:
    """A name as people write it; anything with digits or markup is refused, not cleaned."""
    name = " ".join(text.split())
    if 2 <= len(name) <= NAME_MAX and _NAME.match(name):
        return Verdict(value=name)
    return Verdict(key="booking_name_invalid")


def looks_like_full_name(text: str) -> bool:
    """Two to four words, each starting with a capital, together a valid name: "An De Smet"."""
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[0].isupper() for w in words) and choose_name(text).accepted


def choose_contact(text: str) -> Verdict:
    contact = read_contact(text[:300])
    if contact:
        return Verdict(value=contact)
    return Verdict(key="booking_contact_invalid")


# --- a household in one booking ---------------------------------------------------------------


def max_people(product: Optional[Product]) -> int:
    return product.household.max_people if product is not None and product.household else 1


def check_people(product: Product, value: Any) -> Optional[int]:
    """The slot's number of people, or None when the product does not allow it; no slot is one."""
    if value in (None, ""):
        return 1
    try:
        count = int(str(value))
    except ValueError:
        return None
    return count if 1 <= count <= max_people(product) else None


def choose_people(catalogue: Catalogue, product: Optional[Product], reading: People) -> Verdict:
    """How many people, from what the citizen wrote: within the product's household limit."""
    limit = max_people(product)
    children = bool(product and product.household and product.household.children_only)
    buttons = people_buttons(limit, product)
    if children and reading.children_only is False:
        return Verdict(key="booking_people_children_only", values={"product": product.name}, buttons=buttons)
    if reading.count is None or reading.count < 1:
        return Verdict(key="booking_people_unclear", values={"max": limit}, buttons=buttons)
    if reading.count > limit:
        centre = catalogue.contact_centre
        return Verdict(key="booking_people_too_many", values={"max": limit, "centre": centre.name,
                                                               "phone": centre.phone}, buttons=buttons)
    return Verdict(value=str(reading.count))


def people_buttons(limit: int, product: Optional[Product] = None) -> List[Button]:
    """"2 personen" rather than "2": a bare number is easily read as something else."""
    return [{"title": people_label(product, n), "payload": people_label(product, n)} for n in range(1, limit + 1)]


def people_label(product: Optional[Product], count: int) -> str:
    children = bool(product and product.household and product.household.children_only)
    if children:
        return render("children_one") if count == 1 else render("children_many", count=count)
    return render("people_one") if count == 1 else render("people_many", count=count)


def following_starts(catalogue: Catalogue, start: dt.time, count: int) -> tuple:
    """Up to `count` slot starts right after `start`, without a gap (not across a break)."""
    length = dt.timedelta(minutes=catalogue.booking.slot_minutes)
    starts = set(slot_plan.slot_starts(catalogue))
    found, moment = [], dt.datetime.combine(dt.date.min, start)
    for _ in range(count):
        moment += length
        if moment.time() not in starts:
            break
        found.append(moment.time())
    return tuple(found)


def fits(catalogue: Catalogue, booked: Dict[dt.time, int], counter: Counter, start: dt.time, people: int) -> bool:
    """Whether `people` find places from `start` on, in that slot and the ones right after it."""
    left = people
    for slot in (start,) + following_starts(catalogue, start, people - 1):
        free = counter.desks - booked.get(slot, 0)
        if free <= 0:
            return False
        left -= min(free, left)
        if left == 0:
            return True
    return False


def contact_kind(contact: str) -> str:
    return "contact_kind_email" if "@" in contact else "contact_kind_phone"


# --- the whole booking, again, before it is written -----------------------------------------


@dataclass(frozen=True)
class Appointment:
    """What is written to the store once every rule holds (catalogue ids, parsed day and hour)."""

    product: str
    counter: str
    day: dt.date
    start: dt.time
    name: Optional[str] = None
    contact: Optional[str] = None
    people: int = 1


def _parse_day(value: Any) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _parse_time(value: Any) -> Optional[dt.time]:
    try:
        start = dt.time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return start if start is not None and start.second == 0 and start.microsecond == 0 else None


def _refused(reason: str) -> Verdict:
    return Verdict(key="booking_refused", values={"reason": render(reason), "reason_key": reason})


def check_appointment_time(
    catalogue: Catalogue, counter_id: Any, day_value: Any, start_value: Any, now: dt.datetime
) -> Verdict:
    """Counter, day and hour as the rules allow them, room aside: the store enforces capacity in
    its own transaction, and a slot taken meanwhile gets its own answer there."""
    counter = catalogue.counter(counter_id) if isinstance(counter_id, str) else None
    if counter is None:
        return _refused("refusal_counter")
    day, start = _parse_day(day_value), _parse_time(start_value)
    if day is None or start is None:
        return _refused("refusal_moment")
    if counter.redirect_on(day):
        return _refused("refusal_counter_redirected")
    first, last = slot_plan.booking_window(catalogue, now.date())
    if not first <= day <= last:
        return _refused("refusal_outside_window")
    if not slot_plan.is_bookable_day(catalogue, counter, day):
        return _refused("refusal_closed_day")
    local = slot_plan.local_time(catalogue, now)
    if start not in slot_plan.slot_starts(catalogue) or (day == local.date() and start <= local.time()):
        return _refused("refusal_time")
    return Verdict(value=(counter.id, day, start))


def check_booking(catalogue: Catalogue, slots: Dict[str, Any], now: dt.datetime) -> Verdict:
    """Every rule of a new booking, on the raw slot values: an Appointment, or why not."""
    product = catalogue.product(slots.get("booking_product")) if isinstance(
        slots.get("booking_product"), str) else None
    if product is None:
        return _refused("refusal_product")
    moment = check_appointment_time(
        catalogue, slots.get("booking_counter"), slots.get("booking_date"), slots.get("booking_time"), now
    )
    if not moment.accepted:
        return moment
    name = choose_name(str(slots.get("booking_name") or ""))
    if not name.accepted:
        return _refused("refusal_name")
    contact = choose_contact(str(slots.get("booking_contact") or ""))
    if not contact.accepted:
        return _refused("refusal_contact")
    people = check_people(product, slots.get("booking_people"))
    if people is None:
        return _refused("refusal_people")
    counter_id, day, start = moment.value
    return Verdict(value=Appointment(product.id, counter_id, day, start, name.value, contact.value, people))
