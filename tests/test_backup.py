"""The documented backup and restore (`make backup`, `make restore`, README "Backup and
restore") on a real PostgreSQL: bookings made, dumped, lost, restored, and the same bookings
back, with the slot counts that keep a slot within its desks."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from bookings.store import BookingStore
from serving.profile import ensure_database
from tests.conftest import ROOT


@pytest.fixture
def database():
    base = os.environ.get("STADSLOKET_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    url = str(sa.engine.make_url(base).set(database=f"stadsloket_backup_{uuid.uuid4().hex[:8]}"))
    try:
        assert ensure_database(url)
    except sa.exc.OperationalError:
        pytest.fail(f"PostgreSQL is not reachable at {base}: the production profile needs it")
    yield url
    engine = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def _make(target: str, url: str, dump) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", target, f"FILE={dump}",
                           f"STADSLOKET_DATABASE_URL={url}"], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _rows(url: str):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        bookings = conn.execute(sa.text("SELECT code, counter, day, start, name, contact FROM bookings ORDER BY code")).all()
        usage = conn.execute(sa.text("SELECT counter, day, start, booked FROM slot_usage ORDER BY 1, 2, 3")).all()
    engine.dispose()
    return bookings, usage


def test_a_backup_brings_back_the_bookings_after_they_are_lost(database, tmp_path):
    store = BookingStore(database)
    day = dt.date.today() + dt.timedelta(days=3)
    for hour, name in ((9, "Ann Backup"), (10, "Ben Backup")):
        store.book(product="rijbewijs", counter="berchem", day=day, start=dt.time(hour), name=name,
                   contact=f"{name.split()[0].lower()}@voorbeeld.be", capacity=2)
    store.close()
    before = _rows(database)
    dump = tmp_path / "stadsloket.dump"
    made = _make("backup", database, dump)
    assert made.returncode == 0 and dump.stat().st_size > 0, made.stderr

    engine = sa.create_engine(database)
    with engine.begin() as conn:  # the accident
        conn.execute(sa.text("DELETE FROM bookings"))
        conn.execute(sa.text("DELETE FROM slot_usage"))
    engine.dispose()
    assert _rows(database) == ([], [])

    restored = _make("restore", database, dump)
    assert restored.returncode == 0, restored.stderr
    assert _rows(database) == before and len(before[0]) == 2


def test_backup_and_restore_say_how_when_the_file_is_missing():
    for target in ("backup", "restore"):
        result = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 2 and "usage: make" in result.stdout
