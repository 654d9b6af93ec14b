"""The action server as served (`python -m serving.action_server`): only Rasa, with the shared
secret, may call it, and an action that writes checks every rule again whatever the tracker
says. Calls are forged by hand, as an attacker on the machine would forge them."""
from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any, Dict, Optional

import pytest

from bookings import rules
from bookings.store import BookingStore
from service_catalogue import load_catalogue, schedule
from serving.action_server import bearer_matches
from tests.conftest import ACTION_TOKEN

FORGED_SLOTS = {
    "booking_product": "eid",
    "booking_counter": "linkeroever",  # redirected: closed for bookings
    "booking_date": "2026-11-29",  # a Sunday
    "booking_time": "03:00",
    "booking_name": "<script>alert(1)</script>",
    "booking_contact": "+32470123456",
    "booking_confirmed": True,
}


def call(url: str, body: Optional[Dict[str, Any]], token: Optional[str] = ACTION_TOKEN, path="/webhook"):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url + path, data, headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def action_call(action: str, slots: Dict[str, Any], sender: str = "forger") -> Dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.2",
        "domain": {"slots": {name: {"type": "any", "mappings": []} for name in slots}},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "ja", "intent": {"name": "affirm"}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "booking_form",
        },
    }


def texts_of(answer) -> str:
    return "\n".join(r.get("text") or "" for r in answer.get("responses", []))


@pytest.fixture
def store(action_server):
    opened = BookingStore(f"sqlite:///{action_server.env['STADSLOKET_BOOKINGS_FILE']}")
    yield opened
    opened.close()


def next_open_day(counter_id: str) -> dt.date:
    catalogue = load_catalogue()
    tomorrow = schedule.today(catalogue) + dt.timedelta(days=1)
    return rules.bookable_days(catalogue, catalogue.counter(counter_id), tomorrow, 1)[0]


def test_the_bearer_check():
    assert bearer_matches("Bearer s3cret-s3cret-s3cret", "s3cret-s3cret-s3cret")
    assert bearer_matches("bearer  s3cret-s3cret-s3cret ", "s3cret-s3cret-s3cret")
    for header in (None, "", "s3cret-s3cret-s3cret", "Basic s3cret-s3cret-s3cret", "Bearer s3cret"):
        assert not bearer_matches(header, "s3cret-s3cret-s3cret")


def test_it_listens_on_loopback_only(action_server):
    port = f"{action_server.port:04X}"
    listening = [
        fields[1] for fields in (line.split() for line in open("/proc/net/tcp").read().splitlines()[1:])
        if fields[1].endswith(":" + port) and fields[3] == "0A"  # LISTEN
    ]
    assert listening == ["0100007F:" + port]  # 127.0.0.1, not 0.0.0.0


def test_a_call_without_the_secret_gets_401(action_server, store):
    for token in (None, "", "guess", ACTION_TOKEN[:-1]):
        status, body = call(action_server.url, action_call("action_finish_booking", FORGED_SLOTS), token)
        assert status == 401 and body == {"error": "unauthorized"}
    status, _ = call(action_server.url, None, token=None, path="/actions")
    assert status == 401
    status, body = call(action_server.url, None, token=None, path="/health")
    assert status == 200 and body == {"status": "ok"}


def test_the_forged_booking_of_the_report_is_refused(action_server, store):
    """Linkeroever (closed), a Sunday, 03:00, a script for a name: refused, nothing stored."""
    status, answer = call(action_server.url, action_call("action_finish_booking", FORGED_SLOTS))
    assert status == 200
    text = texts_of(answer)
    assert "kan ik niet vastleggen" in text and "niets geboekt" in text
    assert "referentiecode" not in text
    assert store.agenda("linkeroever", dt.date(2026, 11, 29)) == []


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"booking_counter": "berchem", "booking_date": "{sunday}", "booking_time": "10:00"}, "refusal_closed_day"),
        ({"booking_counter": "berchem", "booking_date": "2026-12-25", "booking_time": "10:00"}, "refusal_closed_day"),
        ({"booking_counter": "berchem", "booking_date": "2020-01-06", "booking_time": "10:00"}, "refusal_outside_window"),
        ({"booking_counter": "berchem", "booking_date": "2031-01-06", "booking_time": "10:00"}, "refusal_outside_window"),
        ({"booking_counter": "berchem", "booking_date": "{open}", "booking_time": "12:30"}, "refusal_time"),
        ({"booking_counter": "berchem", "booking_date": "{open}", "booking_time": "10:07"}, "refusal_time"),
        ({"booking_counter": "berchem", "booking_date": "{open}", "booking_time": "10:00", "booking_product": "strafregister"}, None),
        ({"booking_counter": "nergens", "booking_date": "{open}", "booking_time": "10:00"}, "refusal_counter"),
        ({"booking_counter": "berchem", "booking_date": "31 februari", "booking_time": "10:00"}, "refusal_moment"),
        ({"booking_counter": "berchem", "booking_date": "{open}", "booking_time": "10:00", "booking_product": "ruimteschip"}, "refusal_product"),
        ({"booking_counter": "berchem", "booking_date": "{open}", "booking_time": "10:00", "booking_name": "<b>Jan</b>"}, "refusal_name"),
        ({"booking_counter": "berchem", "booking_date": "{open}", "booking_time": "10:00", "booking_contact": "bel me"}, "refusal_contact"),
        ({"booking_counter": "berchem", "booking_date": "{open}", "booking_time": "10:00", "booking_name": None}, "refusal_name"),
    ],
)
def test_every_rule_is_checked_again_before_writing(catalogue, changes, reason):
    now = schedule.now(catalogue)
    today = now.date()
    sunday = today + dt.timedelta(days=(6 - today.weekday()) or 7)
    open_day = next_open_day("berchem")
    slots = {**FORGED_SLOTS, "booking_name": "Lotte Vermeulen"}
    for key, value in changes.items():
        slots[key] = value.format(sunday=sunday.isoformat(), open=open_day.isoformat()) if isinstance(value, str) else value
    verdict = rules.check_booking(catalogue, slots, now)
    if reason is None:
        assert verdict.accepted and verdict.value.counter == "berchem"
    else:
        assert not verdict.accepted and verdict.values["reason_key"] == reason


def test_a_valid_call_books_once_however_often_it_comes(action_server, store):
    day = next_open_day("deurne")
    slots = {**FORGED_SLOTS, "booking_counter": "deurne", "booking_date": day.isoformat(),
             "booking_time": "11:15", "booking_name": "An Peeters", "booking_contact": "an@example.org"}
    answers = [call(action_server.url, action_call("action_finish_booking", slots, sender="twice"))
               for _ in range(2)]
    codes = {json.dumps(texts_of(a)) for _, a in answers}
    assert all(status == 200 for status, _ in answers) and len(codes) == 1
    assert "referentiecode" in texts_of(answers[0][1])
    assert [b.name for b in store.agenda("deurne", day)] == ["An Peeters"]


def test_an_error_answers_500_without_echoing_the_request(action_server):
    body = action_call("action_finish_booking", {**FORGED_SLOTS, "booking_confirmed": True})
    body["tracker"] = ["Lotte 0470123456"]  # not a tracker at all
    status, answer = call(action_server.url, body)
    assert status == 500
    assert answer == {"error": "internal error"}
    log = action_server.log_file.read_text(errors="replace")
    assert "0470123456" not in log


def _get(url: str, headers: Optional[Dict[str, str]] = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.split()[-1])
    return 0.0


def test_health_and_metrics_need_no_secret_and_count_bookings(action_server, store):
    assert _get(action_server.url + "/health/live")[0] == 200
    assert _get(action_server.url + "/health/ready") == (200, '{"status":"ready"}')
    before = _metric(_get(action_server.url + "/metrics")[1], "stadsloket_bookings_total", change="booked", outcome="done")
    day = next_open_day("ekeren")
    slots = {**FORGED_SLOTS, "booking_counter": "ekeren", "booking_date": day.isoformat(),
             "booking_time": "10:45", "booking_name": "Bo Jacobs", "booking_contact": "bo@example.org"}
    assert call(action_server.url, action_call("action_finish_booking", slots, sender="counted"))[0] == 200
    status, text = _get(action_server.url + "/metrics")
    assert status == 200 and "# TYPE stadsloket_bookings_total counter" in text
    assert _metric(text, "stadsloket_bookings_total", change="booked", outcome="done") == before + 1
    assert "bo@example.org" not in text and "Bo Jacobs" not in text
    # Health and metrics are for this machine: a request relayed by an undeclared proxy gets nothing.
    assert _get(action_server.url + "/metrics", {"X-Forwarded-For": "203.0.113.9"})[0] == 404
