"""The served Rasa's fix: action server answers are validated as before, the schema once."""
from __future__ import annotations

import subprocess
import sys

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from serving import action_response_check

ORIGINAL = RemoteAction._validate_action_result
GOOD = {
    "events": [{"event": "slot", "timestamp": None, "name": "booking_day", "value": None},
               {"event": "active_loop", "name": "booking_form"}],
    "responses": [{"text": "Op welke dag?", "buttons": [{"title": "ma 30 nov", "payload": "/inform"}]}],
}
BAD = [
    {"events": {"event": "slot"}},
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [], "responses": ["geen object"]},
]


def test_a_valid_answer_passes_both_ways():
    assert ORIGINAL(RemoteAction, GOOD) is True
    assert action_response_check.validate_action_result(None, GOOD) is True


@pytest.mark.parametrize("answer", BAD)
def test_an_invalid_answer_fails_with_the_same_error_as_in_rasa(answer):
    with pytest.raises(ValidationError) as rasa_error:
        ORIGINAL(RemoteAction, answer)
    with pytest.raises(ValidationError) as our_error:
        action_response_check.validate_action_result(None, answer)
    assert our_error.value.message == rasa_error.value.message
    assert list(our_error.value.path) == list(rasa_error.value.path)


def test_the_schema_is_checked_once_not_per_answer(monkeypatch):
    action_response_check.validate_action_result(None, GOOD)  # builds the validator
    cls = type(action_response_check._validator())

    def no_more_schema_checks(schema):
        raise AssertionError("the schema was checked again")

    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, s: no_more_schema_checks(s)))
    for _ in range(3):
        assert action_response_check.validate_action_result(None, GOOD) is True
    with pytest.raises(AssertionError):
        ORIGINAL(RemoteAction, GOOD)  # Rasa's own path does check it every time


def test_install_replaces_rasas_method(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    action_response_check.install()
    assert RemoteAction._validate_action_result is action_response_check.validate_action_result


def test_the_launcher_is_rasas_command_line():
    result = subprocess.run([sys.executable, "-m", "serving", "run", "--help"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--enable-api" in result.stdout


# --- the served set-up: endpoints, HTTP API, conversations --------------------------------------


def test_endpoints_send_the_secret_as_a_header_and_keep_conversations(monkeypatch, tmp_path):
    from rasa.core.utils import AvailableEndpoints

    from serving.launcher import endpoints_yaml

    monkeypatch.setenv("STADSLOKET_ACTION_TOKEN", "a-secret-for-the-action-server")
    generated = tmp_path / "endpoints.yml"
    generated.write_text(endpoints_yaml("http://127.0.0.1:5999"))
    for path in ("endpoints.yml", generated):
        endpoints = AvailableEndpoints.read_endpoints(str(path))
        assert endpoints.action.headers == {"Authorization": "Bearer a-secret-for-the-action-server"}
        assert "token" not in endpoints.action.kwargs and "?" not in endpoints.action.url
        assert endpoints.action.url.startswith("http://127.0.0.1:")
        assert endpoints.tracker_store.type == "serving.conversation_store.ConversationStore"
        assert endpoints.lock_store.type == "serving.lock_store.SharedLockStore"


@pytest.mark.parametrize(
    "argv, refused",
    [
        (["run", "--model", "m"], False),
        (["run", "--enable-api"], True),
        (["run", "--enable-api", "--auth-token", "geheim"], False),
        (["run", "--enable-api", "-t", "geheim"], False),
        (["run", "--enable-api", "--jwt-secret", "geheim"], False),
        (["run", "--enable"], True),  # argparse takes the prefix
        (["run", "--enable-ap", "--auth-token="], True),
        (["run", "--enable-api", "-t", ""], True),
        (["run", "--enable-api", "--auth-token=geheim"], False),
    ],
)
def test_the_http_api_only_with_authentication(argv, refused):
    from serving.http_guard import api_refusal

    assert (api_refusal(argv) is not None) == refused


def test_the_launcher_refuses_an_open_http_api():
    result = subprocess.run([sys.executable, "-m", "serving", "run", "--enable-api", "--model", "x"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "--auth-token" in result.stderr


def test_the_action_server_does_not_start_without_a_secret():
    import os

    env = {k: v for k, v in os.environ.items() if k != "STADSLOKET_ACTION_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "serving.action_server", "--port", "0"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 2 and "STADSLOKET_ACTION_TOKEN" in result.stderr


def _tracker(sender, timestamp, domain):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(UserUttered("Wanneer is Berchem open?", timestamp=timestamp))
    return tracker


def test_conversations_are_kept_on_disk_and_purged_after_the_retention(tmp_path):
    import asyncio
    import time

    from rasa.shared.core.domain import Domain

    from serving.conversation_store import ConversationStore, purge

    url = f"sqlite:///{tmp_path / 'conversations.sqlite3'}"
    domain = Domain.empty()
    store = ConversationStore(domain=domain, url=url)
    now = time.time()
    asyncio.run(store.save(_tracker("old", now - 40 * 86400, domain)))
    asyncio.run(store.save(_tracker("recent", now - 2 * 86400, domain)))
    reopened = ConversationStore(domain=domain, url=url)  # as after a restart
    assert sorted(asyncio.run(reopened.keys())) == ["old", "recent"]
    assert purge(url, 30, now=now) == 1
    assert sorted(asyncio.run(reopened.keys())) == ["recent"]
    assert purge(url, 30, now=now) == 0


def test_a_conversations_database_error_is_raised_not_hidden(tmp_path, caplog):
    import asyncio

    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    from serving.conversation_store import ConversationStoreUnavailable, strict_tracker_store

    class Broken(InMemoryTrackerStore):
        async def retrieve(self, sender_id):
            raise OSError("database gone: Lotte Vermeulen")

        async def save(self, tracker):
            raise OSError("database gone")

    domain = Domain.empty()
    store = strict_tracker_store(Broken(domain), domain)
    with pytest.raises(ConversationStoreUnavailable):
        asyncio.run(store.retrieve("someone"))
    with pytest.raises(ConversationStoreUnavailable):
        asyncio.run(store.save(_tracker("someone", 0, domain)))
    assert "conversation store: retrieve failed (OSError)" in caplog.text
    assert "Lotte" not in caplog.text
