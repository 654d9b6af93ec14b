"""What a citizen receives about a booking: an e-mail (text, HTML and a calendar file) or an SMS.

Messages are composed when the change happens, inside its transaction (bookings.store queues
them), and sent later by notifications.outbox. Every fact comes from the catalogue and the
booking; the wording from texts.nl.yml. The manage link carries a token that only this message
holds: the store keeps its hash.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import os
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

import yaml

from bookings import manage_links
from bookings.rules import people_label
from bookings.store import Booking, Notify, Outgoing
from language import wording
from notifications.calendar_file import calendar_file
from service_catalogue.model import Catalogue

TEXTS_FILE = Path(__file__).with_name("texts.nl.yml")
PUBLIC_URL_ENV = "STADSLOKET_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://localhost:8080/"  # the chat page of `make run`
MAIL_FROM_ENV = "STADSLOKET_MAIL_FROM"
DEFAULT_MAIL_FROM = "Stadsloketten Antwerpen <no-reply@stadsloket.invalid>"
KINDS = ("confirmation", "moved", "cancelled", "reminder")


@functools.lru_cache(maxsize=1)
def _texts() -> Dict[str, str]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def text(key: str, **values: Any) -> str:
    return _texts()[key].format_map(values)


def public_url() -> str:
    return os.environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL


def mail_from() -> str:
    return os.environ.get(MAIL_FROM_ENV) or DEFAULT_MAIL_FROM


def channel_of(contact: str) -> str:
    return "email" if "@" in contact else "sms"


class Composer:
    """Turns a booking (and the token of its new manage link) into messages of one kind."""

    def __init__(self, catalogue: Catalogue, base_url: Optional[str] = None, sender: Optional[str] = None):
        self.catalogue = catalogue
        self.base_url = base_url or public_url()
        self.sender = sender or mail_from()
        self.zone = ZoneInfo(catalogue.timezone)

    # times

    def starts_at(self, booking: Booking) -> dt.datetime:
        return dt.datetime.combine(booking.day, booking.start, tzinfo=self.zone)

    def ends_at(self, booking: Booking) -> dt.datetime:
        last = dt.datetime.combine(booking.day, booking.last_start, tzinfo=self.zone)
        return last + dt.timedelta(minutes=self.catalogue.booking.slot_minutes)

    def reminder_at(self, day: dt.date) -> Optional[dt.datetime]:
        """When the reminder of an appointment on `day` goes out (the catalogue's rule), or None."""
        rule = self.catalogue.booking.reminder
        if rule is None:
            return None
        return dt.datetime.combine(day - dt.timedelta(days=rule.days_before), rule.at, tzinfo=self.zone)

    def reminder_coming(self, booking: Booking) -> bool:
        """Whether a reminder will still go out (not for an appointment booked inside its window)."""
        moment = self.reminder_at(booking.day)
        return moment is not None and moment > dt.datetime.now(dt.timezone.utc)

    # facts

    def facts(self, booking: Booking, token: str) -> Dict[str, str]:
        product = self.catalogue.products[booking.product]
        counter = self.catalogue.counters[booking.counter]
        until = self.ends_at(booking).time()
        day = wording.long_date(booking.day, with_year=True)
        several = len(booking.places) > 1
        when = text(
            "when_several_slots" if several else "when_one_slot",
            day=day,
            time=booking.start.strftime("%H:%M"),
            until=until.strftime("%H:%M"),
        )
        people = people_label(product, booking.people)  # as the chat says it
        return {
            "name": booking.name,
            "product": product.name,
            "counter": counter.name,
            "location": counter.location,
            "day": day,
            "time": booking.start.strftime("%H:%M"),
            "when": when,
            "people": people,
            "code": booking.code,
            "link": manage_links.link(self.base_url, token),
        }

    def bring(self, booking: Booking) -> List[str]:
        product = self.catalogue.products[booking.product]
        return list(product.bring.items) if product.bring else []

    # messages

    def about(self, kind: str) -> Notify:
        """The store's `notify` for a change of this kind."""
        if kind not in KINDS:
            raise ValueError(f"unknown message kind {kind!r}")
        return functools.partial(self.compose, kind)

    def compose(self, kind: str, booking: Booking, token: str) -> List[Outgoing]:
        if channel_of(booking.contact) == "email":
            return [Outgoing(kind, "email", booking.contact, self._email(kind, booking, token).as_bytes())]
        return [Outgoing(kind, "sms", booking.contact, self._sms(kind, booking, token).encode("utf-8"))]

    def codes(self, contact: str, found: List[Tuple[Booking, str]]) -> List[Outgoing]:
        """The lost-code message: every upcoming appointment of the contact, each with a link."""
        if channel_of(contact) == "sms":
            lines = [text("sms_codes_intro")]
            for booking, token in found:
                facts = self.facts(booking, token)
                lines += [text("sms_codes_line", **facts), facts["link"]]
            return [Outgoing("codes", "sms", contact, "\n".join(lines).encode("utf-8"))]
        first = found[0][0]
        paragraphs = [text("greeting", name=first.name), text("opening_codes")]
        for booking, token in found:
            facts = self.facts(booking, token)
            paragraphs += [self._details(booking, facts), text("manage") + "\n" + facts["link"]]
        paragraphs += [self._help(), text("closing")]
        message = self._envelope(contact, text("subject_codes"), paragraphs)
        return [Outgoing("codes", "email", contact, message.as_bytes())]

    # parts

    def _help(self) -> str:
        centre = self.catalogue.contact_centre
        return text("help", centre=centre.name, phone=centre.phone)

    def _details(self, booking: Booking, facts: Dict[str, str]) -> str:
        rows = [
            (text("label_what"), facts["product"]),
            (text("label_people"), facts["people"]),
            (text("label_where"), facts["location"]),
            (text("label_when"), facts["when"]),
            (text("label_code"), facts["code"]),
        ]
        return "\n".join(f"{label}: {value}" for label, value in rows)

    def _email(self, kind: str, booking: Booking, token: str) -> EmailMessage:
        facts = self.facts(booking, token)
        paragraphs = [text("greeting", name=booking.name), text(f"opening_{kind}"), self._details(booking, facts)]
        if kind != "cancelled":
            bring = self.bring(booking)
            if bring:
                paragraphs.append(text("bring_heading") + "\n" + "\n".join(f"- {item}" for item in bring))
            paragraphs.append(text("manage") + "\n" + facts["link"])
            rule = self.catalogue.booking.reminder
            if booking.reminders and self.reminder_coming(booking) and kind != "reminder":
                paragraphs.append(text("reminder_note", days_before=rule.days_before))
            elif not booking.reminders:
                paragraphs.append(text("reminders_off_note"))
        else:
            paragraphs.append(text("rebook", site=self.base_url))
        paragraphs += [self._help(), text("closing")]
        message = self._envelope(booking.contact, text(f"subject_{kind}", **facts), paragraphs)
        counter = self.catalogue.counters[booking.counter]
        calendar = calendar_file(
            uid=f"{booking.code}@stadsloket.antwerpen",
            summary=text("calendar_summary", **facts),
            description=text("calendar_description", **facts),
            location=counter.location,
            start=self.starts_at(booking),
            end=self.ends_at(booking),
            cancelled=kind == "cancelled",
            # Later messages replace earlier ones in the citizen's calendar.
            sequence=int(dt.datetime.now(dt.timezone.utc).timestamp()),
            url=facts["link"] if kind != "cancelled" else None,
            organizer=parseaddr(self.sender)[1] or None,
            attendee=booking.contact,
        )
        method = "CANCEL" if kind == "cancelled" else "REQUEST"
        message.add_attachment(
            calendar,
            maintype="text",
            subtype="calendar",
            filename="afspraak-stadsloket.ics",
            params={"method": method},
        )
        return message

    def _envelope(self, recipient: str, subject: str, paragraphs: List[str]) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = recipient
        message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
        message["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain="stadsloket.antwerpen")
        body = "\n\n".join(paragraphs) + "\n"
        message.set_content(body)
        message.add_alternative(_html(paragraphs), subtype="html")
        return message

    def _sms(self, kind: str, booking: Booking, token: str) -> str:
        facts = self.facts(booking, token)
        parts = [text(f"sms_{kind}", **facts)]
        if kind != "cancelled":
            parts += [text("manage_sms"), facts["link"]]
            if booking.reminders and self.reminder_coming(booking):
                parts.append(text("stop_reminders_sms"))
        return " ".join(parts)


def _html(paragraphs: List[str]) -> str:
    """The same text as HTML: paragraphs, line breaks and clickable links, all escaped."""
    blocks = []
    for paragraph in paragraphs:
        lines = []
        for line in paragraph.split("\n"):
            escaped = html.escape(line)
            if line.startswith(("http://", "https://")):
                escaped = f'<a href="{escaped}">{escaped}</a>'
            lines.append(escaped)
        blocks.append("<p>" + "<br>\n".join(lines) + "</p>")
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Stadsloketten Antwerpen</title>'
        "</head><body>\n" + "\n".join(blocks) + "\n</body></html>\n"
    )
