"""Citizens waiting for a person, and who is talking to whom: one table in the bookings database.

The action server puts a citizen in the queue; the staff page (on any Rasa replica) lists it, takes
a conversation and ends it. Every change of state is one conditional UPDATE, so two staff members
clicking "take" at once cannot both get the same citizen, whichever replicas they are on.
The table holds the conversation's sender id and the staff member's account name, no text.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from typing import Dict, List, Optional

import sqlalchemy as sa

from bookings.store import database_url, make_engine, unavailable_on_failure

# Channels a staff member's message can be pushed to (handover/delivery.py); on the others the
# assistant gives the contact centre's number instead of a queue.
LIVE_CHANNELS = {"socketio"}

WAITING, TALKING = "waiting", "talking"
HANDED_BACK, CLOSED, LEFT = "handed_back", "closed", "left"
OPEN_STATES = (WAITING, TALKING)
# A handover older than this is over, whatever its row says: a citizen who left without a word, a
# staff member who never closed. The citizen's conversation then unpauses at its next session.
STALE_AFTER = dt.timedelta(hours=4)
SCHEMA_LOCK_KEY = 0x48414E44  # "HAND"

metadata = sa.MetaData()
handovers = sa.Table(
    "handovers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("staff_name", sa.String(64), nullable=True),
    sa.Column("staff_first_name", sa.String(64), nullable=True),
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    return moment.replace(tzinfo=dt.timezone.utc) if moment is not None and moment.tzinfo is None else moment


@dataclass(frozen=True)
class Handover:
    id: int
    conversation_id: str
    channel: str
    state: str
    asked_at: dt.datetime
    taken_at: Optional[dt.datetime]
    staff_name: Optional[str]
    staff_first_name: Optional[str]

    @staticmethod
    def of(row) -> "Handover":
        values = row._mapping
        return Handover(values["id"], values["conversation_id"], values["channel"], values["state"],
                        _aware(values["asked_at"]), _aware(values["taken_at"]), values["staff_name"],
                        values["staff_first_name"])


# Said while waiting, these leave the queue (and the assistant answers again).
LEAVE_PHRASES = {"stop", "stoppen", "stop maar", "laat maar", "laat maar zitten", "toch niet", "nee toch niet",
                 "ik wil niet meer wachten", "niet meer wachten", "annuleer", "annuleren", "ik wacht niet",
                 "vergeet het", "ik stop"}


def wants_to_leave(text: Optional[str]) -> bool:
    return " ".join(re.findall(r"\w+", (text or "").lower())) in LEAVE_PHRASES


class HandoverQueue:
    _shared: Dict[str, "HandoverQueue"] = {}

    def __init__(self, url: Optional[str] = None):
        self.engine = make_engine(url or database_url())
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> "HandoverQueue":
        """One per database for the process: every message consults it, so no engine per message."""
        url = database_url()
        if url not in cls._shared:
            cls._shared[url] = cls(url)
        return cls._shared[url]

    def _schema(self) -> None:
        if self._ready:
            return
        with self._lock, self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            metadata.create_all(conn)
            self._ready = True

    def _run(self, work):
        with unavailable_on_failure():
            self._schema()
            with self.engine.begin() as conn:
                return work(conn)

    @staticmethod
    def _open(now: Optional[dt.datetime] = None):
        return sa.and_(handovers.c.state.in_(OPEN_STATES), handovers.c.asked_at >= (now or utcnow()) - STALE_AFTER)

    def ask(self, conversation_id: str, channel: str, now: Optional[dt.datetime] = None) -> Handover:
        """Puts the conversation in the queue, or returns its open handover (asking twice is once)."""
        def work(conn):
            found = conn.execute(sa.select(handovers).where(handovers.c.conversation_id == conversation_id,
                                                            self._open(now))).first()
            if found:
                return Handover.of(found)
            new_id = conn.execute(handovers.insert().values(
                conversation_id=conversation_id, channel=channel[:32], state=WAITING, asked_at=now or utcnow()
            )).inserted_primary_key[0]
            return Handover.of(conn.execute(sa.select(handovers).where(handovers.c.id == new_id)).first())

        return self._run(work)

    def position(self, handover: Handover) -> int:
        """1 for the first in line."""
        return self._run(lambda conn: conn.execute(
            sa.select(sa.func.count()).select_from(handovers).where(
                handovers.c.state == WAITING, handovers.c.asked_at <= handover.asked_at, handovers.c.id <= handover.id,
                self._open())
        ).scalar_one()) if handover.state == WAITING else 0

    def waiting(self) -> List[Handover]:
        return self._run(lambda conn: [Handover.of(r) for r in conn.execute(
            sa.select(handovers).where(handovers.c.state == WAITING, self._open())
            .order_by(handovers.c.asked_at, handovers.c.id))])

    def talking_with(self, staff_name: str) -> List[Handover]:
        return self._run(lambda conn: [Handover.of(r) for r in conn.execute(
            sa.select(handovers).where(handovers.c.state == TALKING, handovers.c.staff_name == staff_name)
            .order_by(handovers.c.taken_at))])

    def get(self, handover_id: int) -> Optional[Handover]:
        row = self._run(lambda conn: conn.execute(sa.select(handovers).where(handovers.c.id == handover_id)).first())
        return Handover.of(row) if row else None

    def open_for(self, conversation_id: str) -> Optional[Handover]:
        row = self._run(lambda conn: conn.execute(sa.select(handovers).where(
            handovers.c.conversation_id == conversation_id, self._open())).first())
        return Handover.of(row) if row else None

    def take(self, handover_id: int, staff_name: str, first_name: str, now: Optional[dt.datetime] = None) -> bool:
        """True for the one staff member who got it; False when it was taken, left or ended."""
        return self._run(lambda conn: conn.execute(
            handovers.update().where(handovers.c.id == handover_id, handovers.c.state == WAITING)
            .values(state=TALKING, taken_at=now or utcnow(), staff_name=staff_name, staff_first_name=first_name[:64])
        ).rowcount == 1)

    def release(self, handover_id: int, staff_name: str) -> bool:
        """Back to waiting (the greeting could not be written): another staff member may take it."""
        return self._run(lambda conn: conn.execute(
            handovers.update().where(handovers.c.id == handover_id, handovers.c.state == TALKING,
                                     handovers.c.staff_name == staff_name)
            .values(state=WAITING, taken_at=None, staff_name=None, staff_first_name=None)).rowcount == 1)

    def reopen(self, handover_id: int) -> bool:
        """A citizen's leaving undone (their conversation could not be resumed): waiting again."""
        return self._run(lambda conn: conn.execute(
            handovers.update().where(handovers.c.id == handover_id, handovers.c.state == LEFT)
            .values(state=WAITING, ended_at=None)).rowcount == 1)

    def end(self, handover_id: int, state: str, staff_name: Optional[str] = None,
            now: Optional[dt.datetime] = None) -> bool:
        """Hands back, closes (staff: only their own conversation) or marks a citizen gone (only
        while waiting: once a staff member has it, they end it)."""
        def work(conn):
            condition = [handovers.c.id == handover_id, handovers.c.state.in_(OPEN_STATES)]
            if staff_name is not None:
                condition += [handovers.c.state == TALKING, handovers.c.staff_name == staff_name]
            if state == LEFT:
                condition += [handovers.c.state == WAITING]
            return conn.execute(handovers.update().where(*condition).values(state=state, ended_at=now or utcnow())
                                ).rowcount == 1

        return self._run(work)

    def waits(self, since: dt.datetime) -> List[float]:
        """Seconds each citizen waited until a staff member took the conversation, since `since`."""
        since = since.astimezone(dt.timezone.utc) if since.tzinfo else since  # SQLite compares the text
        rows = self._run(lambda conn: conn.execute(sa.select(handovers.c.asked_at, handovers.c.taken_at).where(
            handovers.c.asked_at >= since, handovers.c.taken_at.is_not(None))).all())
        return [(_aware(taken) - _aware(asked)).total_seconds() for asked, taken in rows]
