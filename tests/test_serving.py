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
