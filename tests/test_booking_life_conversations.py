"""The booking's life outside the chat, through the served assistant (REST, the real action
server, the file transport): a household booking, a lost code, and a manage link used to cancel.

Days come from the catalogue at test time. Messages are read from the action server's outbox
folder as a developer would open them.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import time
import uuid
from pathlib import Path
from typing import List

import pytest

from bookings import manage_links
from bookings.reference_codes import ALPHABET
from evaluation.realistic import say
from language import wording
from service_catalogue import load_catalogue, schedule
from tests.conftest import ROOT, RasaServer

pytestmark = pytest.mark.model

CODE = re.compile(rf"referentiecode is ([{ALPHABET}]{{6}})")


@pytest.fixture(scope="module")
def served(action_server, tmp_path_factory):
    server = RasaServer(action_server, tmp_path_factory.mktemp("booking_life"), ROOT / "credentials.yml")
    yield server
    server.stop()


def sender() -> str:
    return f"life-{uuid.uuid4().hex[:8]}"


def open_day(counter_id: str, skip: int = 3) -> dt.date:
    catalogue = load_catalogue()
    start = schedule.today(catalogue) + dt.timedelta(days=skip)
    return schedule.next_open_days(catalogue, catalogue.counters[counter_id], start, 1)[0]


def label(day: dt.date) -> str:
    return wording.long_date(day, with_year=day.year != schedule.today(load_catalogue()).year)


def messages(folder: Path, containing: str, suffix: str = ".eml", wait: float = 20) -> List[bytes]:
    """The outbox files that mention `containing` (the worker sends within a second or so)."""
    deadline = time.monotonic() + wait
    while True:
        found = [p.read_bytes() for p in sorted(folder.glob(f"*{suffix}")) if containing.encode() in p.read_bytes()
                 or containing in _text(p.read_bytes())]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def _text(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else raw.decode("utf-8", "replace")


def book_one(served, counter: str, hour: str, name: str, contact: str) -> str:
    """A driving-licence booking in one conversation; returns its reference code."""
    who = sender()
    say(served.url, who, f"ik wil een afspraak voor een rijbewijs in {counter} op {label(open_day(counter.lower()))} om {hour}")
    say(served.url, who, name)
    say(served.url, who, contact)
    return CODE.search(say(served.url, who, "ja")).group(1)


def test_two_kids_ids_in_one_booking_and_the_confirmation_in_the_outbox(served, action_server):
    day, who = open_day("merksem"), sender()
    reply = say(served.url, who, f"ik wil een afspraak voor een kids-id voor mijn twee kinderen in Merksem op {label(day)}")
    assert "Om hoe laat" in reply, reply  # no "how many?": it was said
    say(served.url, who, "11u")
    say(served.url, who, "Sara Janssens")
    summary = say(served.url, who, "sara.janssens@example.be")
    assert "2 kinderen" in summary and "Zal ik deze afspraak vastleggen?" in summary, summary
    done = say(served.url, who, "ja")
    code = CODE.search(done).group(1)
    assert "2 kinderen" in done and "bevestiging" in done
    [raw] = messages(action_server.outbox, code)
    text = _text(raw)
    assert "2 kinderen" in text and "Burgemeester Jozef Nolfplein 1" in text and "#afspraak=" in text


def test_a_lost_code_is_sent_to_the_contact_and_the_answer_reveals_nothing(served, action_server):
    code = book_one(served, "Hoboken", "10u", "Jonas Peeters", "jonas.peeters@example.be")
    asked = say(served.url, sender(), "ik ben mijn referentiecode kwijt")
    assert "e-mailadres of gsm-nummer" in asked and "03 22 11 333" in asked, asked
    lost = sender()
    say(served.url, lost, "ik wil mijn afspraak verplaatsen")
    assert "e-mailadres of gsm-nummer" in say(served.url, lost, "die code heb ik niet meer")
    known = say(served.url, lost, "Jonas.Peeters@example.be")
    stranger = sender()
    say(served.url, stranger, "ik ben mijn referentiecode kwijt")
    unknown = say(served.url, stranger, "niemand.hier@example.be")
    assert known == unknown and "gestuurd" in known  # the same answer, with or without bookings
    codes = [raw for raw in messages(action_server.outbox, code) if "opnieuw" in _text(raw)]
    assert len(codes) == 1
    assert email.message_from_bytes(codes[0], policy=email.policy.default)["To"] == "jonas.peeters@example.be"
    assert messages(action_server.outbox, "niemand.hier@example.be", wait=2) == []


def test_the_manage_link_opens_the_appointment_and_cancels_it_without_code(served, action_server):
    code = book_one(served, "Deurne", "14u", "Mira Claes", "0470 99 88 77")
    [sms] = messages(action_server.outbox, code, suffix=".txt")
    token = manage_links.token_in_text(sms.decode("utf-8"))
    assert token and code in sms.decode("utf-8")
    visitor = sender()
    shown = say(served.url, visitor, '/open_manage_link{"manage_token": "%s"}' % token)
    assert code in shown and "Annuleren" in shown and "Verplaatsen" in shown, shown
    assert "echt annuleren" in say(served.url, visitor, "/cancel_appointment")
    assert "is geannuleerd" in say(served.url, visitor, "/affirm")
    again = say(served.url, sender(), '/open_manage_link{"manage_token": "%s"}' % token)
    assert "geannuleerd" in again and "Annuleren" not in again
    tampered = say(served.url, sender(), '/open_manage_link{"manage_token": "%s"}' % (token[:-2] + "xx"))
    assert "werkt niet" in tampered
    # The token is in no log and no stored conversation, only its hash.
    for path in [served.log_file, action_server.log_file, Path(served.env["STADSLOKET_CONVERSATIONS_FILE"])]:
        assert token.encode() not in path.read_bytes(), path


def test_typing_no_more_reminders_without_the_link_says_how(served):
    reply = say(served.url, sender(), "ik wil geen herinneringen meer krijgen")
    assert "link" in reply and "Geen herinneringen meer" in reply, reply
