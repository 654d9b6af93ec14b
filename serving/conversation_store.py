"""Where conversations are kept: Rasa's SQL tracker store, on disk in every profile.

`ConversationStore` (named as the tracker store type in endpoints.yml) chooses the database from
the environment, so the same endpoints.yml serves every profile:

- STADSLOKET_CONVERSATIONS_URL, a SQLAlchemy URL, when set;
- else STADSLOKET_DATABASE_URL (the bookings' PostgreSQL; Rasa's table is `events`);
- else the SQLite file STADSLOKET_CONVERSATIONS_FILE (default var/conversations.sqlite3).

Rasa wraps every tracker store in a fail-safe one that, on a database error, silently carries on
in memory: the conversation restarts without a word. `StrictTrackerStore` replaces that wrapper
(serving installs it): a database error raises ConversationStoreUnavailable, which the message
guard answers with a Dutch apology, and is logged.

Retention: `python -m serving.conversation_store purge --older-than-days 30` deletes every
conversation whose last event is older than that (`make purge-conversations DAYS=30`).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
URL_ENV = "STADSLOKET_CONVERSATIONS_URL"
BOOKINGS_URL_ENV = "STADSLOKET_DATABASE_URL"
FILE_ENV = "STADSLOKET_CONVERSATIONS_FILE"
DEFAULT_FILE = "var/conversations.sqlite3"
DEFAULT_RETENTION_DAYS = 30


class ConversationStoreUnavailable(Exception):
    """The conversations database cannot be read or written right now."""


def database_url(environment=os.environ) -> str:
    url = environment.get(URL_ENV) or environment.get(BOOKINGS_URL_ENV)
    if url:
        return url
    path = Path(environment.get(FILE_ENV) or DEFAULT_FILE)
    path = path if path.is_absolute() else ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _store_arguments(url: str) -> dict:
    """SQLTrackerStore takes the URL in parts."""
    parsed = sa.engine.make_url(url)
    return dict(
        dialect=parsed.drivername,
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
        password=parsed.password,
        query=dict(parsed.query) or None,
    )


# Replicas starting together would each create Rasa's `events` table; PostgreSQL lets only one
# through and logs the others' failure. One at a time, under this advisory lock.
SCHEMA_LOCK_KEY = 0x5354_4C4B_4556  # "STLKEV"


def _create_events_table(url: str) -> None:
    parsed = sa.engine.make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    engine = sa.create_engine(parsed, hide_parameters=True)
    try:
        with engine.begin() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            SQLTrackerStore.SQLEvent.__table__.create(conn, checkfirst=True)
    except sa.exc.OperationalError as error:  # not up yet: Rasa's own start waits for it
        log.warning("conversation store: database not reachable yet (%s)", type(error).__name__)
    finally:
        engine.dispose()


class ConversationStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the database the environment names."""

    def __init__(self, domain=None, host=None, event_broker=None, url: Optional[str] = None, **kwargs: Any):
        url = url or database_url()
        _create_events_table(url)
        super().__init__(domain=domain, event_broker=event_broker, **_store_arguments(url))
        # Reconnect after a database restart, and keep message texts out of SQL error messages;
        # Rasa's own engine options (schema, pool) are kept.
        from rasa.core.tracker_store import create_engine_kwargs

        url_object = self.engine.url
        self.engine.dispose()
        options = {**create_engine_kwargs(url_object), "pool_pre_ping": True, "hide_parameters": True}
        self.engine = sa.create_engine(url_object, **options)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)


class StrictTrackerStore(FailSafeTrackerStore):
    """Rasa's fail-safe wrapper without the silent fall-back: errors are raised, not hidden."""

    def _failed(self, operation: str, error: Exception) -> ConversationStoreUnavailable:
        log.error("conversation store: %s failed (%s)", operation, type(error).__name__)
        return ConversationStoreUnavailable(operation)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await self._tracker_store.retrieve(sender_id)
        except Exception as error:
            raise self._failed("retrieve", error) from None

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await self._tracker_store.retrieve_full_tracker(sender_id)
        except Exception as error:
            raise self._failed("retrieve", error) from None

    async def keys(self) -> Iterable[Text]:
        try:
            return await self._tracker_store.keys()
        except Exception as error:
            raise self._failed("keys", error) from None

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await self._tracker_store.save(tracker)
        except Exception as error:
            raise self._failed("save", error) from None


def strict_tracker_store(store: Optional[TrackerStore], domain) -> TrackerStore:
    """Replacement for Agent._create_tracker_store."""
    from rasa.core.tracker_store import InMemoryTrackerStore

    if store is None:
        store = InMemoryTrackerStore(domain)
    else:
        store.domain = domain
    return StrictTrackerStore(store)


def install() -> None:
    from rasa.core.agent import Agent

    Agent._create_tracker_store = staticmethod(strict_tracker_store)


# --- retention ---------------------------------------------------------------------------------


def purge(url: str, older_than_days: int, now: Optional[float] = None) -> int:
    """Deletes every conversation whose newest event is older than the cut-off; returns how many."""
    cutoff = (now if now is not None else time.time()) - older_than_days * 86400
    engine = sa.create_engine(url, hide_parameters=True)
    events = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table("events"):
                return 0
            stale = (
                sa.select(events.c.sender_id)
                .group_by(events.c.sender_id)
                .having(sa.func.max(events.c.timestamp) < cutoff)
            )
            senders = [row[0] for row in conn.execute(stale)]
            for start in range(0, len(senders), 500):
                batch = senders[start:start + 500]
                conn.execute(sa.delete(events).where(events.c.sender_id.in_(batch)))
            return len(senders)
    finally:
        engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving.conversation_store")
    commands = parser.add_subparsers(dest="command", required=True)
    purge_command = commands.add_parser("purge", help="delete conversations older than N days")
    purge_command.add_argument("--older-than-days", type=int, default=DEFAULT_RETENTION_DAYS)
    args = parser.parse_args(argv)
    if args.older_than_days < 0:
        parser.error("--older-than-days must be 0 or more")
    count = purge(database_url(), args.older_than_days)
    print(f"{count} conversation(s) older than {args.older_than_days} days deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
