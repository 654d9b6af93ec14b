"""The live handover: the queue (SQLite and PostgreSQL), the assistant's answer inside and outside
staffed hours (fixed clock), leaving the queue, and the pause holding against a typed /restart.
The two-browser run is in tests/test_handover_browser.py."""
from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from actions.general import ActionAnswerHumanHandoff
from handover import queue as handover_queue
from handover.queue import CLOSED, HANDED_BACK, LEFT, TALKING, WAITING, HandoverQueue, wants_to_leave
from tests.conftest import make_tracker, run_action
from tests.test_booking_store import database_url  # noqa: F401 (the SQLite/PostgreSQL fixture)

MONDAY_TEN = dt.datetime(2026, 11, 30, 10, 0)
SUNDAY = dt.datetime(2026, 11, 29, 11, 0)


@pytest.fixture
def queue(database_url):  # noqa: F811
    opened = HandoverQueue(database_url)
    yield opened
    opened.engine.dispose()


def test_asking_twice_is_once_and_places_follow_the_order(queue):
    first = queue.ask("citizen-a", "socketio")
    assert queue.ask("citizen-a", "socketio").id == first.id
    second = queue.ask("citizen-b", "socketio")
    assert (queue.position(first), queue.position(second)) == (1, 2)
    assert [h.conversation_id for h in queue.waiting()] == ["citizen-a", "citizen-b"]


def test_only_one_staff_member_gets_a_conversation(queue):
    asked = queue.ask("citizen-c", "socketio")
    with ThreadPoolExecutor(max_workers=4) as pool:
        won = list(pool.map(lambda n: queue.take(asked.id, f"staff{n}", f"Naam{n}"), range(4)))
    assert won.count(True) == 1
    taken = queue.get(asked.id)
    assert taken.state == TALKING and [h.id for h in queue.talking_with(taken.staff_name)] == [asked.id]
    assert queue.waiting() == [] and queue.position(taken) == 0


def test_only_the_staff_member_who_took_it_ends_it(queue):
    asked = queue.ask("citizen-d", "socketio")
    assert queue.take(asked.id, "an", "An")
    assert not queue.end(asked.id, HANDED_BACK, staff_name="bart")
    assert queue.end(asked.id, HANDED_BACK, staff_name="an")
    assert not queue.end(asked.id, CLOSED, staff_name="an")  # ended once
    assert queue.open_for("citizen-d") is None
    again = queue.ask("citizen-d", "socketio")  # asking later is a new handover
    assert again.id != asked.id and again.state == WAITING


def test_a_citizen_who_leaves_is_out_of_the_queue(queue):
    gone, stays = queue.ask("citizen-e", "socketio"), queue.ask("citizen-f", "socketio")
    assert queue.end(gone.id, LEFT)
    assert not queue.take(gone.id, "an", "An")
    assert queue.position(queue.get(stays.id)) == 1
    assert queue.take(stays.id, "an", "An")
    assert not queue.end(stays.id, LEFT)  # "stop" racing a take: once taken, the staff member ends it
    assert queue.get(stays.id).state == TALKING


def test_a_handover_older_than_four_hours_is_over(queue):
    old = queue.ask("citizen-g", "socketio", now=handover_queue.utcnow() - dt.timedelta(hours=5))
    assert queue.open_for("citizen-g") is None and queue.waiting() == []
    fresh = queue.ask("citizen-g", "socketio")
    assert fresh.id != old.id and queue.position(fresh) == 1


@pytest.mark.parametrize("text, leaves", [("stop", True), ("Laat maar!", True), ("ik wil niet meer wachten", True),
                                          ("stop met die wachtmuziek, ik heb een vraag over Berchem", False),
                                          ("hallo?", False)])
def test_leaving_words(text, leaves):
    assert wants_to_leave(text) is leaves


# --- the assistant's answer ----------------------------------------------------------------------


def ask_for_a_person(clock, moment, channel="socketio", sender="sock-1"):
    clock(moment)
    tracker = make_tracker("ik wil met een medewerker praten", intent="human_handoff",
                           events=[{"event": "user", "text": "ik wil met een medewerker praten",
                                    "input_channel": channel, "parse_data": {}}])
    tracker.sender_id = sender
    return run_action(ActionAnswerHumanHandoff(), tracker)


@pytest.fixture
def own_queue(tmp_path, monkeypatch):
    monkeypatch.delenv("STADSLOKET_DATABASE_URL", raising=False)
    monkeypatch.setenv("STADSLOKET_BOOKINGS_FILE", str(tmp_path / "bookings.sqlite3"))
    monkeypatch.setattr(HandoverQueue, "_shared", {})
    return HandoverQueue.shared()


def test_within_staffed_hours_the_web_chat_queues_and_pauses(clock, own_queue):
    answer = ask_for_a_person(clock, MONDAY_TEN, sender="sock-1")
    assert answer.responses == ["human_handoff_queued"] and "nummer 1" in answer.text, answer.text
    assert [e["event"] for e in answer.events] == ["pause"]
    second = ask_for_a_person(clock, MONDAY_TEN, sender="sock-2")
    assert "nummer 2" in second.text
    assert [h.conversation_id for h in own_queue.waiting()] == ["sock-1", "sock-2"]


def test_a_channel_that_cannot_be_written_to_gets_the_number(clock, own_queue):
    answer = ask_for_a_person(clock, MONDAY_TEN, channel="rest", sender="rest-1")
    assert answer.responses == ["human_handoff_staffed"] and answer.events == []
    assert own_queue.waiting() == []


def test_outside_staffed_hours_no_queue(clock, own_queue):
    answer = ask_for_a_person(clock, SUNDAY, sender="sock-3")
    assert answer.responses == ["human_handoff_unstaffed"] and answer.events == []
    assert "maandag 30 november om 9 uur" in answer.text or "morgen om 9 uur" in answer.text, answer.text
    assert own_queue.waiting() == []


def test_a_queue_database_that_is_down_gives_the_number(clock, monkeypatch):
    monkeypatch.setenv("STADSLOKET_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/nothing")
    monkeypatch.setattr(HandoverQueue, "_shared", {})
    answer = ask_for_a_person(clock, MONDAY_TEN, sender="sock-4")
    assert answer.responses == ["human_handoff_staffed"] and answer.events == []


# --- the message guard while a person has the conversation ----------------------------------------


class Tracked:
    """Stands in for the agent: records what the guard passes on and appends."""

    def __init__(self):
        self.handled = []

    async def handle(self, agent, message):
        self.handled.append(message.text)
        return []


def test_a_payload_cannot_restart_a_handed_over_conversation_and_stop_leaves_the_queue(own_queue, monkeypatch):
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from serving.message_guard import MessageGuard
    from serving.rate_limits import Limit, MemoryCounter, RateLimits

    guard = MessageGuard(RateLimits(MemoryCounter(), Limit.parse("30/60", ""), Limit.parse("120/60", "")), 1000)
    appended = []

    async def append(agent, conversation_id, *events):
        appended.append((conversation_id, [type(e).__name__ for e in events]))

    monkeypatch.setattr(handover_queue, "LIVE_CHANNELS", {"socketio"})
    monkeypatch.setattr("serving.message_guard.delivery.append", append)
    own_queue.ask("sock-9", "socketio")
    passed = Tracked()

    def message(text):
        return UserMessage(text, CollectingOutputChannel(), "sock-9", input_channel="socketio")

    agent = type("Agent", (), {"tracker_store": "the conversations"})()

    async def scenario():
        await guard.handle(passed.handle, agent, message("/restart"))
        await guard.handle(passed.handle, agent, message(" \n/restart"))  # Rasa strips blanks before a payload
        await guard.handle(passed.handle, agent, message("hallo, is daar iemand?"))
        left = message("stop")
        await guard.handle(passed.handle, agent, left)
        return left.output_channel.messages

    answers = asyncio.run(scenario())
    assert passed.handled == ["restart", "restart", "hallo, is daar iemand?"]
    assert "niet meer in de wachtrij" in answers[0]["text"]
    assert own_queue.open_for("sock-9") is None
    assert own_queue.get(1).state == LEFT
    assert appended == [("sock-9", ["ConversationResumed", "ActionExecuted"])]


# --- the console's routes: nothing without a session, a conversation only for who took it --------


def test_every_handover_route_needs_a_session_and_the_right_staff_member(monkeypatch, tmp_path):
    from tests.test_staff_pages import _csrf, _sign_in, _store, client, serve

    _store(tmp_path, monkeypatch)
    monkeypatch.setattr(HandoverQueue, "_shared", {})
    waiting = HandoverQueue.shared().ask("sock-77", "socketio")

    async def scenario(url, agent):
        async with client() as anonymous:
            for method, path in (("GET", "/overdracht"), ("GET", "/overdracht/lijst"), ("GET", f"/overdracht/{waiting.id}"),
                                 ("GET", f"/overdracht/{waiting.id}/verloop"), ("POST", f"/overdracht/{waiting.id}/nemen"),
                                 ("POST", f"/overdracht/{waiting.id}/bericht"),
                                 ("POST", f"/overdracht/{waiting.id}/teruggeven"),
                                 ("POST", f"/overdracht/{waiting.id}/afsluiten")):
                async with anonymous.request(method, f"{url}/staff{path}", allow_redirects=False) as refused:
                    assert refused.status == 303 and refused.headers["Location"].endswith("/staff/aanmelden"), path
        async with client() as an:
            await _sign_in(an, url, "an")
            async with an.get(f"{url}/staff/overdracht") as page:
                html = await page.text()
                assert "script-src 'self'" in page.headers["Content-Security-Policy"]
                assert f"/overdracht/{waiting.id}/nemen" in html
            async with an.post(f"{url}/staff/overdracht/{waiting.id}/nemen", data={"csrf": "forged"}) as forged:
                assert forged.status == 403
            async with an.get(f"{url}/staff/overdracht/{waiting.id}") as not_taken:
                assert not_taken.status == 404  # nobody's yet: no transcript to read
        async with client() as bart:
            await _sign_in(bart, url, "bart")
            async with bart.get(f"{url}/staff/overdracht") as page:
                token = _csrf(await page.text())
            assert HandoverQueue.shared().take(waiting.id, "an", "An")  # a colleague took it meanwhile
            async with bart.post(f"{url}/staff/overdracht/{waiting.id}/nemen", data={"csrf": token}) as late:
                assert late.status == 409
            for path in (f"/overdracht/{waiting.id}", f"/overdracht/{waiting.id}/verloop"):
                async with bart.get(f"{url}/staff{path}") as other:
                    assert other.status == 404 and "sock-77" not in await other.text(), path
            for path in ("bericht", "teruggeven", "afsluiten"):
                async with bart.post(f"{url}/staff/overdracht/{waiting.id}/{path}",
                                     data={"csrf": token, "bericht": "hallo"}) as other:
                    assert other.status == 404, path
        assert HandoverQueue.shared().get(waiting.id).state == TALKING  # nobody but An ended it

    serve(monkeypatch, tmp_path, scenario)


# --- a new session after the idle timeout keeps a handed-over conversation paused ------------------


def test_a_new_session_stays_paused_while_a_person_has_it(own_queue):
    from actions.session import ActionSessionStart

    def start(sender):
        tracker = make_tracker("")
        tracker.sender_id = sender
        dispatcher = __import__("rasa_sdk.executor", fromlist=["CollectingDispatcher"]).CollectingDispatcher()
        return [e["event"] for e in asyncio.run(ActionSessionStart().run(dispatcher, tracker, {}))]

    assert start("sock-20") == ["session_started", "action"]
    own_queue.ask("sock-20", "socketio")
    assert start("sock-20") == ["session_started", "pause", "action"]


# --- closing the tab ------------------------------------------------------------------------------


def test_a_citizen_who_closes_the_chat_leaves_the_queue_but_a_reload_does_not(monkeypatch, tmp_path):
    import socketio

    from tests.test_channel_security import Served

    monkeypatch.setenv("STADSLOKET_BOOKINGS_FILE", str(tmp_path / "bookings.sqlite3"))
    monkeypatch.delenv("STADSLOKET_DATABASE_URL", raising=False)
    monkeypatch.setenv("STADSLOKET_HANDOVER_LEAVE_SECONDS", "1")
    monkeypatch.setattr(HandoverQueue, "_shared", {})
    server = Served(monkeypatch, tmp_path)

    async def session(url, requested=None):
        client, confirmed = socketio.AsyncClient(), []
        client.on("session_confirm", lambda session_id: confirmed.append(session_id))
        await client.connect(url, headers={"Origin": url}, transports=["websocket"], socketio_path="/socket.io")
        await client.emit("session_request", {"session_id": requested} if requested else {})
        for _ in range(50):
            if confirmed:
                break
            await asyncio.sleep(0.1)
        return client, confirmed[-1]

    async def scenario():
        async with server as (url, agent, _):
            queue = HandoverQueue.shared()
            leaving, gone_id = await session(url)
            reloading, stays_id = await session(url)
            gone, stays = queue.ask(gone_id, "socketio"), queue.ask(stays_id, "socketio")
            await leaving.disconnect()
            await reloading.disconnect()
            back, _ = await session(url, requested=stays_id)  # the reload: same session, within the grace
            await asyncio.sleep(2.0)
            states = queue.get(gone.id).state, queue.get(stays.id).state
            await back.disconnect()
            return states

    assert asyncio.run(scenario()) == (LEFT, WAITING)
