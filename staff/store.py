"""The staff side's tables, in the bookings database (SQLite by default, PostgreSQL in production):
accounts, sign-in sessions, failed sign-ins, and practice rounds with their results.

Practice results are staff members' personal data: they hold who answered what fact when, never an
answer's text, and are purged after a retention period (`python -m staff purge-practice`).
Nothing here touches the bookings or slot tables.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any, Callable, Dict, List, Optional, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bookings.store import database_url, make_engine, unavailable_on_failure

T = TypeVar("T")
SCHEMA_LOCK_KEY = 0x53544146  # another constant than the bookings' schema lock

metadata = sa.MetaData()

accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("team", sa.String(64), nullable=False),
    # argon2id hash; null for accounts that only sign in through the identity provider
    sa.Column("password_hash", sa.String(255), nullable=True),
    # "issuer subject" of an account made by the identity provider: the person it belongs to
    sa.Column("identity", sa.String(400), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # sha256 of the cookie's token
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

failures = sa.Table(
    "staff_sign_in_failures",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),  # "name:<account>" or "address:<ip hash>"
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
)

# Sign-ins begun at the identity provider (staff/identity_provider.py): state, nonce, verifier.
oidc_logins = sa.Table(
    "staff_oidc_logins",
    metadata,
    sa.Column("state", sa.String(64), primary_key=True),
    sa.Column("nonce", sa.String(64), nullable=False),
    sa.Column("code_verifier", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

rounds = sa.Table(
    "practice_rounds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trainee", sa.String(64), nullable=False, index=True),
    sa.Column("team", sa.String(64), nullable=False),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("snapshot", sa.Text, nullable=False),  # fact key -> fingerprint when the round began
    sa.Column("state", sa.Text, nullable=False),  # scenarios, position, follow-up, verdicts so far
    # Raised by every answer: an answer checked against an older version (a second tab, a
    # second replica) is refused instead of overwriting the newer one.
    sa.Column("version", sa.Integer, nullable=False, default=0),
)

results = sa.Table(
    "practice_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("practice_rounds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("trainee", sa.String(64), nullable=False),
    sa.Column("team", sa.String(64), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("scenario", sa.String(96), nullable=False),
    sa.Column("fact_key", sa.String(96), nullable=False),
    sa.Column("fact_id", sa.String(32), nullable=False),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(8), nullable=False),
    sa.Column("after_follow_up", sa.Boolean, nullable=False),
    sa.Index("practice_results_by_team", "team", "answered_at"),
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite gives datetimes back without their zone; they were written in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


class StaffStore:
    def __init__(self, url: Optional[str] = None):
        self.engine = make_engine(url or database_url())
        self._ready = False
        self._lock = threading.Lock()

    def close(self) -> None:
        self.engine.dispose()

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
                metadata.create_all(conn)
            self._ready = True

    def transact(self, work: Callable[[Connection], T]) -> T:
        with unavailable_on_failure():
            self._ensure_schema()
            with self.engine.connect() as conn:
                with conn.begin():
                    return work(conn)

    # accounts

    def add_account(
        self, name: str, display_name: str, role: str, team: str, password_hash: Optional[str], identity: Optional[str] = None
    ) -> None:
        def work(conn: Connection) -> None:
            conn.execute(accounts.delete().where(accounts.c.name == name))
            conn.execute(
                accounts.insert().values(
                    name=name, display_name=display_name, role=role, team=team,
                    password_hash=password_hash, identity=identity, created_at=utcnow(),
                )
            )

        self.transact(work)

    def account(self, name: str) -> Optional[Dict[str, Any]]:
        row = self.transact(lambda conn: conn.execute(sa.select(accounts).where(accounts.c.name == name)).first())
        return dict(row._mapping) if row else None

    def team_members(self, team: str) -> List[Dict[str, Any]]:
        rows = self.transact(
            lambda conn: conn.execute(sa.select(accounts).where(accounts.c.team == team).order_by(accounts.c.name)).all()
        )
        return [dict(r._mapping) for r in rows]

    # sessions

    def add_session(self, token_hash: str, name: str, csrf: str, expires_at: dt.datetime) -> None:
        self.transact(
            lambda conn: conn.execute(
                sessions.insert().values(
                    token_hash=token_hash, name=name, csrf=csrf, created_at=utcnow(), expires_at=expires_at
                )
            )
        )

    def session(self, token_hash: str) -> Optional[Dict[str, Any]]:
        row = self.transact(
            lambda conn: conn.execute(sa.select(sessions).where(sessions.c.token_hash == token_hash)).first()
        )
        if not row:
            return None
        found = dict(row._mapping)
        found["created_at"], found["expires_at"] = aware(found["created_at"]), aware(found["expires_at"])
        return found

    def extend_session(self, token_hash: str, expires_at: dt.datetime) -> None:
        self.transact(
            lambda conn: conn.execute(
                sessions.update().where(sessions.c.token_hash == token_hash).values(expires_at=expires_at)
            )
        )

    def end_session(self, token_hash: str) -> None:
        self.transact(lambda conn: conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash)))

    def end_expired_sessions(self, now: dt.datetime) -> int:
        return self.transact(lambda conn: conn.execute(sessions.delete().where(sessions.c.expires_at < now)).rowcount)

    # failed sign-ins

    def failures(self, key: str) -> Optional[Dict[str, Any]]:
        row = self.transact(lambda conn: conn.execute(sa.select(failures).where(failures.c.key == key)).first())
        if not row:
            return None
        found = dict(row._mapping)
        found["last_at"] = aware(found["last_at"])
        return found

    def add_failure(self, key: str, now: dt.datetime) -> None:
        def work(conn: Connection) -> None:
            updated = conn.execute(
                failures.update().where(failures.c.key == key).values(count=failures.c.count + 1, last_at=now)
            )
            if updated.rowcount == 0:
                conn.execute(failures.insert().values(key=key, count=1, last_at=now))

        self.transact(work)

    def forget_failures_before(self, moment: dt.datetime) -> None:
        self.transact(lambda conn: conn.execute(failures.delete().where(failures.c.last_at < moment)))

    def clear_failures(self, key: str) -> None:
        self.transact(lambda conn: conn.execute(failures.delete().where(failures.c.key == key)))

    # practice

    def add_round(self, trainee: str, team: str, topic: str, snapshot: Dict[str, str], state: Dict[str, Any]) -> int:
        def work(conn: Connection) -> int:
            result = conn.execute(
                rounds.insert().values(
                    trainee=trainee, team=team, topic=topic, started_at=utcnow(), version=0,
                    snapshot=json.dumps(snapshot, sort_keys=True), state=json.dumps(state),
                )
            )
            return int(result.inserted_primary_key[0])

        return self.transact(work)

    def round(self, round_id: int) -> Optional[Dict[str, Any]]:
        if not 0 < round_id < 2**31:
            return None
        row = self.transact(lambda conn: conn.execute(sa.select(rounds).where(rounds.c.id == round_id)).first())
        if not row:
            return None
        found = dict(row._mapping)
        found["snapshot"], found["state"] = json.loads(found["snapshot"]), json.loads(found["state"])
        return found

    def save_round(
        self, round_id: int, version: int, state: Dict[str, Any], finished: bool, new_results: List[Dict[str, Any]]
    ) -> bool:
        """Saves the round if it is still at `version`; False (and nothing written) otherwise."""

        def work(conn: Connection) -> bool:
            values: Dict[str, Any] = {"state": json.dumps(state), "version": version + 1}
            if finished:
                values["finished_at"] = utcnow()
            updated = conn.execute(
                rounds.update().where(rounds.c.id == round_id, rounds.c.version == version).values(**values)
            )
            if updated.rowcount != 1:
                return False
            if new_results:
                conn.execute(results.insert(), [{**r, "round_id": round_id, "answered_at": utcnow()} for r in new_results])
            return True

        return self.transact(work)

    def rounds_of(self, trainee: str, finished_only: bool = True) -> List[Dict[str, Any]]:
        query = sa.select(rounds).where(rounds.c.trainee == trainee)
        if finished_only:
            query = query.where(rounds.c.finished_at.isnot(None))
        rows = self.transact(lambda conn: conn.execute(query.order_by(rounds.c.id.desc())).all())
        out = []
        for row in rows:
            found = dict(row._mapping)
            found["snapshot"], found["state"] = json.loads(found["snapshot"]), json.loads(found["state"])
            out.append(found)
        return out

    def results_of(self, team: Optional[str] = None, trainee: Optional[str] = None) -> List[Dict[str, Any]]:
        query = sa.select(results)
        if team is not None:
            query = query.where(results.c.team == team)
        if trainee is not None:
            query = query.where(results.c.trainee == trainee)
        rows = self.transact(lambda conn: conn.execute(query.order_by(results.c.id)).all())
        return [dict(r._mapping) for r in rows]

    def purge_practice(self, before: dt.datetime) -> int:
        """Deletes rounds started before `before`, with their results; returns the rounds deleted."""

        def work(conn: Connection) -> int:
            old = sa.select(rounds.c.id).where(rounds.c.started_at < before)
            conn.execute(results.delete().where(results.c.round_id.in_(old)))
            return conn.execute(rounds.delete().where(rounds.c.started_at < before)).rowcount

        return self.transact(work)
