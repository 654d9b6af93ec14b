"""The .ics file attached to a booking confirmation, so the appointment lands in the citizen's agenda.

A calendar program replaces an earlier file with the same UID when SEQUENCE is higher, so a moved
or cancelled appointment is sent with the same UID and a higher sequence. Times carry
TZID=Europe/Brussels plus the VTIMEZONE that defines it (built offline from the system's zoneinfo),
so the appointment stays at the counter's local hour whatever the reader's time zone.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

import icalendar

BRUSSELS = ZoneInfo("Europe/Brussels")
PRODID = "-//Stad Antwerpen//Stadsloketten assistent//NL"


def _in_brussels(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(BRUSSELS)


def calendar_file(
    uid: str,
    summary: str,
    description: str,
    location: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    cancelled: bool = False,
    sequence: int = 0,
    url: Optional[str] = None,
    organizer: Optional[str] = None,
    attendee: Optional[str] = None,
) -> bytes:
    """An iCalendar (RFC 5545) file with one event: METHOD:REQUEST, or METHOD:CANCEL when cancelled.

    `organizer` and `attendee` are e-mail addresses: RFC 5546 wants an ORGANIZER with a METHOD,
    and mail programs match a later CANCEL to the event by UID, ORGANIZER and attendee."""
    start = _in_brussels(start, "start")
    end = _in_brussels(end, "end")
    if end <= start:
        raise ValueError("end must be after start")
    if sequence < 0:
        raise ValueError("sequence must not be negative")

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")

    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", dt.datetime.now(dt.timezone.utc))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    if url:
        event.add("url", url)
    if organizer:
        event.add("organizer", icalendar.vCalAddress(f"mailto:{organizer}"))
    if attendee:
        person = icalendar.vCalAddress(f"mailto:{attendee}")
        person.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
        person.params["PARTSTAT"] = icalendar.vText("ACCEPTED")
        event.add("attendee", person)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    # The VTIMEZONE covers the year before the appointment up to two years after it: enough for
    # any reader, and a few lines instead of the library's default of 1970 to 2038.
    calendar.add_missing_timezones(
        first_date=dt.date(start.year - 1, 1, 1), last_date=dt.date(end.year + 2, 1, 1)
    )
    return calendar.to_ical()
