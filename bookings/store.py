"""Where bookings live: SQLite for one action server, PostgreSQL when several share the work.

Capacity is enforced by the database, not by reading and then writing: a usage row per slot
carries `booked` and `capacity` with a CHECK between them, and a booking takes a place with one
conditional UPDATE. Two action servers confirming the last place at the same moment therefore
cannot both succeed. Names and contacts never appear in exception messages or log records
(the engine hides statement parameters too).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from bookings import manage_links
from bookings.contact_details import read_contact
from bookings.reference_codes import looks_like_code, new_code
from bookings.schema import (
    MAX_NAME,
    booking_places,
    bookings_table,
    code_requests,
    manage_links as links_table,
    metadata,
    migrate,
    outbox,
    reminder_opt_outs,
    slot_usage,
)

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL_ENV = "STADSLOKET_DATABASE_URL"
BOOKINGS_FILE_ENV = "STADSLOKET_BOOKINGS_FILE"
DEFAULT_BOOKINGS_FILE = Path("var") / "bookings.sqlite3"
BUSY_TIMEOUT_SECONDS = 30  # SQLite writers queue for the lock this long before giving up
CONNECT_TIMEOUT_SECONDS = 10
CODE_ATTEMPTS = 5
CONFLICT_ATTEMPTS = 3
SCHEMA_LOCK_KEY = 0x53544144  # any constant; serialises table creation across processes
RETRYABLE_PGCODES = {"40001", "40P01"}  # serialization failure, deadlock detected

T = TypeVar("T")

class BookingError(Exception):
    """Base of what a caller answers the citizen about."""


class SlotFull(BookingError):
    """Every desk of the slot is taken; nothing was changed."""

    def __init__(self, counter: str, day: dt.date, start: dt.time):
        super().__init__(f"slot {counter} {day.isoformat()} {start:%H:%M} is full")
        self.counter, self.day, self.start = counter, day, start


class StoreUnavailable(BookingError):
    """The database cannot be reached or refused to work; try again later."""


@dataclass(frozen=True)
class Booking:
    code: str
    product: str
    counter: str
    day: dt.date
    start: dt.time
    name: str
    contact: str
    people: int = 1
    status: str = "booked"  # or "cancelled"
    # (start, places) per slot held; a household may fill consecutive slots.
    places: Tuple[Tuple[dt.time, int], ...] = ()
    reminders: bool = True

    @property
    def last_start(self) -> dt.time:
        return max((start for start, _ in self.places), default=self.start)


@dataclass(frozen=True)
class Outgoing:
    """A message to a citizen, ready to send: made by notifications.messages, queued here."""

    kind: str
    channel: str  # "email" or "sms"
    recipient: str
    body: bytes


# notify(booking, manage-link token) -> the messages that report a change
Notify = Callable[[Booking, str], List[Outgoing]]


def idempotency_key(
    conversation_id: str, product: str, counter: str, day: dt.date, start: dt.time
) -> str:
    """Same confirmation, same key: a repeated or retried confirmation books only once."""
    parts = [conversation_id, product, counter, day.isoformat(), start.strftime("%H:%M")]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def database_url() -> str:
    """The bookings database: STADSLOKET_DATABASE_URL, else the SQLite file (also the staff's
    practice records live here, staff/store.py)."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    path = Path(os.environ.get(BOOKINGS_FILE_ENV) or DEFAULT_BOOKINGS_FILE)
    path = path if path.is_absolute() else ROOT / path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreUnavailable("the folder for the bookings file cannot be created") from error
    return f"sqlite:///{path}"


# --- engine ------------------------------------------------------------------------------------


def _serialise_sqlite_writers(engine: Engine) -> None:
    """SQLAlchemy's pysqlite recipe: we issue BEGIN ourselves, IMMEDIATE unless reading.

    BEGIN IMMEDIATE takes the write lock at the start, so parallel writers wait (up to the busy
    timeout) instead of failing halfway with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # stop pysqlite from emitting its own BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for the writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    common = dict(future=True, pool_pre_ping=True, hide_parameters=True)
    if backend == "sqlite":
        engine = sa.create_engine(
            parsed, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, **common
        )
        _serialise_sqlite_writers(engine)
        return engine
    if backend == "postgresql":
        return sa.create_engine(
            parsed,
            isolation_level="READ COMMITTED",
            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            **common,
        )
    raise ValueError(f"unsupported database '{backend}': use sqlite or postgresql")


def _is_unavailable(error: exc.DBAPIError) -> bool:
    return isinstance(error, (exc.OperationalError, exc.InterfaceError)) or bool(
        error.connection_invalidated
    )


def _is_retryable(error: exc.DBAPIError) -> bool:
    return getattr(error.orig, "pgcode", None) in RETRYABLE_PGCODES


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    try:
        yield
    except exc.DBAPIError as error:
        if _is_unavailable(error):
            raise StoreUnavailable("the bookings database cannot be used right now") from error
        raise


# --- statements
# ------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _utc(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """Every moment in the database is UTC (SQLite keeps no zone: local times would shift)."""
    return moment.astimezone(dt.timezone.utc) if moment is not None else None


def _reminder_moment(remind_at: Optional[dt.datetime], reminders: bool) -> Optional[dt.datetime]:
    """None when no reminder is wanted or its moment has passed already: the confirmation or
    the message about the move, just sent, says it all."""
    remind_at = _utc(remind_at)
    return remind_at if reminders and remind_at is not None and remind_at > _now() else None


def contact_hash(contact: str) -> str:
    """How tables that outlive bookings (opt-outs, request counts) know a contact."""
    return hashlib.sha256(("contact:" + contact).encode("utf-8")).hexdigest()


def _slot_is(table: sa.Table, counter: str, day: dt.date, start: dt.time):
    return sa.and_(table.c.counter == counter, table.c.day == day, table.c.start == start)


def _ensure_usage(conn: Connection, counter: str, day: dt.date, start: dt.time, capacity: int):
    """Creates the slot's usage row unless another transaction already did."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = dict(counter=counter, day=day, start=start, booked=0, capacity=capacity)
    conn.execute(insert(slot_usage).values(**values).on_conflict_do_nothing())


def _take(conn: Connection, counter: str, day: dt.date, start: dt.time, capacity: int, places: int = 1) -> bool:
    """`places` places in the slot, if that many desks are left; the row lock makes racing
    takers queue, and the CHECK constraint stands behind the WHERE."""
    _ensure_usage(conn, counter, day, start, capacity)
    result = conn.execute(
        slot_usage.update()
        .where(_slot_is(slot_usage, counter, day, start), slot_usage.c.booked + places <= capacity)
        .values(booked=slot_usage.c.booked + places, capacity=capacity)
    )
    return result.rowcount == 1


def _free(conn: Connection, counter: str, day: dt.date, start: dt.time, capacity: int) -> int:
    """Places left in the slot, read under a row lock (PostgreSQL) or the write lock (SQLite)."""
    _ensure_usage(conn, counter, day, start, capacity)
    query = sa.select(slot_usage.c.booked).where(_slot_is(slot_usage, counter, day, start))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return max(0, capacity - conn.execute(query).scalar_one())


def _take_places(
    conn: Connection, counter: str, day: dt.date, starts: List[dt.time], capacity: int, people: int
) -> List[Tuple[dt.time, int]]:
    """Everyone in the first slot if it has room, else as many as fit there and the rest in the
    slots that follow without a gap; SlotFull when they do not all fit (nothing is kept, the
    transaction is rolled back by the caller)."""
    if _take(conn, counter, day, starts[0], capacity, people):
        return [(starts[0], people)]
    taken: List[Tuple[dt.time, int]] = []
    left = people
    for start in starts:
        count = min(left, _free(conn, counter, day, start, capacity))
        if count == 0 or not _take(conn, counter, day, start, capacity, count):
            break
        taken.append((start, count))
        left -= count
        if left == 0:
            return taken
    raise SlotFull(counter, day, starts[0])


def _release_places(conn: Connection, booking_id: int, counter: str, day: dt.date) -> None:
    rows = conn.execute(
        sa.select(booking_places.c.start, booking_places.c.places).where(booking_places.c.booking_id == booking_id)
    ).all()
    for row in rows:
        conn.execute(
            slot_usage.update()
            .where(_slot_is(slot_usage, counter, day, row.start), slot_usage.c.booked >= row.places)
            .values(booked=slot_usage.c.booked - row.places)
        )
    conn.execute(booking_places.delete().where(booking_places.c.booking_id == booking_id))


def _record_places(conn: Connection, booking_id: int, places: List[Tuple[dt.time, int]]) -> None:
    for start, count in places:
        conn.execute(booking_places.insert().values(booking_id=booking_id, start=start, places=count))


def _lock_usage(conn: Connection, counter: str, slots: List[Tuple[dt.date, dt.time]]) -> None:
    """Locks usage rows in one global order, so crossing reschedules cannot deadlock."""
    for day, start in sorted(set(slots)):
        conn.execute(
            sa.select(slot_usage.c.booked)
            .where(_slot_is(slot_usage, counter, day, start))
            .with_for_update()
        )


def _places_of(conn: Connection, booking_id: int) -> Tuple[Tuple[dt.time, int], ...]:
    rows = conn.execute(
        sa.select(booking_places.c.start, booking_places.c.places)
        .where(booking_places.c.booking_id == booking_id)
        .order_by(booking_places.c.start)
    ).all()
    return tuple((row.start, row.places) for row in rows)


def _to_booking(row, conn: Optional[Connection] = None) -> Booking:
    return Booking(
        code=row.code,
        product=row.product,
        counter=row.counter,
        day=row.day,
        start=row.start,
        name=row.name,
        contact=row.contact,
        people=row.people,
        status=row.status,
        places=_places_of(conn, row.id) if conn is not None else (),
        reminders=bool(row.reminders),
    )


def _by_key(conn: Connection, key: str) -> Optional[Booking]:
    row = conn.execute(
        sa.select(bookings_table).where(bookings_table.c.idempotency_key == key)
    ).first()
    return _to_booking(row, conn) if row else None


def _owned(conn: Connection, code: str, contact: str, lock: bool = False):
    query = sa.select(bookings_table).where(
        bookings_table.c.code == code,
        bookings_table.c.contact == contact,
        bookings_table.c.status == "booked",
    )
    return conn.execute(query.with_for_update() if lock else query).first()


def _linked(conn: Connection, link_hash: str, lock: bool = False):
    query = (
        sa.select(bookings_table)
        .join(links_table, links_table.c.booking_id == bookings_table.c.id)
        .where(links_table.c.token_hash == link_hash)
    )
    return conn.execute(query.with_for_update(of=bookings_table) if lock else query).first()


def _new_link(conn: Connection, booking_id: int) -> str:
    token = manage_links.new_token()
    conn.execute(
        links_table.insert().values(
            token_hash=manage_links.token_hash(token), booking_id=booking_id, created_at=_now()
        )
    )
    return token


def _queue(conn: Connection, messages: List[Outgoing], due: Optional[dt.datetime] = None) -> None:
    now = _now()
    for message in messages:
        conn.execute(
            outbox.insert().values(
                kind=message.kind,
                channel=message.channel,
                recipient=message.recipient,
                body=message.body,
                created_at=now,
                due_at=due or now,
                attempts=0,
            )
        )


def _notify(conn: Connection, booking_id: int, booking: Booking, notify: Optional[Notify]) -> None:
    """A fresh manage link and the messages about the change, in the change's transaction."""
    if notify is None:
        return
    token = _new_link(conn, booking_id)
    _queue(conn, notify(booking, token))


# --- input -------------------------------------------------------------------------------------


def _checked_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"a name of 1 to {MAX_NAME} characters is required")
    return name


def _checked_contact(contact: str) -> str:
    normalised = read_contact(contact or "")
    if normalised is None:
        raise ValueError("the contact is neither an e-mail address nor a Belgian mobile number")
    return normalised


def _credentials(code: str, contact: str) -> Optional[Tuple[str, str]]:
    """Normalised code and contact, or None when either cannot match any booking."""
    clean_code, clean_contact = looks_like_code(code or ""), read_contact(contact or "")
    if clean_code is None or clean_contact is None:
        return None
    return clean_code, clean_contact


# --- the store ---------------------------------------------------------------------------------


MAX_PEOPLE = 4


class BookingStore:
    """Bookings and slot usage in one database; every change is a single transaction, with the
    messages that report it queued in the same transaction (notifications.outbox sends them)."""

    def __init__(self, url: str):
        self._engine = make_engine(url)
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> "BookingStore":
        """STADSLOKET_DATABASE_URL if set, else the SQLite file STADSLOKET_BOOKINGS_FILE.

        A relative file name is taken from the repository root, so the action server and the
        staff command line find the same file whatever their working directory.
        """
        return cls(database_url())

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def reachable(self) -> bool:
        """Whether the database answers (for readiness checks); never raises."""
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except exc.DBAPIError:
            return False

    # plumbing

    def _ensure_schema(self) -> None:
        """Creates or extends the tables on first use; an advisory lock keeps starting servers
        in line."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
                migrate(conn)
            self._schema_ready = True

    def transact(self, work: Callable[[Connection], T], read_only: bool = False) -> T:
        """Runs `work` in one transaction; retried when PostgreSQL reports a deadlock."""
        with unavailable_on_failure():
            self._ensure_schema()
            for attempt in range(1, CONFLICT_ATTEMPTS + 1):
                try:
                    with self._engine.connect() as conn:
                        if read_only:
                            conn.execution_options(sqlite_begin="DEFERRED")
                        with conn.begin():
                            return work(conn)
                except exc.DBAPIError as error:
                    if attempt == CONFLICT_ATTEMPTS or not _is_retryable(error):
                        raise
                    log.info("bookings transaction conflicted; retrying (attempt %d)", attempt)
        raise AssertionError("unreachable")

    _transact = transact

    # booking

    def book(
        self,
        product: str,
        counter: str,
        day: dt.date,
        start: dt.time,
        name: str,
        contact: str,
        capacity: int,
        idempotency_key: Optional[str] = None,
        people: int = 1,
        following: Tuple[dt.time, ...] = (),
        notify: Optional[Notify] = None,
        remind_at: Optional[dt.datetime] = None,
    ) -> Booking:
        """Takes a place per person and records the booking; raises SlotFull when they do not
        fit (in the slot, or in it and the `following` slots without a gap).

        With an idempotency key a repeated confirmation returns the booking already made,
        also when both copies race each other; its messages are queued once.
        """
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if not 1 <= people <= MAX_PEOPLE:
            raise ValueError(f"a booking is for 1 to {MAX_PEOPLE} people")
        booking = Booking(
            code="",
            product=product,
            counter=counter,
            day=day,
            start=start,
            name=_checked_name(name),
            contact=_checked_contact(contact),
            people=people,
        )
        starts = [start] + [s for s in following if s > start]
        for _ in range(CODE_ATTEMPTS):
            candidate = replace(booking, code=new_code())
            try:
                return self._transact(
                    lambda conn: self._book_once(conn, candidate, starts, capacity, idempotency_key, notify, remind_at)
                )
            except exc.IntegrityError:
                # Either a racing copy of this confirmation stored its key first, or the code
                # was drawn before: return the stored booking, or draw another code.
                if idempotency_key:
                    existing = self._transact(lambda conn: _by_key(conn, idempotency_key))
                    if existing:
                        return existing
                log.warning("booking code collision; drawing another code")
        raise StoreUnavailable(f"no unused booking code after {CODE_ATTEMPTS} attempts")

    @staticmethod
    def _book_once(
        conn: Connection,
        booking: Booking,
        starts: List[dt.time],
        capacity: int,
        key: Optional[str],
        notify: Optional[Notify],
        remind_at: Optional[dt.datetime] = None,
    ) -> Booking:
        existing = _by_key(conn, key) if key else None
        if existing:
            return existing
        try:
            places = _take_places(conn, booking.counter, booking.day, starts, capacity, booking.people)
        except SlotFull:
            # A racing copy of this confirmation may have taken the last place (PostgreSQL:
            # this statement sees what it committed while we waited for the row lock).
            existing = _by_key(conn, key) if key else None
            if existing:
                return existing
            raise
        opted_out = conn.execute(
            sa.select(reminder_opt_outs.c.contact_hash).where(
                reminder_opt_outs.c.contact_hash == contact_hash(booking.contact)
            )
        ).first()
        booking = replace(booking, places=tuple(places), reminders=opted_out is None)
        booking_id = conn.execute(
            bookings_table.insert().values(
                code=booking.code,
                product=booking.product,
                counter=booking.counter,
                day=booking.day,
                start=booking.start,
                name=booking.name,
                contact=booking.contact,
                created_at=_now(),
                idempotency_key=key,
                status="booked",
                people=booking.people,
                reminders=booking.reminders,
                remind_at=_reminder_moment(remind_at, booking.reminders),
            )
        ).inserted_primary_key[0]
        _record_places(conn, booking_id, places)
        _notify(conn, booking_id, booking, notify)
        return booking

    def find(self, code: str, contact: str) -> Optional[Booking]:
        """The booking only when code and contact both match; a wrong one of either looks alike."""
        credentials = _credentials(code, contact)
        if credentials is None:
            return None

        def work(conn: Connection) -> Optional[Booking]:
            row = _owned(conn, *credentials)
            return _to_booking(row, conn) if row else None

        return self._transact(work, read_only=True)

    def find_by_link(self, link_hash: str, today: dt.date) -> Optional[Booking]:
        """The booking a manage link was made for, also when cancelled (its status says so);
        None for an unknown link or once the appointment's day is over."""
        if not manage_links.looks_like_hash(link_hash or ""):
            return None

        def work(conn: Connection) -> Optional[Booking]:
            row = _linked(conn, link_hash)
            if row is None or row.day < today:
                return None
            return _to_booking(row, conn)

        return self._transact(work, read_only=True)

    def _locate(self, conn: Connection, code: str, contact: str, link_hash: Optional[str], today: Optional[dt.date]):
        """The booking row to change, locked: by a manage link, else by code and contact."""
        if link_hash:
            if not manage_links.looks_like_hash(link_hash):
                return None
            row = _linked(conn, link_hash, lock=True)
            if row is None or row.status != "booked" or (today and row.day < today):
                return None
            return row
        credentials = _credentials(code, contact)
        return _owned(conn, *credentials, lock=True) if credentials else None

    def cancel(
        self,
        code: str = "",
        contact: str = "",
        link_hash: Optional[str] = None,
        notify: Optional[Notify] = None,
        today: Optional[dt.date] = None,
    ) -> Optional[Booking]:
        """Marks the booking cancelled and frees its places together; None when nothing
        (still booked) matches. The row stays until purged, so a manage link can say that the
        appointment was cancelled; the key is cleared so the slot can be booked again."""

        def work(conn: Connection) -> Optional[Booking]:
            row = self._locate(conn, code, contact, link_hash, today)
            if row is None:
                return None
            booking = replace(_to_booking(row, conn), status="cancelled")
            _release_places(conn, row.id, row.counter, row.day)
            conn.execute(
                bookings_table.update()
                .where(bookings_table.c.id == row.id)
                .values(status="cancelled", cancelled_at=_now(), idempotency_key=None)
            )
            _notify(conn, row.id, booking, notify)
            return booking

        return self._transact(work)

    def reschedule(
        self,
        code: str,
        contact: str,
        new_day: dt.date,
        new_start: dt.time,
        capacity: int,
        following: Tuple[dt.time, ...] = (),
        link_hash: Optional[str] = None,
        notify: Optional[Notify] = None,
        today: Optional[dt.date] = None,
        remind_at: Optional[dt.datetime] = None,
    ) -> Optional[Booking]:
        """Moves a booking, keeping its code: the new places are taken and the old ones freed
        in the same transaction, so a citizen never holds both nor loses both. SlotFull leaves
        everything as it was. A reminder already sent is due again for the new day."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")

        def work(conn: Connection) -> Optional[Booking]:
            row = self._locate(conn, code, contact, link_hash, today)
            if row is None:
                return None
            current = _to_booking(row, conn)
            if (current.day, current.start) == (new_day, new_start):
                return current
            starts = [new_start] + [s for s in following if s > new_start]
            old = [(current.day, start) for start, _ in current.places] or [(current.day, current.start)]
            for start in starts:
                _ensure_usage(conn, current.counter, new_day, start, capacity)
            _lock_usage(conn, current.counter, old + [(new_day, start) for start in starts])
            _release_places(conn, row.id, current.counter, current.day)
            places = _take_places(conn, current.counter, new_day, starts, capacity, current.people)
            _record_places(conn, row.id, places)
            conn.execute(
                bookings_table.update()
                .where(bookings_table.c.id == row.id)
                .values(day=new_day, start=new_start, reminded_at=None,
                        remind_at=_reminder_moment(remind_at, bool(row.reminders)))
            )
            moved = replace(current, day=new_day, start=new_start, places=tuple(places))
            _notify(conn, row.id, moved, notify)
            return moved

        return self._transact(work)

    def stop_reminders(self, link_hash: str, today: dt.date) -> Optional[Booking]:
        """No more reminders for this booking nor, later, for its contact."""

        def work(conn: Connection) -> Optional[Booking]:
            row = self._locate(conn, "", "", link_hash, today)
            if row is None:
                return None
            conn.execute(bookings_table.update().where(bookings_table.c.contact == row.contact)
                         .values(reminders=False, remind_at=None))
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            conn.execute(
                insert(reminder_opt_outs)
                .values(contact_hash=contact_hash(row.contact), created_at=_now())
                .on_conflict_do_nothing()
            )
            return replace(_to_booking(row, conn), reminders=False)

        return self._transact(work)

    # messages that are not about a change

    def send_codes(
        self,
        contact: str,
        today: dt.date,
        notify: Callable[[str, List[Tuple[Booking, str]]], List[Outgoing]],
        limit: int,
        window: dt.timedelta,
    ) -> str:
        """Queues the contact's upcoming bookings, each with a fresh manage link, to that
        contact. Returns what happened ("sent", "none", "limited") for logs and tests only: the
        citizen is told the same in every case."""
        normalised = read_contact(contact or "")
        if normalised is None:
            return "none"
        hashed = contact_hash(normalised)

        def work(conn: Connection) -> str:
            if conn.dialect.name == "postgresql":  # count-then-insert, one request of a contact at a time
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(hashed))))
            now = _now()
            recent = conn.execute(
                sa.select(sa.func.count()).select_from(code_requests).where(
                    code_requests.c.contact_hash == hashed, code_requests.c.requested_at > now - window
                )
            ).scalar_one()
            if recent >= limit:
                return "limited"
            conn.execute(code_requests.insert().values(contact_hash=hashed, requested_at=now))
            rows = conn.execute(
                sa.select(bookings_table)
                .where(
                    bookings_table.c.contact == normalised,
                    bookings_table.c.status == "booked",
                    bookings_table.c.day >= today,
                )
                .order_by(bookings_table.c.day, bookings_table.c.start)
            ).all()
            if not rows:
                return "none"
            found = [(_to_booking(row, conn), _new_link(conn, row.id)) for row in rows]
            _queue(conn, notify(normalised, found))
            return "sent"

        return self._transact(work)

    def queue_reminders(self, now: dt.datetime, notify: Notify, limit: int = 500) -> int:
        """Queues the reminders that are due, each exactly once: a booking is claimed by a
        conditional UPDATE in its own transaction (its row lock makes a racing claim, or a move
        committed meanwhile, be seen), so several workers (processes, replicas, servers, cron)
        cannot both claim it. Returns how many this call queued."""
        now = _utc(now)
        due = sa.and_(
            bookings_table.c.status == "booked",
            bookings_table.c.reminders == sa.true(),
            bookings_table.c.reminded_at.is_(None),
            bookings_table.c.remind_at <= now,
            bookings_table.c.day >= now.date(),  # a worker down for days sends none for days gone
        )

        def candidates(conn: Connection) -> List[int]:
            rows = conn.execute(sa.select(bookings_table.c.id).where(due).order_by(bookings_table.c.remind_at).limit(limit))
            return [row.id for row in rows]

        def claim(conn: Connection, booking_id: int) -> int:
            claimed = conn.execute(
                bookings_table.update().where(bookings_table.c.id == booking_id, due).values(reminded_at=_now())
            ).rowcount
            if claimed != 1:
                return 0
            row = conn.execute(sa.select(bookings_table).where(bookings_table.c.id == booking_id)).first()
            _notify(conn, booking_id, _to_booking(row, conn), notify)
            return 1

        queued = 0
        for booking_id in self._transact(candidates, read_only=True):
            queued += self._transact(lambda conn: claim(conn, booking_id))
        return queued

    # overviews

    def booked_counts(self, counter: str, day: dt.date) -> Dict[dt.time, int]:
        """Places taken per slot start (slots without bookings are left out)."""

        def work(conn: Connection) -> Dict[dt.time, int]:
            rows = conn.execute(
                sa.select(slot_usage.c.start, slot_usage.c.booked).where(
                    slot_usage.c.counter == counter,
                    slot_usage.c.day == day,
                    slot_usage.c.booked > 0,
                )
            )
            return {row.start: row.booked for row in rows}

        return self._transact(work, read_only=True)

    def agenda(self, counter: str, day: dt.date) -> List[Booking]:
        """The day's bookings at one counter, in time order (then in order of booking);
        cancelled ones left out."""

        def work(conn: Connection) -> List[Booking]:
            rows = conn.execute(
                sa.select(bookings_table)
                .where(
                    bookings_table.c.counter == counter,
                    bookings_table.c.day == day,
                    bookings_table.c.status == "booked",
                )
                .order_by(bookings_table.c.start, bookings_table.c.created_at, bookings_table.c.id)
            )
            return [_to_booking(row, conn) for row in rows]

        return self._transact(work, read_only=True)

    def purge(self, before_day: dt.date) -> int:
        """Deletes bookings of days before `before_day` with their places, links and usage
        rows, and sent or failed messages older than that: keep no old data."""

        def work(conn: Connection) -> int:
            old = sa.select(bookings_table.c.id).where(bookings_table.c.day < before_day)
            conn.execute(booking_places.delete().where(booking_places.c.booking_id.in_(old)))
            conn.execute(links_table.delete().where(links_table.c.booking_id.in_(old)))
            deleted = conn.execute(
                bookings_table.delete().where(bookings_table.c.day < before_day)
            ).rowcount
            conn.execute(slot_usage.delete().where(slot_usage.c.day < before_day))
            cutoff = dt.datetime.combine(before_day, dt.time(), tzinfo=dt.timezone.utc)
            conn.execute(
                outbox.delete().where(
                    sa.or_(outbox.c.sent_at.isnot(None), outbox.c.failed_at.isnot(None)),
                    outbox.c.created_at < cutoff,
                )
            )
            conn.execute(code_requests.delete().where(code_requests.c.requested_at < cutoff))
            return deleted

        return self._transact(work)
