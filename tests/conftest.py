"""Shared fixtures: the real catalogue, a fixed clock, trackers from JSON, and action runs.

`run_action` returns the texts a citizen would read, and for each the key of the wording in
actions/texts.nl.yml it was made from, so tests can check both the facts and the path taken.
"""
from __future__ import annotations

import datetime as dt
import json
import re
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
