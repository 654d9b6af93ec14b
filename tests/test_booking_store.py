"""The booking store on SQLite and, when STADSLOKET_TEST_DATABASE_URL is set, on PostgreSQL.

The race tests start separate processes, each with its own BookingStore, the way several action
servers would share one database, and release them together with a barrier.
"""
from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import secrets
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, List, Tuple

import pytest
import sqlalchemy as sa

from bookings import store as store_module
from bookings.reference_codes import ALPHABET
from bookings.store import BookingStore, SlotFull, StoreUnavailable, idempotency_key

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ENV = "STADSLOKET_TEST_DATABASE_URL"
DAY = dt.date(2026, 12, 8)
NINE, QUARTER_PAST, HALF_PAST, TEN = dt.time(9, 0), dt.time(9, 15), dt.time(9, 30), dt.time(10, 0)
MAIL = "jan.peeters@example.be"
MOBILE = "+32470123456"


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bookings.sqlite3'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"bookings_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(base, future=True)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def store(database_url):
    opened = BookingStore(database_url)
    yield opened
    opened.close()


def book(store: BookingStore, start=NINE, capacity=3, contact=MAIL, name="Jan Peeters", **extra):
    values = dict(product="eid", counter="berchem", day=DAY, start=start, name=name)
    values.update(extra)
    return store.book(contact=contact, capacity=capacity, **values)


def rows_in(url: str, table: str) -> int:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


# --- booking, finding, cancelling --------------------------------------------------------------


def test_book_find_and_cancel(store):
    made = book(store, contact="Mijn mail: Jan.Peeters@Example.BE")
    assert len(made.code) == 6 and set(made.code) <= set(ALPHABET)
    assert (made.product, made.counter, made.day, made.start) == ("eid", "berchem", DAY, NINE)
    assert made.contact == MAIL
    assert store.find(made.code, MAIL) == made
    assert store.find(made.code.lower(), " JAN.PEETERS@example.be ") == made
    assert store.booked_counts("berchem", DAY) == {NINE: 1}

    assert store.cancel(made.code, MAIL) == replace(made, status="cancelled")
    assert store.find(made.code, MAIL) is None
    assert store.cancel(made.code, MAIL) is None
    assert store.booked_counts("berchem", DAY) == {}


def test_a_mobile_number_is_matched_in_any_notation(store):
    made = book(store, contact="0470/12.34.56")
    assert made.contact == MOBILE
    assert store.find(made.code, "+32 (0)470 12 34 56") == made


def test_wrong_code_and_wrong_contact_look_alike(store):
    made = book(store)
    other_code = "ZZZZZ9" if made.code != "ZZZZZ9" else "YYYYY8"
    wrong_code = store.find(other_code, MAIL)
    wrong_contact = store.find(made.code, "piet@example.be")
    assert wrong_code is None and wrong_contact is None
    assert store.find(made.code, "geen contact") is None
    assert store.find("", MAIL) is None
    assert store.cancel(made.code, "piet@example.be") is None
    assert store.reschedule(made.code, "piet@example.be", DAY, TEN, 3) is None
    assert store.find(made.code, MAIL) == made  # untouched


def test_cancelling_frees_the_place(store):
    first = book(store, capacity=1)
    with pytest.raises(SlotFull):
        book(store, capacity=1, contact="piet@example.be", name="Piet")
    store.cancel(first.code, MAIL)
    second = book(store, capacity=1, contact="piet@example.be", name="Piet")
    assert second.code != first.code
    assert store.booked_counts("berchem", DAY) == {NINE: 1}


def test_capacity_is_per_slot_and_counter(store):
    book(store, capacity=1)
    book(store, capacity=1, start=QUARTER_PAST)
    book(store, capacity=1, counter="deurne")
    with pytest.raises(SlotFull) as refused:
        book(store, capacity=1)
    assert (refused.value.counter, refused.value.day, refused.value.start) == ("berchem", DAY, NINE)


def test_the_database_itself_refuses_overbooking(store, database_url):
    book(store, capacity=1)
    engine = sa.create_engine(database_url, future=True)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE slot_usage SET booked = booked + 1"))
    finally:
        engine.dispose()


def test_invalid_input_is_refused_without_echoing_it(store):
    with pytest.raises(ValueError) as no_contact:
        book(store, contact="03 22 11 333")
    assert "22 11" not in str(no_contact.value)
    with pytest.raises(ValueError):
        book(store, name="   ")
    with pytest.raises(ValueError):
        book(store, capacity=0)
    assert store.booked_counts("berchem", DAY) == {}


# --- idempotency -------------------------------------------------------------------------------


def test_the_same_confirmation_books_once(store):
    key = idempotency_key("conversation-1", "eid", "berchem", DAY, NINE)
    first = book(store, capacity=1, idempotency_key=key)
    again = book(store, capacity=1, idempotency_key=key)  # the slot is full by now
    assert again == first
    assert len(store.agenda("berchem", DAY)) == 1
    assert store.booked_counts("berchem", DAY) == {NINE: 1}


def test_idempotency_keys_hide_the_conversation_and_differ_per_slot():
    key = idempotency_key("conversation-1", "eid", "berchem", DAY, NINE)
    assert key == idempotency_key("conversation-1", "eid", "berchem", DAY, NINE)
    assert len(key) == 64 and "conversation" not in key
    assert key != idempotency_key("conversation-1", "eid", "berchem", DAY, QUARTER_PAST)
    assert key != idempotency_key("conversation-2", "eid", "berchem", DAY, NINE)


def test_a_code_collision_draws_another_code(store, monkeypatch):
    codes = iter(["AAAAA2", "AAAAA2", "BBBBB3"])
    monkeypatch.setattr(store_module, "new_code", lambda: next(codes))
    assert book(store).code == "AAAAA2"
    assert book(store, contact="piet@example.be").code == "BBBBB3"
    assert store.booked_counts("berchem", DAY) == {NINE: 2}  # the failed try was rolled back


# --- rescheduling ------------------------------------------------------------------------------


def test_reschedule_moves_the_place_and_keeps_the_code(store):
    made = book(store, capacity=1)
    moved = store.reschedule(made.code, MAIL, DAY, TEN, 1)
    assert moved.code == made.code and (moved.day, moved.start) == (DAY, TEN)
    assert store.find(made.code, MAIL) == moved
    assert store.booked_counts("berchem", DAY) == {TEN: 1}
    book(store, capacity=1, contact="piet@example.be")  # 09:00 is free again


def test_reschedule_to_another_day(store):
    made = book(store)
    later = DAY + dt.timedelta(days=1)
    moved = store.reschedule(made.code, MAIL, later, NINE, 3)
    assert moved.day == later
    assert store.booked_counts("berchem", DAY) == {}
    assert store.booked_counts("berchem", later) == {NINE: 1}


def test_reschedule_into_a_full_slot_changes_nothing(store):
    made = book(store, capacity=1)
    book(store, capacity=1, start=TEN, contact="piet@example.be")
    with pytest.raises(SlotFull):
        store.reschedule(made.code, MAIL, DAY, TEN, 1)
    assert store.find(made.code, MAIL) == made
    assert store.booked_counts("berchem", DAY) == {NINE: 1, TEN: 1}
    assert [b.start for b in store.agenda("berchem", DAY)] == [NINE, TEN]


def test_reschedule_to_the_same_slot_is_a_no_op(store):
    made = book(store, capacity=1)  # full: taking it again would fail
    assert store.reschedule(made.code, MAIL, DAY, NINE, 1) == made
    assert store.booked_counts("berchem", DAY) == {NINE: 1}


# --- overviews and clean-up --------------------------------------------------------------------


def test_agenda_is_in_time_order(store):
    book(store, start=TEN, name="Derde")
    book(store, start=NINE, name="Eerste")
    book(store, start=HALF_PAST, name="Tweede")
    book(store, start=NINE, name="Ander loket", counter="deurne")
    book(store, start=NINE, name="Andere dag", day=DAY + dt.timedelta(days=1))
    agenda = store.agenda("berchem", DAY)
    assert [b.name for b in agenda] == ["Eerste", "Tweede", "Derde"]
    assert [b.start for b in agenda] == [NINE, HALF_PAST, TEN]
    assert store.agenda("berchem", DAY - dt.timedelta(days=1)) == []


def test_purge_deletes_bookings_before_the_day(store, database_url):
    old, older = DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=40)
    book(store, day=older)
    book(store, day=old)
    book(store, day=old, start=TEN)
    kept = book(store, day=DAY)
    assert store.purge(DAY) == 3
    assert store.agenda("berchem", old) == [] and store.agenda("berchem", older) == []
    assert store.booked_counts("berchem", old) == {}
    assert store.find(kept.code, MAIL) == kept
    assert rows_in(database_url, "slot_usage") == 1
    assert store.purge(DAY) == 0


# --- failures and privacy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_url",
    [
        lambda tmp: f"sqlite:///{tmp / 'no-such-folder' / 'bookings.sqlite3'}",
        lambda tmp: "postgresql://postgres@127.0.0.1:1/test",
    ],
    ids=["sqlite", "postgresql"],
)
def test_an_unreachable_database_raises_store_unavailable(tmp_path, make_url):
    unreachable = BookingStore(make_url(tmp_path))
    with pytest.raises(StoreUnavailable) as failure:
        book(unreachable, name="Jan Peeters")
    assert "Peeters" not in str(failure.value) and "jan.peeters" not in str(failure.value)
    with pytest.raises(StoreUnavailable):
        unreachable.find("K7M2QX", MAIL)
    with pytest.raises(StoreUnavailable):
        unreachable.agenda("berchem", DAY)


def test_from_environment_uses_the_url_or_the_bookings_file(tmp_path, monkeypatch):
    monkeypatch.delenv(store_module.DATABASE_URL_ENV, raising=False)
    path = tmp_path / "var" / "sub" / "bookings.sqlite3"
    monkeypatch.setenv(store_module.BOOKINGS_FILE_ENV, str(path))
    from_file = BookingStore.from_environment()
    book(from_file)
    from_file.close()
    assert path.exists()

    other = tmp_path / "other.sqlite3"
    monkeypatch.setenv(store_module.DATABASE_URL_ENV, f"sqlite:///{other}")
    from_url = BookingStore.from_environment()
    assert from_url.agenda("berchem", DAY) == []
    from_url.close()
    assert other.exists()


def test_names_and_contacts_stay_out_of_logs_and_errors(database_url, caplog):
    caplog.set_level(logging.DEBUG)
    # Before the engine exists: SQLAlchemy then logs every statement (its own default is WARN).
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    watched = BookingStore(database_url)
    try:
        made = book(watched, capacity=1, name="Geheime Naam", contact="0470 12 34 56")
        with pytest.raises(SlotFull) as full:
            book(watched, capacity=1, name="Geheime Naam", contact="0470 12 34 56")
        watched.find(made.code, MOBILE)
    finally:
        watched.close()
    assert "INSERT INTO bookings" in caplog.text  # statements were logged...
    for secret in ("Geheime", "470123456", "470 12"):
        assert secret not in caplog.text  # ...without their parameters
        assert secret not in str(full.value)


# --- races between processes -------------------------------------------------------------------

RACERS = 20
RACE_TIME = dt.time(11, 0)


def _race_to_book(url: str, barrier, results, index: int, capacity: int, key) -> None:
    """One 'action server': its own store, warmed up, then booking as soon as all are ready."""
    racer = BookingStore(url)
    released = time.time()
    try:
        racer.booked_counts("berchem", DAY)  # connect and see the tables before the race
        barrier.wait(timeout=120)
        released = time.time()
        made = racer.book(
            "eid",
            "berchem",
            DAY,
            RACE_TIME,
            name=f"Burger {index}",
            contact=f"burger{index}@example.be",
            capacity=capacity,
            idempotency_key=key,
        )
        results.put(("booked", made.code, released, time.time()))
    except SlotFull:
        results.put(("full", None, released, time.time()))
    except Exception as error:  # reported to the test, which fails on it
        results.put(("error", repr(error), released, time.time()))
    finally:
        racer.close()


def _move_back_and_forth(url: str, barrier, results, code: str, contact: str, moves: int) -> None:
    """Reschedules one booking between two slots while others do the same the other way."""
    mover = BookingStore(url)
    slots = [(DAY, NINE), (DAY, TEN)]
    try:
        current = mover.find(code, contact)
        barrier.wait(timeout=120)
        for _ in range(moves):
            target = slots[(slots.index((current.day, current.start)) + 1) % 2]
            current = mover.reschedule(code, contact, *target, capacity=100)
        results.put(("moved", code, 0.0, 0.0))
    except Exception as error:
        results.put(("error", repr(error), 0.0, 0.0))
    finally:
        mover.close()


def _run_together(target: Callable, argument_lists: List[tuple]) -> List[Tuple]:
    """Runs target once per argument list, each in its own process; returns what they report.

    'fork' starts in milliseconds where 'spawn' re-imports SQLAlchemy per process; each child
    still builds its own BookingStore, and callers close their stores first so that no
    connection is shared across the fork.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    barrier, results = context.Barrier(len(argument_lists)), context.Queue()
    processes = [
        context.Process(target=target, args=(args[0], barrier, results, *args[1:]))
        for args in argument_lists
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=240) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    return outcomes


def test_parallel_bookings_never_exceed_capacity(store, database_url):
    store.booked_counts("berchem", DAY)  # tables exist before the racers start
    store.close()
    outcomes = _run_together(
        _race_to_book, [(database_url, index, 2, None) for index in range(RACERS)]
    )
    kinds = [outcome[0] for outcome in outcomes]
    assert "error" not in kinds, [o for o in outcomes if o[0] == "error"]
    assert kinds.count("booked") == 2 and kinds.count("full") == RACERS - 2
    assert len({outcome[1] for outcome in outcomes if outcome[0] == "booked"}) == 2
    assert rows_in(database_url, "bookings") == 2
    assert store.booked_counts("berchem", DAY) == {RACE_TIME: 2}
    seconds = max(o[3] for o in outcomes) - min(o[2] for o in outcomes)
    backend = database_url.split(":", 1)[0]
    print(f"\n{backend}: {RACERS} racers, 2 booked, {kinds.count('full')} full, {seconds:.2f} s")


@pytest.mark.parametrize("capacity", [1, 3], ids=["last-place", "places-left"])
def test_racing_copies_of_one_confirmation_book_once(store, database_url, capacity):
    store.booked_counts("berchem", DAY)
    store.close()
    key = idempotency_key("conversation-1", "eid", "berchem", DAY, RACE_TIME)
    outcomes = _run_together(
        _race_to_book, [(database_url, index, capacity, key) for index in range(5)]
    )
    assert [outcome[0] for outcome in outcomes] == ["booked"] * 5, outcomes
    assert len({outcome[1] for outcome in outcomes}) == 1
    assert rows_in(database_url, "bookings") == 1
    assert store.booked_counts("berchem", DAY) == {RACE_TIME: 1}


def test_crossing_reschedules_keep_usage_and_bookings_in_step(store, database_url):
    made = [
        book(store, start=NINE if index % 2 else TEN, contact=f"m{index}@example.be", capacity=100)
        for index in range(6)
    ]
    store.close()
    outcomes = _run_together(
        _move_back_and_forth, [(database_url, b.code, b.contact, 7) for b in made]
    )
    assert [outcome[0] for outcome in outcomes] == ["moved"] * 6, outcomes
    agenda = store.agenda("berchem", DAY)
    assert sorted(b.code for b in agenda) == sorted(b.code for b in made)
    per_slot = {start: sum(1 for b in agenda if b.start == start) for start in (NINE, TEN)}
    assert per_slot == {NINE: 3, TEN: 3}  # 7 moves each: every booking changed sides
    assert store.booked_counts("berchem", DAY) == per_slot


# --- the staff command line --------------------------------------------------------------------


def run_cli(bookings_file: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "STADSLOKET_DATABASE_URL"}
    env.update(STADSLOKET_BOOKINGS_FILE=str(bookings_file), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bookings", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_agenda_lists_the_day_in_time_order(tmp_path):
    path = tmp_path / "bookings.sqlite3"
    filled = BookingStore(f"sqlite:///{path}")
    late = book(filled, start=TEN, name="Els Laat", contact="els@example.be", product="paspoort")
    early = book(filled, start=NINE, name="Jan Vroeg", contact="0470 12 34 56")
    book(filled, start=NINE, name="Ander Loket", counter="deurne")
    filled.close()

    shown = run_cli(path, "agenda", "--counter", "berchem", "--date", DAY.isoformat())
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert "Berchem" in lines[0] and "dinsdag 8 december 2026" in lines[0]
    assert len(lines) == 3
    assert lines[1].startswith("09:00") and lines[2].startswith("10:00")
    for part in ("elektronische identiteitskaart (eID)", "Jan Vroeg", MOBILE, early.code):
        assert part in lines[1]
    for part in ("paspoort (reispas)", "Els Laat", "els@example.be", late.code):
        assert part in lines[2]

    empty = run_cli(path, "agenda", "--counter", "berchem", "--date", "2026-12-09")
    assert empty.returncode == 0 and empty.stdout.strip().endswith("Geen afspraken.")


def test_cli_rejects_an_unknown_counter_and_a_bad_date(tmp_path):
    path = tmp_path / "bookings.sqlite3"
    unknown = run_cli(path, "agenda", "--counter", "nergenshuizen", "--date", "2026-12-08")
    assert unknown.returncode == 2
    assert "Onbekend loket 'nergenshuizen'" in unknown.stderr and unknown.stdout == ""
    bad_date = run_cli(path, "agenda", "--counter", "berchem", "--date", "8 december")
    assert bad_date.returncode == 2 and "Ongeldige datum" in bad_date.stderr


def test_cli_purge_removes_old_bookings(tmp_path):
    path = tmp_path / "bookings.sqlite3"
    filled = BookingStore(f"sqlite:///{path}")
    today = dt.date.today()
    book(filled, day=today - dt.timedelta(days=45))
    recent = book(filled, day=today - dt.timedelta(days=5))
    filled.close()
    purged = run_cli(path, "purge", "--older-than-days", "30")
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.startswith("1 afspraak ")
    remaining = BookingStore(f"sqlite:///{path}")
    assert remaining.find(recent.code, MAIL) == recent
    remaining.close()
