"""Shared fixtures: the real catalogue, a fixed clock, trackers from JSON, and action runs.

`run_action` returns the texts a citizen would read, and for each the key of the wording in
actions/texts.nl.yml it was made from, so tests can check both the facts and the path taken.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.texts import texts
from service_catalogue import load_catalogue
from service_catalogue import schedule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def catalogue():
    return load_catalogue()


@pytest.fixture
def clock(monkeypatch):
    """Sets 'now' for the schedule; returns a setter. Default: Thursday 26 November 2026, 10:00."""

    def set_now(moment: dt.datetime) -> dt.datetime:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=BRUSSELS)
        monkeypatch.setattr(schedule, "now", lambda catalogue: aware)
        return aware

    set_now(dt.datetime(2026, 11, 26, 10, 0))
    return set_now


def _pattern(template: str) -> "re.Pattern":
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile("(?s)" + "(.*?)".join(re.escape(part) for part in parts) + "$")


PATTERNS = {key: _pattern(template) for key, template in texts().items()}


def text_key(text: str) -> Optional[str]:
    """Which wording a text was made from (the most specific one that matches)."""
    keys = [key for key, pattern in PATTERNS.items() if pattern.match(text)]
    return max(keys, key=lambda k: len(texts()[k]), default=None)


def make_tracker(
    text: str = "",
    intent: str = "ask_opening_days",
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    entities = entities or []
    filled = {"counter": None, "product": None}
    for entity in entities:
        filled[entity["entity"]] = entity["value"]
    filled.update(slots or {})
    return Tracker(
        "test-user",
        filled,
        {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities},
        events or [],
        False,
        None,
        {},
        "action_listen",
    )


def tracker_fixture(name: str) -> Tracker:
    return Tracker.from_dict(json.loads((FIXTURES / "trackers" / f"{name}.json").read_text()))


class Answer:
    """What an action sent: the rendered texts, and the raw messages (for buttons)."""

    def __init__(self, messages: List[Dict[str, Any]], events: List[Dict[str, Any]]):
        self.messages = messages
        self.events = events
        self.texts = [m.get("text") or "" for m in messages]
        self.text = "\n".join(self.texts)
        self.responses = [text_key(t) for t in self.texts]

    def buttons(self) -> List[Dict[str, Any]]:
        return [b for m in self.messages for b in m.get("buttons") or []]


def run_action(action, tracker: Tracker) -> Answer:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return Answer(dispatcher.messages, events)


# --- the trained assistant and the real action server (tests marked `model`) ------------------
# Started by serving.launcher, as `make run`, `make cluster` and the bench start them.

from serving.launcher import free_port, model_path  # noqa: E402

MODEL = model_path()


@pytest.fixture(scope="session")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


# One secret per test run (kept in the environment: conftest can be imported under two names).
ACTION_TOKEN = os.environ.setdefault("STADSLOKET_TEST_ACTION_TOKEN", "test-secret-" + uuid.uuid4().hex)


def _server_env(extra: Optional[Dict[str, str]], **fixed: str) -> Dict[str, str]:
    """The launcher's environment for a test server: the secret of this run, and a profile
    variable (database, Redis) only when the test names it."""
    from serving.action_server import TOKEN_ENV
    from serving.launcher import PROFILE_VARIABLES, server_environment

    base = {k: v for k, v in os.environ.items() if k not in PROFILE_VARIABLES}
    return server_environment(base, **{TOKEN_ENV: ACTION_TOKEN}, **fixed, **(extra or {}))


class ActionServer:
    """The real action server in its own process, as served: on loopback, behind the shared
    secret, on a bookings file of the test session."""

    def __init__(self, bookings_file: Path, log_file: Path, env: Optional[Dict[str, str]] = None):
        from serving import launcher

        self.port = free_port()
        # Messages to citizens are written as files next to the bookings (notifications.transports).
        self.outbox = bookings_file.parent / "outbox"
        self.env = _server_env(env, STADSLOKET_BOOKINGS_FILE=str(bookings_file), STADSLOKET_OUTBOX_DIR=str(self.outbox))
        self.log_file = log_file
        self.server = launcher.action_server(self.port, self.env, log_file)
        self.url = self.server.url

    @property
    def process(self):
        return self.server.process

    def start(self) -> None:
        self.server.start()
        self.server.wait_ready(60)

    def stop(self) -> None:
        self.server.stop()

    def kill(self) -> None:
        self.server.kill()


def action_endpoint(url: str):
    from rasa.utils.endpoints import EndpointConfig

    return EndpointConfig(url=f"{url}/webhook", headers={"Authorization": f"Bearer {ACTION_TOKEN}"})


@pytest.fixture(scope="session")
def action_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("action_server")
    server = ActionServer(folder / "bookings.sqlite3", folder / "action_server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def agent(loop, action_server):
    assert MODEL.exists(), f"{MODEL} is missing: run `make train` (make test does)"
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL), action_endpoint=action_endpoint(action_server.url))


class Conversation:
    """One citizen talking to the trained assistant; keeps the last replies for their buttons."""

    def __init__(self, agent, loop):
        self.agent, self.loop, self.sender = agent, loop, f"test-{uuid.uuid4().hex[:8]}"
        self.replies: List[Dict[str, Any]] = []

    def say(self, text: str) -> str:
        self.replies = self.loop.run_until_complete(
            self.agent.handle_text(text, sender_id=self.sender)
        )
        return "\n".join(r.get("text", "") for r in self.replies)

    def buttons(self) -> List[Dict[str, str]]:
        return [b for r in self.replies for b in r.get("buttons") or []]

    def click(self, index: int = 0) -> str:
        return self.say(self.buttons()[index]["payload"])


class RasaServer:
    """`python -m serving run` as the launcher starts it, on a free port, with the served
    endpoints (action server secret, conversations in a SQLite file of `folder` unless `env`
    names another store), its output in a log file."""

    def __init__(self, action_server: ActionServer, folder: Path, credentials: Path, env=None):
        from serving import launcher

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = folder / "rasa.log"
        self.endpoints = folder / "endpoints.yml"
        self.endpoints.write_text(launcher.endpoints_yaml(action_server.url))
        self.credentials = credentials
        self.env = _server_env(env, STADSLOKET_CONVERSATIONS_FILE=str(folder / "conversations.sqlite3"))
        self.server = launcher.rasa_server(self.port, self.endpoints, credentials, self.env, self.log_file)
        self.start()

    @property
    def process(self):
        return self.server.process

    def start(self) -> None:
        self.server.start()
        self.server.wait_ready(180)

    def rss_bytes(self) -> int:
        return self.server.rss_kb() * 1024

    def stop(self) -> None:
        self.server.stop()
