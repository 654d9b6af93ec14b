"""Booking conversations with the trained assistant and the real action server, on today's clock.

Days are chosen from the catalogue at test time (the next open day, a closed Berendrecht day),
so the tests hold whatever day they run. Bookings go to the session's own SQLite file.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.request

import pytest

from language import wording
from bookings.reference_codes import ALPHABET
from bookings.store import BookingStore
from service_catalogue import load_catalogue, schedule
from tests.conftest import MODEL, ROOT, Conversation, RasaServer, action_endpoint

pytestmark = pytest.mark.model

CODE = re.compile(rf"referentiecode is ([{ALPHABET}]{{6}})")
NAME, EMAIL, MOBILE = "Lotte Vermeulen", "lotte.vermeulen@example.be", "0470 12 34 56"


def open_days(counter_id: str, count: int = 5, skip: int = 1):
    """Open days of a counter, starting `skip` days after today (never today: hours pass)."""
    catalogue = load_catalogue()
    start = schedule.today(catalogue) + dt.timedelta(days=skip)
    return schedule.next_open_days(catalogue, catalogue.counters[counter_id], start, count)


def label(day: dt.date) -> str:
    today = schedule.today(load_catalogue())
    return wording.long_date(day, with_year=day.year != today.year)


@pytest.fixture
def chat(agent, loop):
    return lambda: Conversation(agent, loop)


@pytest.fixture
def store(action_server):
    store = BookingStore(f"sqlite:///{action_server.env['STADSLOKET_BOOKINGS_FILE']}")
    yield store
    store.close()


def book(chat, day: dt.date, time: str, counter: str = "Berchem", contact: str = EMAIL) -> str:
    """A whole booking in one conversation; returns the reference code."""
    c = chat()
    reply = c.say(f"ik wil een afspraak voor een rijbewijs in {counter} op {label(day)} om {time}")
    assert "Op welke naam" in reply, reply
    c.say(NAME)
    reply = c.say(contact)
    assert "Zal ik deze afspraak vastleggen?" in reply, reply
    done = c.say("/affirm")
    return CODE.search(done).group(1)


def test_happy_path_by_buttons_and_typing(chat, store):
    c = chat()
    assert "Voor welk document" in c.say("ik wil een afspraak maken")
    assert "In welk stadsloket" in c.say("voor een paspoort")
    assert "Voor hoeveel personen" in c.say("Berchem")
    assert [b["title"] for b in c.buttons()] == ["1 persoon", "2 personen", "3 personen", "4 personen"]
    assert "Op welke dag" in c.click(0)
    days = c.buttons()
    assert 1 <= len(days) <= 3
    assert "Om hoe laat" in c.click(0)
    times = [b["title"] for b in c.buttons()]
    assert 1 <= len(times) <= 5 and all(re.fullmatch(r"\d\d:\d\d", t) for t in times)
    assert "Op welke naam" in c.click(0)
    assert "e-mailadres of gsm-nummer" in c.say(NAME)
    summary = c.say(EMAIL)
    assert "Zal ik deze afspraak vastleggen?" in summary and "Berchem" in summary
    assert "een recente pasfoto" in summary
    done = c.say("Ja")
    code = CODE.search(done).group(1)
    assert any(ch.isdigit() for ch in code)
    stored = store.find(code, EMAIL)
    assert stored and stored.counter == "berchem" and stored.start.strftime("%H:%M") == times[0]
    assert stored.day.day == int(days[0]["title"].split()[1])


def test_all_slots_in_the_first_message(chat, store):
    day = open_days("berchem")[1]
    c = chat()
    reply = c.say(f"ik wil een afspraak voor een rijbewijs in Berchem op {label(day)} om 10u")
    assert "Op welke naam" in reply, reply
    c.say(NAME)
    summary = c.say(MOBILE)
    assert f"{label(day)}" in summary and "10:00" in summary and "+32 4** ** ** 56" in summary
    code = CODE.search(c.say("ja")).group(1)
    assert store.find(code, "+32470123456").day == day


def test_a_question_in_the_middle_is_answered_and_the_form_goes_on(chat):
    c = chat()
    c.say("ik wil een afspraak maken voor een rijbewijs")
    reply = c.say("Wanneer is het loket in Berendrecht open?")
    assert "dinsdag" in reply and "woensdag" in reply
    assert "In welk stadsloket" in reply, reply  # asked again where it was
    assert "Op welke dag" in c.say("Merksem")


@pytest.mark.parametrize("stop", ["toch niet", "laat maar", "stop"])
def test_leaving_the_form_books_nothing(chat, store, stop):
    c = chat()
    c.say("ik wil een afspraak voor een rijbewijs in Deurne")
    reply = c.say(stop)
    assert "niets geboekt" in reply, reply
    assert "Op welke dag" not in c.say("dag")


def test_linkeroever_is_redirected_with_buttons(chat):
    c = chat()
    reply = c.say("ik wil een afspraak maken in linkeroever voor mijn eid")
    assert "Linkeroever neemt tijdelijk geen afspraken aan" in reply, reply
    assert [b["title"] for b in c.buttons()] == ["Antwerpen-Centrum", "Berchem", "Borgerhout", "Merksem"]
    assert "Voor hoeveel personen" in c.click(1)  # an eID can be for a household
    assert "Op welke dag" in c.say("alleen ik")


def test_a_closed_berendrecht_day(chat):
    catalogue = load_catalogue()
    berendrecht = catalogue.counters["berendrecht"]
    today = schedule.today(catalogue)
    closed = next(
        today + dt.timedelta(days=n)
        for n in range(2, 30)
        if (today + dt.timedelta(days=n)).weekday() < 5
        and not schedule.status_on(catalogue, berendrecht, today + dt.timedelta(days=n)).is_open
    )
    c = chat()
    c.say("ik wil een afspraak voor een rijbewijs in Berendrecht")
    reply = c.say(label(closed))
    assert "dicht" in reply, reply
    proposed = [b["title"] for b in c.buttons()]
    assert proposed and all(t.split()[0] in ("dinsdag", "woensdag") for t in proposed)


@pytest.mark.parametrize(
    "date, expected",
    [("31 februari", "staat niet op de kalender"), ("gisteren", "ligt al achter ons")],
)
def test_impossible_and_past_dates(chat, date, expected):
    c = chat()
    c.say("ik wil een afspraak voor een rijbewijs in Hoboken")
    reply = c.say(date)
    assert expected in reply, reply
    assert c.buttons()


def test_look_up_cancel_and_reschedule_from_other_conversations(chat, store):
    day, later = open_days("borgerhout", 2)
    code = book(chat, day, "11u", counter="Borgerhout")

    wrong = chat()
    assert "referentiecode" in wrong.say("wanneer is mijn afspraak ook alweer")
    assert "Ter controle" in wrong.say(code)
    not_found = wrong.say("iemand.anders@example.be")
    assert "geen afspraak met die code en dat contactgegeven" in not_found

    guessed = chat()
    guessed.say("ik wil mijn afspraak bekijken")
    guessed.say("ZZZZ22" if code != "ZZZZ22" else "ZZZZ23")
    assert guessed.say(EMAIL) == not_found  # same answer for a wrong code

    right = chat()
    right.say("ik wil mijn afspraak bekijken")
    right.say(code)
    details = right.say(EMAIL)
    assert code in details and label(day) in details and "11:00" in details

    move = chat()
    move.say(f"ik wil mijn afspraak {code} verplaatsen")
    assert "Op welke dag" in move.say(EMAIL)
    move.say(label(later))
    assert "Zal ik je afspraak" in move.say("14u")
    assert code in move.say("ja")
    moved = store.find(code, EMAIL)
    assert (moved.day, moved.start) == (later, dt.time(14))
    assert store.booked_counts("borgerhout", day).get(dt.time(11), 0) == 0

    cancel = chat()
    cancel.say(f"annuleer mijn afspraak {code}")
    assert "Wil je ze echt annuleren?" in cancel.say(EMAIL)
    assert "geannuleerd" in cancel.say("ja")
    assert store.find(code, EMAIL) is None
    assert store.booked_counts("borgerhout", later).get(dt.time(14), 0) == 0


def test_a_booking_survives_a_restart_of_both_servers(chat, action_server, loop, store):
    from rasa.core.agent import Agent

    day = open_days("wilrijk")[0]
    code = book(chat, day, "9u", counter="Wilrijk")
    action_server.stop()
    action_server.start()
    fresh = Agent.load(str(MODEL), action_endpoint=action_endpoint(action_server.url))
    c = Conversation(fresh, loop)
    c.say("ik wil mijn afspraak bekijken")
    c.say(code)
    assert code in c.say(EMAIL) and "09:00" in c.replies[-1]["text"]


class RestCitizen:
    """A citizen on the REST channel of a served assistant (`rasa run`, as `make run` serves)."""

    def __init__(self, url: str):
        self.url, self.sender = url, f"rest-{time.time_ns()}"

    def say(self, text: str) -> str:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return "\n".join(r.get("text", "") for r in json.loads(response.read()))


@pytest.fixture
def served(action_server, tmp_path):
    server = RasaServer(action_server, tmp_path, ROOT / "credentials.yml")
    yield f"{server.url}/webhooks/rest/webhook", server.log_file
    server.stop()


def test_personal_data_stays_out_of_both_servers_logs(served, action_server):
    url, rasa_log = served
    citizen = RestCitizen(url)
    day = open_days("ekeren")[0]
    assert "Op welke naam" in citizen.say(f"ik wil een afspraak voor een rijbewijs in Ekeren op {label(day)} om 10u")
    citizen.say(NAME)
    assert "Zal ik deze afspraak vastleggen?" in citizen.say(MOBILE)
    assert CODE.search(citizen.say("ja"))
    for log in (rasa_log.read_text(errors="replace"), action_server.log_file.read_text(errors="replace")):
        assert NAME not in log and "+32470123456" not in log and MOBILE not in log
