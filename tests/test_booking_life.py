"""A booking's life outside the chat, on the store: households, manage links, the outbox,
reminders and lost codes; on SQLite and (STADSLOKET_TEST_DATABASE_URL) PostgreSQL.

Messages are composed by notifications.messages from the real catalogue and sent by the real
transports: files, and an SMTP server (aiosmtpd) on loopback.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import socket
import time
from pathlib import Path
from typing import List
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bookings import manage_links
from bookings.schema import outbox as outbox_table
from bookings.store import BookingStore, SlotFull
from notifications import outbox
from notifications.messages import Composer
from notifications.transports import FileTransport, SmtpTransport, Transports
from service_catalogue import load_catalogue
from tests.test_booking_store import _run_together, database_url, rows_in  # noqa: F401 - fixtures

BRUSSELS = ZoneInfo("Europe/Brussels")
DAY = dt.date(2026, 12, 8)  # a Tuesday
NINE, QUARTER_PAST, HALF_PAST = dt.time(9, 0), dt.time(9, 15), dt.time(9, 30)
MAIL = "an.peeters@example.be"
MOBILE = "+32470123456"
BASE = "https://loket.example/chat/"


@pytest.fixture
def store(database_url):  # noqa: F811
    opened = BookingStore(database_url)
    yield opened
    opened.close()


@pytest.fixture
def composer():
    return Composer(load_catalogue(), base_url=BASE, sender="Stadsloketten <no-reply@example.invalid>")


def book(store, composer, people=1, start=NINE, contact=MAIL, capacity=3, product="kids_id", day=DAY, **extra):
    catalogue = load_catalogue()
    from bookings.rules import following_starts

    extra.setdefault("remind_at", composer.reminder_at(day))
    return store.book(product, "merksem", day, start, "An Peeters", contact, capacity,
                      people=people, following=following_starts(catalogue, start, people - 1),
                      notify=composer.about("confirmation"), **extra)


def queued(url: str) -> List[sa.engine.Row]:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()
    finally:
        engine.dispose()


def token_of(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    message = email.message_from_bytes(body, policy=email.policy.default)
    if message.get("Subject"):
        text = message.get_body(preferencelist=("plain",)).get_content()
    found = manage_links.token_in_text(text)
    assert found, "no manage link in the message"
    return found


# --- households --------------------------------------------------------------------------------


def test_two_kids_ids_in_one_booking_take_two_places_of_one_slot(store, composer):
    booking = book(store, composer, people=2)
    assert booking.people == 2 and booking.places == ((NINE, 2),)
    assert store.booked_counts("merksem", DAY) == {NINE: 2}
    assert store.find(booking.code, MAIL).people == 2


def test_a_household_flows_into_the_next_slot_when_one_place_is_left(store, composer):
    book(store, composer, people=2, contact="other@example.be")  # 9:00 has 1 of 3 left
    family = book(store, composer, people=3)
    assert family.places == ((NINE, 1), (QUARTER_PAST, 2))
    assert store.booked_counts("merksem", DAY) == {NINE: 3, QUARTER_PAST: 2}
    assert store.cancel(family.code, MAIL) is not None
    assert store.booked_counts("merksem", DAY) == {NINE: 2}


def test_a_household_that_does_not_fit_changes_nothing(store, composer, database_url):
    book(store, composer, people=3, contact="a@example.be")
    book(store, composer, people=3, start=QUARTER_PAST, contact="b@example.be")
    with pytest.raises(SlotFull):
        book(store, composer, people=2)  # 9:00 and 9:15 are full: no place without a gap
    assert store.booked_counts("merksem", DAY) == {NINE: 3, QUARTER_PAST: 3}
    assert rows_in(database_url, "bookings") == 2 and len(queued(database_url)) == 2


def test_a_household_never_crosses_the_lunch_break(store, composer):
    with pytest.raises(SlotFull):
        book(store, composer, people=4, start=dt.time(11, 45), capacity=2)


def test_more_than_four_people_is_refused(store, composer):
    with pytest.raises(ValueError):
        book(store, composer, people=5)


def test_moving_a_household_moves_every_place(store, composer):
    family = book(store, composer, people=2)
    moved = store.reschedule(family.code, MAIL, DAY, HALF_PAST, 3, following=(dt.time(9, 45),),
                             notify=composer.about("moved"))
    assert moved.places == ((HALF_PAST, 2),)
    assert store.booked_counts("merksem", DAY) == {HALF_PAST: 2}


# --- manage links ------------------------------------------------------------------------------


def test_the_confirmation_carries_a_link_whose_token_only_the_message_holds(store, composer, database_url):
    booking = book(store, composer)
    [message] = queued(database_url)
    token = token_of(message.body)
    assert len(token) >= 43  # 256 bits, url-safe base64
    engine = sa.create_engine(database_url, future=True)
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(sa.text("SELECT token_hash FROM manage_links"))]
    engine.dispose()
    assert stored == [manage_links.token_hash(token)] and token not in stored
    found = store.find_by_link(manage_links.token_hash(token), DAY - dt.timedelta(days=3))
    assert found.code == booking.code and found.status == "booked"


def test_a_link_works_until_the_appointment_day_and_not_after(store, composer, database_url):
    book(store, composer)
    link = manage_links.token_hash(token_of(queued(database_url)[0].body))
    assert store.find_by_link(link, DAY) is not None
    assert store.find_by_link(link, DAY + dt.timedelta(days=1)) is None
    assert store.cancel(link_hash=link, today=DAY + dt.timedelta(days=1)) is None


def test_a_tampered_or_foreign_token_finds_nothing(store, composer, database_url):
    book(store, composer)
    token = token_of(queued(database_url)[0].body)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    today = DAY - dt.timedelta(days=1)
    assert store.find_by_link(manage_links.token_hash(tampered), today) is None
    assert store.find_by_link(manage_links.token_hash(manage_links.new_token()), today) is None
    assert store.find_by_link(token, today) is None  # the token itself is not the key
    assert store.find_by_link("", today) is None and store.find_by_link("'; DROP TABLE bookings; --", today) is None


def test_a_link_opens_only_its_own_booking(store, composer, database_url):
    mine = book(store, composer, contact=MAIL)
    theirs = book(store, composer, contact="buur@example.be")
    mine_link, theirs_link = (manage_links.token_hash(token_of(row.body)) for row in queued(database_url))
    today = DAY - dt.timedelta(days=1)
    assert store.find_by_link(mine_link, today).code == mine.code
    assert store.find_by_link(theirs_link, today).code == theirs.code
    assert store.cancel(link_hash=mine_link, today=today).code == mine.code
    assert store.find(theirs.code, "buur@example.be") is not None


def test_a_reused_link_shows_the_cancellation_and_cancels_only_once(store, composer, database_url):
    booking = book(store, composer)
    link = manage_links.token_hash(token_of(queued(database_url)[0].body))
    today = DAY - dt.timedelta(days=2)
    assert store.cancel(link_hash=link, today=today, notify=composer.about("cancelled")).status == "cancelled"
    assert store.cancel(link_hash=link, today=today, notify=composer.about("cancelled")) is None
    shown = store.find_by_link(link, today)
    assert shown.code == booking.code and shown.status == "cancelled"
    assert store.booked_counts("merksem", DAY) == {}
    assert [row.kind for row in queued(database_url)] == ["confirmation", "cancelled"]
    assert store.find(booking.code, MAIL) is None  # cancelled: not found by code either
    assert store.agenda("merksem", DAY) == []


def test_moving_by_link_keeps_the_code_and_sends_a_new_link(store, composer, database_url):
    booking = book(store, composer)
    link = manage_links.token_hash(token_of(queued(database_url)[0].body))
    moved = store.reschedule("", "", DAY, HALF_PAST, 3, link_hash=link, notify=composer.about("moved"),
                             today=DAY - dt.timedelta(days=1))
    assert moved.code == booking.code and moved.start == HALF_PAST
    rows = queued(database_url)
    assert [row.kind for row in rows] == ["confirmation", "moved"]
    assert store.find_by_link(manage_links.token_hash(token_of(rows[1].body)), DAY).start == HALF_PAST
    assert store.find_by_link(link, DAY).start == HALF_PAST  # the first link still works


def test_a_cancelled_slot_can_be_booked_again_by_the_same_conversation(store, composer):
    from bookings.store import idempotency_key

    key = idempotency_key("conversation-7", "kids_id", "merksem", DAY, NINE)
    first = book(store, composer, idempotency_key=key)
    store.cancel(first.code, MAIL)
    second = book(store, composer, idempotency_key=key)
    assert second.code != first.code and second.status == "booked"


# --- messages ----------------------------------------------------------------------------------


def calendar_in(body: bytes) -> icalendar.Calendar:
    message = email.message_from_bytes(body, policy=email.policy.default)
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def test_the_confirmation_email_has_the_facts_and_a_calendar_file(store, composer, database_url):
    booking = book(store, composer, people=2)
    [row] = queued(database_url)
    assert (row.kind, row.channel, row.recipient) == ("confirmation", "email", MAIL)
    message = email.message_from_bytes(row.body, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    catalogue = load_catalogue()
    for fact in [booking.code, "Kids-ID", "2 kinderen", "Burgemeester Jozef Nolfplein 1, 2170 Merksem",
                 "dinsdag 8 december 2026 om 09:00", catalogue.contact_centre.phone, "je kind", BASE + "#afspraak="]:
        assert fact in text, fact
    assert booking.code in html and 'href="' + BASE + "#afspraak=" in html
    assert "Geen herinneringen meer" in text  # how to stop reminders
    event = calendar_in(row.body).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 8, 9, 0, tzinfo=BRUSSELS)
    assert event.decoded("DTEND") == dt.datetime(2026, 12, 8, 9, 15, tzinfo=BRUSSELS)
    assert "Burgemeester Jozef Nolfplein 1" in str(event["LOCATION"])
    assert str(event["UID"]) == f"{booking.code}@stadsloket.antwerpen"
    assert calendar_in(row.body).get("METHOD") == "REQUEST"


def test_a_counter_without_an_address_is_named_in_the_calendar(store, composer, database_url):
    store.book("eid", "berchem", DAY, NINE, "An Peeters", MAIL, 3, notify=composer.about("confirmation"))
    event = calendar_in(queued(database_url)[0].body).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == "Stadsloket Berchem"
    assert load_catalogue().counters["berchem"].address is None  # never invented


def test_a_cancellation_cancels_the_calendar_entry(store, composer, database_url):
    booking = book(store, composer)
    store.cancel(booking.code, MAIL, notify=composer.about("cancelled"))
    cancelled = queued(database_url)[1]
    calendar = calendar_in(cancelled.body)
    assert calendar.get("METHOD") == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == f"{booking.code}@stadsloket.antwerpen"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_a_mobile_number_gets_a_short_text_with_the_link(store, composer, database_url):
    booking = book(store, composer, contact="0470 12 34 56")
    [row] = queued(database_url)
    text = row.body.decode("utf-8")
    assert (row.channel, row.recipient) == ("sms", MOBILE)
    assert booking.code in text and "#afspraak=" in text and "herinneringen" in text
    assert len(text) < 480  # three SMS parts at most


# --- the outbox --------------------------------------------------------------------------------


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_transports(port: int, tmp_path: Path) -> Transports:
    return Transports(email=SmtpTransport("127.0.0.1", port, security="none", timeout=5),
                      sms=FileTransport(tmp_path / "sms"), sender="no-reply@example.invalid")


def test_booking_moving_and_cancelling_each_deliver_one_email_over_smtp(store, composer, database_url, tmp_path):
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        box = outbox.Outbox(store, smtp_transports(port, tmp_path))
        booking = book(store, composer)
        assert box.send_due().sent == 1
        store.reschedule(booking.code, MAIL, DAY, HALF_PAST, 3, notify=composer.about("moved"))
        store.cancel(booking.code, MAIL, notify=composer.about("cancelled"))
        assert box.send_due().sent == 2 and box.send_due().sent == 0  # each once
    finally:
        server.stop()
    assert [rcpt for rcpt, _ in inbox.messages] == [[MAIL]] * 3
    subjects = [email.message_from_bytes(raw, policy=email.policy.default)["Subject"] for _, raw in inbox.messages]
    assert "Bevestiging" in subjects[0] and "verplaatst" in subjects[1] and "geannuleerd" in subjects[2]
    starts = [calendar_in(raw).walk("VEVENT")[0].decoded("DTSTART") for _, raw in inbox.messages]
    assert [s.time() for s in starts] == [NINE, HALF_PAST, HALF_PAST]
    assert all(row.body is None and row.sent_at is not None for row in queued(database_url))


def test_the_outbox_retries_after_the_mail_server_was_down(store, composer, database_url, tmp_path, caplog):
    port = free_port()  # nothing listens yet
    box = outbox.Outbox(store, smtp_transports(port, tmp_path))
    booking = book(store, composer)  # the booking stands whatever the mail server does
    caplog.set_level(logging.DEBUG)
    now = dt.datetime.now(dt.timezone.utc)
    first = box.send_due(now)
    assert (first.sent, first.retrying) == (0, 1)
    [row] = queued(database_url)
    assert row.attempts == 1 and row.sent_at is None and row.due_at.replace(tzinfo=dt.timezone.utc) > now
    assert box.send_due(now).sent == 0  # not due before its pause is over
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        later = now + outbox.retry_after(1) + dt.timedelta(seconds=1)
        assert box.send_due(later).sent == 1
    finally:
        server.stop()
    assert len(inbox.messages) == 1 and store.find(booking.code, MAIL) is not None
    # Ours, not the test's SMTP server (aiosmtpd logs the envelope it receives).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert MAIL not in logged and "an.peeters" not in logged and booking.code not in logged


def test_a_permanent_refusal_is_given_up_and_counted(store, composer, database_url, tmp_path):
    class Refusing:
        def send_email(self, message):
            from notifications.transports import TransportError

            raise TransportError("recipient refused (550)", permanent=True)

    box = outbox.Outbox(store, Transports(email=Refusing(), sms=FileTransport(tmp_path), sender="x@example.invalid"))
    book(store, composer)
    assert box.send_due().failed == 1
    [row] = queued(database_url)
    assert row.failed_at is not None and "550" in row.last_error and MAIL not in row.last_error


def test_the_file_transport_writes_what_a_developer_can_open(store, composer, tmp_path):
    box = outbox.Outbox(store, Transports(email=FileTransport(tmp_path / "out"), sms=FileTransport(tmp_path / "out"),
                                          sender="no-reply@example.invalid"))
    book(store, composer)
    book(store, composer, contact="0470 12 34 56", start=HALF_PAST)
    assert box.send_due().sent == 2
    files = sorted((tmp_path / "out").iterdir())
    assert sorted(f.suffix for f in files) == [".eml", ".txt"]
    eml = next(f for f in files if f.suffix == ".eml")
    assert calendar_in(eml.read_bytes()).walk("VEVENT")[0].decoded("DTSTART").time() == NINE


def _send_racing(url: str, barrier, results, folder: str) -> None:
    racer = BookingStore(url)
    try:
        box = outbox.Outbox(racer, Transports(email=FileTransport(Path(folder)), sms=FileTransport(Path(folder)),
                                              sender="x@example.invalid"))
        barrier.wait(timeout=120)
        results.put(("sent", box.send_due().sent))
    except Exception as error:
        results.put(("error", repr(error)))
    finally:
        racer.close()


def test_racing_workers_send_each_message_once(store, composer, database_url, tmp_path):
    for index in range(6):
        book(store, composer, contact=f"burger{index}@example.be", start=dt.time(10, 15 * (index % 4)), capacity=5)
    store.close()
    outcomes = _run_together(_send_racing, [(database_url, str(tmp_path / "out"))] * 4)
    assert all(kind == "sent" for kind, _ in outcomes), outcomes
    assert sum(count for _, count in outcomes) == 6
    assert len(list((tmp_path / "out").iterdir())) == 6


# --- reminders ---------------------------------------------------------------------------------


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS)


def remind(store, composer, now):
    return store.queue_reminders(now, composer.about("reminder"))


def test_a_reminder_is_due_two_days_before_at_six_in_the_evening(store, composer, database_url):
    book(store, composer)
    assert remind(store, composer, local(DAY - dt.timedelta(days=2), 17, 59)) == 0
    assert remind(store, composer, local(DAY - dt.timedelta(days=2), 18, 0)) == 1
    assert remind(store, composer, local(DAY - dt.timedelta(days=1), 9)) == 0  # once
    rows = queued(database_url)
    assert [row.kind for row in rows] == ["confirmation", "reminder"]
    assert "Herinnering" in email.message_from_bytes(rows[1].body, policy=email.policy.default)["Subject"]


def test_a_moved_booking_is_reminded_again_and_a_cancelled_one_never(store, composer, database_url):
    moved = book(store, composer)
    cancelled = book(store, composer, contact="ander@example.be")
    assert remind(store, composer, local(DAY - dt.timedelta(days=2), 18)) == 2
    later = DAY + dt.timedelta(days=7)
    store.reschedule(moved.code, MAIL, later, NINE, 3, notify=composer.about("moved"),
                     remind_at=composer.reminder_at(later))
    store.cancel(cancelled.code, "ander@example.be", notify=composer.about("cancelled"))
    assert remind(store, composer, local(later - dt.timedelta(days=2), 18)) == 1


def test_stopped_reminders_stay_stopped_also_for_later_bookings(store, composer, database_url):
    book(store, composer)
    link = manage_links.token_hash(token_of(queued(database_url)[0].body))
    assert store.stop_reminders(link, DAY - dt.timedelta(days=5)).reminders is False
    later = book(store, composer, day=DAY + dt.timedelta(days=1))
    assert later.reminders is False
    confirmation = email.message_from_bytes(queued(database_url)[-1].body, policy=email.policy.default)
    assert "geen herinneringen" in confirmation.get_body(preferencelist=("plain",)).get_content()
    assert remind(store, composer, local(DAY - dt.timedelta(days=1), 20)) == 0


def test_a_worker_down_for_days_sends_no_reminder_for_a_day_gone(store, composer):
    book(store, composer)
    assert remind(store, composer, local(DAY + dt.timedelta(days=1), 9)) == 0


def test_a_booking_made_after_its_reminder_time_gets_no_reminder_on_top(store, composer):
    """The confirmation has just gone out: a "reminder" a few seconds later would be noise."""
    book(store, composer, remind_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1))
    assert remind(store, composer, dt.datetime.now(dt.timezone.utc)) == 0


def _remind_racing(url: str, barrier, results, now_iso: str) -> None:
    racer = BookingStore(url)
    composer = Composer(load_catalogue(), base_url=BASE)
    try:
        barrier.wait(timeout=120)
        results.put(("queued", remind(racer, composer, dt.datetime.fromisoformat(now_iso))))
    except Exception as error:
        results.put(("error", repr(error)))
    finally:
        racer.close()


def test_racing_reminder_workers_queue_each_reminder_once(store, composer, database_url):
    for index in range(8):
        book(store, composer, contact=f"burger{index}@example.be", start=dt.time(9 + index // 4, 15 * (index % 4)),
             capacity=5)
    store.close()
    now = local(DAY - dt.timedelta(days=2), 18, 30).isoformat()
    outcomes = _run_together(_remind_racing, [(database_url, now)] * 4)
    assert all(kind == "queued" for kind, _ in outcomes), outcomes
    assert sum(count for _, count in outcomes) == 8
    kinds = [row.kind for row in queued(database_url)]
    assert kinds.count("reminder") == 8


# --- a lost code -------------------------------------------------------------------------------


def send_codes(store, composer, contact, limit=3):
    return store.send_codes(contact, DAY - dt.timedelta(days=3), composer.codes, limit, dt.timedelta(hours=24))


def test_lost_codes_go_to_the_contact_that_booked_and_nowhere_else(store, composer, database_url):
    first = book(store, composer)
    second = book(store, composer, start=HALF_PAST, product="eid")
    book(store, composer, contact="buur@example.be")
    before = len(queued(database_url))
    assert send_codes(store, composer, "AN.Peeters@Example.be") == "sent"
    [row] = queued(database_url)[before:]
    assert (row.kind, row.recipient) == ("codes", MAIL)
    text = email.message_from_bytes(row.body, policy=email.policy.default).get_body(preferencelist=("plain",)).get_content()
    assert first.code in text and second.code in text and text.count("#afspraak=") == 2
    assert send_codes(store, composer, "niemand@example.be") == "none"
    assert len(queued(database_url)) == before + 1  # nothing for a contact without bookings


def test_lost_code_requests_are_limited_per_contact(store, composer, database_url):
    book(store, composer)
    outcomes = [send_codes(store, composer, MAIL, limit=2) for _ in range(4)]
    assert outcomes == ["sent", "sent", "limited", "limited"]
    assert [row.kind for row in queued(database_url)].count("codes") == 2


# --- an older database --------------------------------------------------------------------------


def test_a_database_of_the_first_release_is_extended_in_place(database_url, composer):  # noqa: F811
    engine = sa.create_engine(database_url, future=True)
    postgres = engine.dialect.name == "postgresql"
    # As SQLAlchemy created and filled them: a serial id, SQLite's times with microseconds.
    serial, nine = ("SERIAL", "09:00:00") if postgres else ("INTEGER", "09:00:00.000000")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"""CREATE TABLE bookings (id {serial} PRIMARY KEY, code VARCHAR(6) NOT NULL UNIQUE,
            product VARCHAR(64) NOT NULL, counter VARCHAR(64) NOT NULL, day DATE NOT NULL, start TIME NOT NULL,
            name VARCHAR(200) NOT NULL, contact VARCHAR(254) NOT NULL, created_at TIMESTAMP NOT NULL,
            idempotency_key VARCHAR(64) UNIQUE)""")
        conn.exec_driver_sql("""CREATE TABLE slot_usage (counter VARCHAR(64), day DATE, start TIME,
            booked INTEGER NOT NULL, capacity INTEGER NOT NULL, PRIMARY KEY (counter, day, start))""")
        conn.exec_driver_sql("INSERT INTO bookings (code, product, counter, day, start, name, contact, created_at) "
                             f"VALUES ('K7M2QX', 'eid', 'merksem', '2026-12-08', '{nine}', 'Oud Boek', "
                             "'oud@example.be', '2026-11-01 10:00:00')")
        conn.exec_driver_sql(f"INSERT INTO slot_usage VALUES ('merksem', '2026-12-08', '{nine}', 1, 3)")
    engine.dispose()
    store = BookingStore(database_url)
    try:
        old = store.find("K7M2QX", "oud@example.be")
        assert (old.people, old.status, old.places) == (1, "booked", ((NINE, 1),))
        assert store.cancel("K7M2QX", "oud@example.be") is not None
        assert store.booked_counts("merksem", DAY) == {}
        assert book(store, composer).status == "booked"  # and new bookings go in beside it
    finally:
        store.close()
    inspector = sa.inspect(sa.create_engine(database_url, future=True))
    assert {"bookings_by_contact", "bookings_reminders_due"} <= {i["name"] for i in inspector.get_indexes("bookings")}


def test_real_messages_with_links_to_localhost_are_refused(tmp_path, monkeypatch):
    files = Transports(email=FileTransport(tmp_path), sms=FileTransport(tmp_path), sender="x@example.invalid")
    smtp = Transports(email=SmtpTransport("127.0.0.1", 25, security="none"), sms=FileTransport(tmp_path),
                      sender="x@example.invalid")
    monkeypatch.delenv("STADSLOKET_PUBLIC_URL", raising=False)
    outbox.check_public_url(files)  # make run: files, links to localhost are fine
    with pytest.raises(ValueError, match="STADSLOKET_PUBLIC_URL"):
        outbox.check_public_url(smtp)
    monkeypatch.setenv("STADSLOKET_PUBLIC_URL", "https://www.antwerpen.be/stadsloket/chat/")
    outbox.check_public_url(smtp)


def test_no_reminder_is_promised_for_an_appointment_inside_its_window(store, composer, database_url):
    tomorrow = dt.datetime.now(BRUSSELS).date() + dt.timedelta(days=1)
    store.book("eid", "merksem", tomorrow, NINE, "An Peeters", MAIL, 3, notify=composer.about("confirmation"),
               remind_at=composer.reminder_at(tomorrow))
    text = email.message_from_bytes(queued(database_url)[-1].body, policy=email.policy.default)
    assert "herinnering" not in text.get_body(preferencelist=("plain",)).get_content().lower()
