"""Local staff accounts: argon2id hashes, sessions that expire, CSRF tokens, slowed-down guessing,
and the command that creates accounts (make staff-user)."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from staff import accounts
from staff.store import StaffStore, utcnow
from tests.conftest import ROOT


@pytest.fixture
def store(tmp_path):
    found = StaffStore(f"sqlite:///{tmp_path}/staff.sqlite3")
    accounts.create_account(found, "an", "trainee", "centrum", "een-lang-wachtwoord", "An")
    yield found
    found.close()


def test_the_password_is_stored_as_an_argon2id_hash_only(store):
    row = store.account("an")
    assert row["password_hash"].startswith("$argon2id$")
    assert "een-lang-wachtwoord" not in row["password_hash"]
    assert accounts.sign_in(store, "An ", "een-lang-wachtwoord", "10.0.0.1").name == "an"


@pytest.mark.parametrize(
    "name, role, team, password",
    [("an", "baas", "t", "een-lang-wachtwoord"), ("A N", "trainee", "t", "een-lang-wachtwoord"),
     ("an2", "trainee", "t", "kort"), ("an3", "trainee", " ", "een-lang-wachtwoord")],
)
def test_accounts_that_cannot_be_made(store, name, role, team, password):
    with pytest.raises(ValueError):
        accounts.create_account(store, name, role, team, password)


def test_sessions_expire_when_idle_and_at_their_longest_life(store):
    member = accounts.sign_in(store, "an", "een-lang-wachtwoord", "10.0.0.1")
    start = utcnow()
    token = accounts.start_session(store, member, start)
    assert accounts.current_session(store, token, start + dt.timedelta(minutes=5)) is not None
    assert accounts.current_session(store, token, start + accounts.SESSION_IDLE + dt.timedelta(minutes=6)) is None
    # Kept alive by use, it still ends at its longest life.
    token = accounts.start_session(store, member, start)
    moment = start
    while moment < start + accounts.SESSION_LONGEST - dt.timedelta(minutes=10):
        moment += dt.timedelta(minutes=10)
        assert accounts.current_session(store, token, moment) is not None
    assert accounts.current_session(store, token, start + accounts.SESSION_LONGEST + dt.timedelta(seconds=1)) is None
    assert accounts.current_session(store, "nooit-uitgegeven", start) is None
    assert accounts.current_session(store, None, start) is None


def test_the_csrf_token_belongs_to_the_session(store):
    member = accounts.sign_in(store, "an", "een-lang-wachtwoord", "10.0.0.1")
    first = accounts.current_session(store, accounts.start_session(store, member))
    second = accounts.current_session(store, accounts.start_session(store, member))
    assert accounts.csrf_ok(first, first.csrf)
    assert not accounts.csrf_ok(first, second.csrf)
    assert not accounts.csrf_ok(first, "") and not accounts.csrf_ok(first, None)


def test_failures_double_the_wait_per_name_and_per_address(store):
    now = utcnow()
    for _ in range(accounts.FREE_FAILURES):
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(store, "an", "fout", "10.0.0.1", now)
    with pytest.raises(accounts.TooManyAttempts) as waited:
        accounts.sign_in(store, "an", "een-lang-wachtwoord", "10.0.0.2", now)  # another address, same name
    assert waited.value.wait_seconds == 1
    with pytest.raises(accounts.TooManyAttempts):
        accounts.sign_in(store, "bart", "fout", "10.0.0.1", now)  # another name, same address
    later = now + dt.timedelta(seconds=2)
    with pytest.raises(accounts.SignInRefused):
        accounts.sign_in(store, "an", "fout", "10.0.0.3", later)
    with pytest.raises(accounts.TooManyAttempts) as waited:
        accounts.sign_in(store, "an", "een-lang-wachtwoord", "10.0.0.3", later)
    assert waited.value.wait_seconds == 2
    assert accounts.sign_in(store, "an", "een-lang-wachtwoord", "10.0.0.3", later + dt.timedelta(seconds=3)).name == "an"
    assert store.failures("name:an") is None  # a success starts over


def test_make_staff_user_creates_an_account_that_signs_in(tmp_path):
    database = tmp_path / "bookings.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STADSLOKET_BOOKINGS_FILE": str(database),
           "STADSLOKET_STAFF_PASSWORD": "nog-een-wachtwoord"}
    env.pop("STADSLOKET_DATABASE_URL", None)
    made = subprocess.run(
        ["make", "--no-print-directory", "-s", "staff-user", "NAME=chris", "ROLE=teamlead", "TEAM=deurne"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert "chris" in made.stdout and "nog-een-wachtwoord" not in made.stdout + made.stderr
    store = StaffStore(f"sqlite:///{database}")
    member = accounts.sign_in(store, "chris", "nog-een-wachtwoord", "127.0.0.1")
    assert (member.role, member.team) == ("teamlead", "deurne")
    refused = subprocess.run(
        [sys.executable, "-m", "staff", "add-user", "--name", "x", "--role", "trainee"],
        cwd=ROOT, env={**env, "STADSLOKET_STAFF_PASSWORD": "kort"}, capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2 and "Niet aangemaakt" in refused.stderr
