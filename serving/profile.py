"""The production profile, switched on by the environment alone (the same endpoints.yml and
credentials serve every profile):

- STADSLOKET_DATABASE_URL=postgresql://...: bookings, staff records and conversations (Rasa's
  SQL tracker store, strict: a database error is said to the citizen, never hidden in memory);
- STADSLOKET_REDIS_URL=redis://...: Rasa's lock store, the rate limits, and socket.io rooms
  shared between replicas.

Without them everything runs in one process on SQLite files in var/ (make run). `make cluster`
refuses to start replicas without both: several processes on SQLite and memory locks would
interleave one citizen's messages and lose socket.io messages.
"""
from __future__ import annotations

from typing import List, Mapping

DATABASE_ENV = "STADSLOKET_DATABASE_URL"
REDIS_ENV = "STADSLOKET_REDIS_URL"


def production_problems(environment: Mapping[str, str]) -> List[str]:
    problems = []
    database = environment.get(DATABASE_ENV) or ""
    if not database.startswith(("postgresql://", "postgresql+psycopg2://")):
        problems.append(f"{DATABASE_ENV} must name a PostgreSQL database (postgresql://user@host:port/name)")
    if not (environment.get(REDIS_ENV) or "").startswith(("redis://", "rediss://")):
        problems.append(f"{REDIS_ENV} must name a Redis (redis://host:port/0)")
    return problems


def ensure_database(url: str) -> bool:
    """Creates the PostgreSQL database of `url` when it does not exist yet (the local set-up of
    make cluster); True if it was created. The tables are created by the servers themselves."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", hide_parameters=True)
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": target.database}).first()
            if exists:
                return False
            quoted = conn.dialect.identifier_preparer.quote(target.database)
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        engine.dispose()
