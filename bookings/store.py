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

from bookings.contact_details import read_contact
from bookings.reference_codes import looks_like_code, new_code

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL_ENV = "STADSLOKET_DATABASE_URL"
BOOKINGS_FILE_ENV = "STADSLOKET_BOOKINGS_FILE"
DEFAULT_BOOKINGS_FILE = Path("var") / "bookings.sqlite3"
BUSY_TIMEOUT_SECONDS = 30  # SQLite writers queue for the lock this long before giving up
CONNECT_TIMEOUT_SECONDS = 10
CODE_ATTEMPTS = 5
CONFLICT_ATTEMPTS = 3
MAX_NAME = 200
SCHEMA_LOCK_KEY = 0x53544144  # any constant; serialises table creation across processes
RETRYABLE_PGCODES = {"40001", "40P01"}  # serialization failure, deadlock detected

T = TypeVar("T")

metadata = sa.MetaData()

bookings_table = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(6), nullable=False, unique=True),
    sa.Column("product", sa.String(64), nullable=False),
    sa.Column("counter", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("start", sa.Time, nullable=False),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("contact", sa.String(254), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # sha256 of conversation, product, counter, day and time: the conversation id stays out.
    sa.Column("idempotency_key", sa.String(64), nullable=True, unique=True),
    sa.Index("bookings_by_slot", "counter", "day", "start"),
)

slot_usage = sa.Table(
    "slot_usage",
    metadata,
    sa.Column("counter", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("start", sa.Time, primary_key=True),
    sa.Column("booked", sa.Integer, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="slot_usage_within_capacity"),
)


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


# --- statements --------------------------------------------------------------------------------


def _slot_is(table: sa.Table, counter: str, day: dt.date, start: dt.time):
    return sa.and_(table.c.counter == counter, table.c.day == day, table.c.start == start)


def _ensure_usage(conn: Connection, counter: str, day: dt.date, start: dt.time, capacity: int):
    """Creates the slot's usage row unless another transaction already did."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = dict(counter=counter, day=day, start=start, booked=0, capacity=capacity)
    conn.execute(insert(slot_usage).values(**values).on_conflict_do_nothing())


def _take(conn: Connection, counter: str, day: dt.date, start: dt.time, capacity: int) -> bool:
    """One place in the slot, if a desk is left; the row lock makes racing takers queue."""
    _ensure_usage(conn, counter, day, start, capacity)
    result = conn.execute(
        slot_usage.update()
        .where(_slot_is(slot_usage, counter, day, start), slot_usage.c.booked < capacity)
        .values(booked=slot_usage.c.booked + 1, capacity=capacity)
    )
    return result.rowcount == 1


def _release(conn: Connection, counter: str, day: dt.date, start: dt.time) -> None:
    conn.execute(
        slot_usage.update()
        .where(_slot_is(slot_usage, counter, day, start), slot_usage.c.booked > 0)
        .values(booked=slot_usage.c.booked - 1)
    )


def _lock_usage(conn: Connection, counter: str, slots: List[Tuple[dt.date, dt.time]]) -> None:
    """Locks usage rows in one global order, so crossing reschedules cannot deadlock."""
    for day, start in sorted(slots):
        conn.execute(
            sa.select(slot_usage.c.booked)
            .where(_slot_is(slot_usage, counter, day, start))
            .with_for_update()
        )


def _to_booking(row) -> Booking:
    return Booking(
        code=row.code,
        product=row.product,
        counter=row.counter,
        day=row.day,
        start=row.start,
        name=row.name,
        contact=row.contact,
    )


def _by_key(conn: Connection, key: str) -> Optional[Booking]:
    row = conn.execute(
        sa.select(bookings_table).where(bookings_table.c.idempotency_key == key)
    ).first()
    return _to_booking(row) if row else None


def _owned(conn: Connection, code: str, contact: str, lock: bool = False):
    query = sa.select(bookings_table).where(
        bookings_table.c.code == code, bookings_table.c.contact == contact
    )
    return conn.execute(query.with_for_update() if lock else query).first()


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


class BookingStore:
    """Bookings and slot usage in one database; every change is a single transaction."""

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
        """Creates the tables on first use; an advisory lock keeps starting servers in line."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
                metadata.create_all(conn)
            self._schema_ready = True

    def _transact(self, work: Callable[[Connection], T], read_only: bool = False) -> T:
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
    ) -> Booking:
        """Takes a place and records the booking; raises SlotFull when no desk is left.

        With an idempotency key a repeated confirmation returns the booking already made,
        also when both copies race each other.
        """
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        booking = Booking(
            code="",
            product=product,
            counter=counter,
            day=day,
            start=start,
            name=_checked_name(name),
            contact=_checked_contact(contact),
        )
        for _ in range(CODE_ATTEMPTS):
            candidate = replace(booking, code=new_code())
            try:
                return self._transact(
                    lambda conn: self._book_once(conn, candidate, capacity, idempotency_key)
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
        conn: Connection, booking: Booking, capacity: int, key: Optional[str]
    ) -> Booking:
        existing = _by_key(conn, key) if key else None
        if existing:
            return existing
        if not _take(conn, booking.counter, booking.day, booking.start, capacity):
            # A racing copy of this confirmation may have taken the last place (PostgreSQL:
            # this statement sees what it committed while we waited for the row lock).
            existing = _by_key(conn, key) if key else None
            if existing:
                return existing
            raise SlotFull(booking.counter, booking.day, booking.start)
        conn.execute(
            bookings_table.insert().values(
                code=booking.code,
                product=booking.product,
                counter=booking.counter,
                day=booking.day,
                start=booking.start,
                name=booking.name,
                contact=booking.contact,
                created_at=dt.datetime.now(dt.timezone.utc),
                idempotency_key=key,
            )
        )
        return booking

    def find(self, code: str, contact: str) -> Optional[Booking]:
        """The booking only when code and contact both match; a wrong one of either looks alike."""
        credentials = _credentials(code, contact)
        if credentials is None:
            return None
        row = self._transact(lambda conn: _owned(conn, *credentials), read_only=True)
        return _to_booking(row) if row else None

    def cancel(self, code: str, contact: str) -> Optional[Booking]:
        """Deletes the booking and frees its place together; None when nothing matches."""
        credentials = _credentials(code, contact)
        if credentials is None:
            return None

        def work(conn: Connection) -> Optional[Booking]:
            row = _owned(conn, *credentials, lock=True)
            if row is None:
                return None
            conn.execute(bookings_table.delete().where(bookings_table.c.id == row.id))
            _release(conn, row.counter, row.day, row.start)
            return _to_booking(row)

        return self._transact(work)

    def reschedule(
        self, code: str, contact: str, new_day: dt.date, new_start: dt.time, capacity: int
    ) -> Optional[Booking]:
        """Moves a booking, keeping its code: the new place is taken and the old one freed in
        the same transaction, so a citizen never holds both nor loses both. SlotFull leaves
        everything as it was."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        credentials = _credentials(code, contact)
        if credentials is None:
            return None

        def work(conn: Connection) -> Optional[Booking]:
            row = _owned(conn, *credentials, lock=True)
            if row is None:
                return None
            current = _to_booking(row)
            if (current.day, current.start) == (new_day, new_start):
                return current
            _ensure_usage(conn, current.counter, new_day, new_start, capacity)
            _lock_usage(conn, current.counter, [(current.day, current.start), (new_day, new_start)])
            if not _take(conn, current.counter, new_day, new_start, capacity):
                raise SlotFull(current.counter, new_day, new_start)
            _release(conn, current.counter, current.day, current.start)
            conn.execute(
                bookings_table.update()
                .where(bookings_table.c.id == row.id)
                .values(day=new_day, start=new_start)
            )
            return replace(current, day=new_day, start=new_start)

        return self._transact(work)

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
        """The day's bookings at one counter, in time order (then in order of booking)."""

        def work(conn: Connection) -> List[Booking]:
            rows = conn.execute(
                sa.select(bookings_table)
                .where(bookings_table.c.counter == counter, bookings_table.c.day == day)
                .order_by(bookings_table.c.start, bookings_table.c.created_at, bookings_table.c.id)
            )
            return [_to_booking(row) for row in rows]

        return self._transact(work, read_only=True)

    def purge(self, before_day: dt.date) -> int:
        """Deletes bookings of days before `before_day` with their usage rows: keep no old data."""

        def work(conn: Connection) -> int:
            deleted = conn.execute(
                bookings_table.delete().where(bookings_table.c.day < before_day)
            ).rowcount
            conn.execute(slot_usage.delete().where(slot_usage.c.day < before_day))
            return deleted

        return self._transact(work)
