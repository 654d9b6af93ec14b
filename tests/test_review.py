"""Reviewing conversations on the staff page: masked transcripts, filters, the Markdown export, and
who may see them. Conversations are written by Rasa's own SQL tracker store into the database the
served assistant uses, as real conversations would be."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from review import figures
from review.conversations import FILTERS, markdown, read, reference
from tests.test_staff_pages import _sign_in, _store, client, serve

ZONE = ZoneInfo("Europe/Brussels")
PERSONAL = ["Mieke Janssens", "Mieke", "Janssens", "mieke.j@voorbeeld.be", "0470 12 34 56", "Q4R7TZ",
            "90.05.17-123.31", "Karel"]


def user(text, intent, confidence=0.95, at=1795950000.0):
    return UserUttered(text, intent={"name": intent, "confidence": confidence},
                       parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text},
                       timestamp=at)


def booking_conversation():
    return [
        user("Ik wil een afspraak voor een eID", "book_appointment", at=1795950000.0),
        ActionExecuted("booking_form", timestamp=1795950001.0),
        ActiveLoop("booking_form", timestamp=1795950001.0),
        BotUttered("Op welke naam mag ik de afspraak zetten?", timestamp=1795950002.0),
        user("Mieke Janssens", "inform", 0.41, at=1795950010.0),
        SlotSet("booking_name", "Mieke Janssens", timestamp=1795950011.0),
        BotUttered("Op welk e-mailadres of gsm-nummer?", timestamp=1795950012.0),
        user("mieke.j@voorbeeld.be of anders 0470 12 34 56, rijksregister 90.05.17-123.31", "inform",
             at=1795950020.0),
        SlotSet("booking_contact", "mieke.j@voorbeeld.be", timestamp=1795950021.0),
        ActiveLoop(None, timestamp=1795950022.0),
        ActionExecuted("action_finish_booking", timestamp=1795950023.0),
        BotUttered("Geboekt op naam van Mieke Janssens. Je referentiecode is Q4R7TZ.", timestamp=1795950024.0),
        user("dank je, groetjes van mieke", "thank", at=1795950030.0),
    ]


def misunderstood_conversation():
    return [
        user("kan ik mijn hond laten chippen bij jullie", "nlu_fallback", 0.3, at=1795960000.0),
        ActionExecuted("action_clarify", timestamp=1795960001.0),
        BotUttered("Dat begrijp ik niet goed.", timestamp=1795960002.0),
        user("ik wil met een medewerker praten, ik ben Karel", "human_handoff", at=1795960010.0),
        ActionExecuted("action_answer_human_handoff", timestamp=1795960011.0),
        BotUttered("Bel het stedelijk contactcenter op 03 22 11 333.", timestamp=1795960012.0),
    ]


def abandoned_conversation():
    return [
        user("afspraak maken", "book_appointment", at=1795970000.0),
        ActionExecuted("booking_form", timestamp=1795970001.0),
        ActiveLoop("booking_form", timestamp=1795970001.0),
        BotUttered("Voor welk document?", timestamp=1795970002.0),
    ]


CONVERSATIONS = {"sock-booking-1": booking_conversation, "sock-misunderstood-2": misunderstood_conversation,
                 "telegram-4711": abandoned_conversation}


def as_dicts(events):
    return [event.as_dict() for event in events]


def test_flags_of_each_conversation():
    booking = read("a", as_dicts(booking_conversation()), ZONE)
    assert booking.flags == {"lage_zekerheid"}, booking.flags
    misunderstood = read("b", as_dicts(misunderstood_conversation()), ZONE)
    assert misunderstood.flags == {"niet_begrepen", "fallback", "persoon", "lage_zekerheid"}, misunderstood.flags
    assert read("c", as_dicts(abandoned_conversation()), ZONE).flags == {"afspraak_afgebroken"}
    assert set(FILTERS) >= booking.flags | misunderstood.flags


def test_transcript_and_markdown_are_masked_but_readable():
    conversation = read("sock-booking-1", as_dicts(booking_conversation()), ZONE, ["03 22 11 333"])
    exported = markdown(conversation)
    shown = " ".join(line.text for line in conversation.lines)
    for secret in PERSONAL[:7]:
        assert secret.lower() not in exported.lower() and secret.lower() not in shown.lower(), secret
    assert "[e-mail]" in exported and "[telefoonnummer]" in exported and "[rijksregisternummer]" in exported
    assert "[referentiecode]" in exported and "[naam]" in exported
    assert "gelezen als inform, 0.41" in exported and "action_finish_booking" in exported
    assert "sock-booking-1" not in exported and reference("sock-booking-1") in exported
    helped = read("b", as_dicts(misunderstood_conversation()), ZONE, ["03 22 11 333"])
    assert "03 22 11 333" in markdown(helped) and "Karel" not in markdown(helped)


def _conversations_database(tmp_path, monkeypatch):
    path = tmp_path / "conversations.sqlite3"
    monkeypatch.delenv("STADSLOKET_CONVERSATIONS_URL", raising=False)
    monkeypatch.setenv("STADSLOKET_CONVERSATIONS_FILE", str(path))
    domain = Domain.load("domain.yml")
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))

    async def save_all():
        for sender, events in CONVERSATIONS.items():
            await store.save(DialogueStateTracker.from_events(sender, events(), domain.slots))

    asyncio.run(save_all())


def test_review_pages_for_a_team_lead_only_and_masked(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)
    _conversations_database(tmp_path, monkeypatch)

    async def scenario(url, agent):
        async with client() as anonymous:
            for path in ("/staff/gesprekken", f"/staff/gesprekken/{reference('sock-booking-1')}",
                         f"/staff/gesprekken/{reference('sock-booking-1')}/markdown"):
                async with anonymous.get(url + path, allow_redirects=False) as refused:
                    assert refused.status == 303 and refused.headers["Location"].endswith("/staff/aanmelden"), path
        async with client() as trainee:
            await _sign_in(trainee, url, "an")
            async with trainee.get(f"{url}/staff/gesprekken") as page:
                assert page.status == 403
            async with trainee.get(f"{url}/staff/gesprekken/{reference('sock-booking-1')}/markdown") as page:
                assert page.status == 403
        async with client() as lead:
            await _sign_in(lead, url, "chris")
            async with lead.get(f"{url}/staff/gesprekken") as page:
                html = await page.text()
                assert page.status == 200
                refs = set(re.findall(r"/staff/gesprekken/([0-9a-f]{12})\"", html))
                assert refs == {reference(s) for s in CONVERSATIONS}, refs
                assert "telegram-4711" not in html
            async with lead.get(f"{url}/staff/gesprekken?filter=persoon") as page:
                refs = set(re.findall(r"/staff/gesprekken/([0-9a-f]{12})\"", await page.text()))
                assert refs == {reference("sock-misunderstood-2")}
            async with lead.get(f"{url}/staff/gesprekken?filter=afspraak_afgebroken") as page:
                refs = set(re.findall(r"/staff/gesprekken/([0-9a-f]{12})\"", await page.text()))
                assert refs == {reference("telegram-4711")}
            async with lead.get(f"{url}/staff/gesprekken?filter=<script>") as page:
                assert page.status == 200 and "<script>" not in await page.text()
            async with lead.get(f"{url}/staff/gesprekken/{reference('sock-booking-1')}") as page:
                html = await page.text()
                assert page.status == 200 and "[e-mail]" in html and "book_appointment" in html
                for secret in PERSONAL[:7]:
                    assert secret.lower() not in html.lower(), secret
            async with lead.get(f"{url}/staff/gesprekken/{reference('sock-booking-1')}/markdown") as export:
                text = await export.text()
                assert export.status == 200 and "attachment" in export.headers["Content-Disposition"]
                assert "[naam]" in text and "mieke" not in text.lower()
            async with lead.get(f"{url}/staff/gesprekken/{'0' * 12}") as missing:
                assert missing.status == 404

    serve(monkeypatch, tmp_path, scenario)


def test_figures_over_the_last_days():
    zone_day = lambda c: c.started.date()  # noqa: E731
    conversations = [read(sender, as_dicts(events()), ZONE) for sender, events in CONVERSATIONS.items()]
    today = max(zone_day(c) for c in conversations)
    found = figures.compute(conversations, today, days=30)
    assert found.conversations == 3 and len(found.days) == 30 and found.days[-1].day == today
    assert found.asked_for_person == 1 / 3 and found.contained == 2 / 3
    assert found.misunderstood == [("kan ik mijn hond laten chippen bij jullie", 1)]
    assert sum(d.conversations for d in found.days) == 3
    rows = figures.csv_rows(found)
    assert rows[0] == ["dag", "gesprekken", "vroeg_naar_een_medewerker", "niet_begrepen"] and len(rows) == 31
    assert found.taken_over == 0 and found.median_wait is None
    waited = figures.compute(conversations, today, waits=[30.0, 90.0, 60.0])
    assert waited.taken_over == 3 and waited.median_wait == 60.0
    later = figures.compute(conversations, today + dt.timedelta(days=40))
    assert later.conversations == 0 and later.contained is None  # none, not 0 %
    chart = figures.per_day_chart(found)
    assert max(bar["width"] for bar in chart["bars"]) == figures.BAR_WIDTH


def test_figures_page_for_a_team_lead_only(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)
    _conversations_database(tmp_path, monkeypatch)
    monkeypatch.setattr("staff.pages.schedule.today", lambda catalogue: dt.date(2026, 12, 1))

    async def scenario(url, agent):
        async with client() as anonymous:
            for path in ("/staff/cijfers", "/staff/cijfers.csv"):
                async with anonymous.get(url + path, allow_redirects=False) as refused:
                    assert refused.status == 303, path
        async with client() as trainee:
            await _sign_in(trainee, url, "an")
            for path in ("/staff/cijfers", "/staff/cijfers.csv"):
                async with trainee.get(url + path) as refused:
                    assert refused.status == 403, path
        async with client() as lead:
            await _sign_in(lead, url, "chris")
            async with lead.get(f"{url}/staff/cijfers") as page:
                html = await page.text()
                assert page.status == 200 and "<svg" in html and "nog niet gemeten" in html
                assert "67%" in html and "33%" in html, html  # 2 of 3 without a person
                assert "hond laten chippen" in html and "nog geen overname" in html
            async with lead.get(f"{url}/staff/cijfers.csv") as export:
                lines = (await export.text()).strip().splitlines()
                assert lines[0] == "dag,gesprekken,vroeg_naar_een_medewerker,niet_begrepen" and len(lines) == 31
                assert sum(int(line.split(",")[1]) for line in lines[1:]) == 3

    serve(monkeypatch, tmp_path, scenario)


def test_a_conversations_database_that_is_down_gets_a_page(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)
    monkeypatch.setenv("STADSLOKET_CONVERSATIONS_URL", "postgresql://postgres@127.0.0.1:9/nothing")

    async def scenario(url, agent):
        async with client() as lead:
            await _sign_in(lead, url, "chris")
            for path in ("/staff/gesprekken", f"/staff/gesprekken/{reference('x')}", "/staff/cijfers"):
                async with lead.get(url + path) as page:
                    assert page.status == 503 and "niet bereikbaar" in await page.text(), path

    serve(monkeypatch, tmp_path, scenario)
