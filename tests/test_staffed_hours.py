"""Asking for a person: inside the contact centre's staffed hours, and outside them (fixed clock).

The hours come from the catalogue (contact_centre.staffed_hours); a changed catalogue changes the
answer, which the last test checks so that no hour lives in code.
"""
import datetime as dt

import pytest

from actions.general import ActionAnswerHumanHandoff
from service_catalogue import schedule
from tests.conftest import make_tracker, run_action


def ask(clock, moment):
    clock(moment)
    return run_action(ActionAnswerHumanHandoff(), make_tracker("ik wil een mens spreken", intent="human_handoff"))


@pytest.mark.parametrize("moment", [dt.datetime(2026, 11, 30, 9, 0), dt.datetime(2026, 12, 4, 16, 59)])
def test_within_staffed_hours(clock, moment):
    answer = ask(clock, moment)
    assert answer.responses == ["human_handoff_staffed"], answer.text
    assert "03 22 11 333" in answer.text and "9 uur" in answer.text and "17 uur" in answer.text


@pytest.mark.parametrize("moment, following", [
    (dt.datetime(2026, 11, 28, 14, 0), "maandag 30 november om 9 uur"),  # a Saturday
    (dt.datetime(2026, 11, 30, 17, 0), "morgen om 9 uur"),  # the end is not staffed any more
    (dt.datetime(2026, 11, 30, 7, 30), "vandaag om 9 uur"),
    (dt.datetime(2026, 12, 24, 18, 0), "maandag 28 december om 9 uur"),  # Christmas falls on Friday
])
def test_outside_staffed_hours_no_queue_but_hours_and_number(clock, moment, following):
    answer = ask(clock, moment)
    assert answer.responses == ["human_handoff_unstaffed"], answer.text
    assert following in answer.text and "03 22 11 333" in answer.text, answer.text
    assert "wachtrij" not in answer.text


def test_the_hours_are_the_catalogues(clock, catalogue, monkeypatch):
    hours = catalogue.contact_centre.staffed_hours.copy(update={"start": dt.time(8, 30), "end": dt.time(12, 0),
                                                               "days": ["zaterdag"]})
    centre = catalogue.contact_centre.copy(update={"staffed_hours": hours})
    changed = catalogue.copy(update={"contact_centre": centre})
    monkeypatch.setattr("actions.general.load_catalogue", lambda: changed)
    assert schedule.is_staffed(changed, dt.datetime(2026, 11, 28, 8, 30))
    assert not schedule.is_staffed(changed, dt.datetime(2026, 11, 30, 10, 0))
    answer = ask(clock, dt.datetime(2026, 11, 30, 10, 0))
    assert answer.responses == ["human_handoff_unstaffed"]
    assert "zaterdag 5 december om 8.30 uur" in answer.text and "12 uur" in answer.text, answer.text
