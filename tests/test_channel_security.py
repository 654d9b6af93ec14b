"""Forged and oversized requests at the Rasa server's doors, over real HTTP and socket.io.

The server is built as `python -m serving run` builds it (Rasa's configure_app with every channel
of the credentials, then serving.http_guard), on a free port of 127.0.0.1. Instead of the
trained model, a stand-in agent records what gets through the message guard, so each door is
tested on its own and quickly; tests/test_served_faults.py runs the real thing.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from unittest import mock

import aiohttp
import socketio
from rasa.core.channels.channel import UserMessage
from twilio.request_validator import RequestValidator

from channels.credentials import compose
from channels.facebook_signed import signature_of
from channels.telegram_plain import SECRET_HEADER, webhook_secret
from channels.web_socket import is_random_session_id, session_id_for
from serving import http_guard
from serving.message_guard import MessageGuard
from serving.rate_limits import Limit, MemoryCounter, RateLimits
from tests.conftest import free_port
from tests.test_channels import ALL_CHANNELS

TWILIO_URL = ALL_CHANNELS["TWILIO_WEBHOOK_URL"]
TELEGRAM_TOKEN = ALL_CHANNELS["TELEGRAM_ACCESS_TOKEN"]
FB_SECRET = ALL_CHANNELS["FACEBOOK_SECRET"]


class StandInAgent:
    """Rasa's agent as far as the channels can tell: the real message guard, then a recorder."""

    def __init__(self, guard: MessageGuard):
        self.guard, self.seen = guard, []

    async def handle_message(self, message: UserMessage):
        return await self.guard.handle(self._record, self, message)

    async def _record(self, _agent, message: UserMessage):
        self.seen.append(message)
        if message.input_channel in ("rest", "socketio"):  # never call out to a real platform
            await message.output_channel.send_response(message.sender_id, {"text": f"ok: {message.text}"})
        channel = message.output_channel
        return getattr(channel, "messages", None)


class Served:
    """The server built (outside any event loop, as Rasa builds it before serving); `async with`
    serves it on its port for the length of a scenario."""

    def __init__(self, monkeypatch, tmp_path, per_sender="30/60", per_address="120/60", max_bytes=None):
        from rasa.core import run
        from sanic import Sanic

        monkeypatch.setattr(Sanic, "test_mode", True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**ALL_CHANNELS, "STADSLOKET_WEB_ORIGINS": self.url}
        if max_bytes:
            environment["STADSLOKET_MAX_REQUEST_BYTES"] = str(max_bytes)
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        text, _ = compose(environment)
        credentials = tmp_path / "credentials.yml"
        credentials.write_text(text)
        self.register = mock.AsyncMock(return_value=True)
        with mock.patch("channels.telegram_plain.register_webhook", new=self.register):
            channels = run.create_http_input_channels(None, str(credentials))
            self.app = run.configure_app(channels, enable_api=False)
        http_guard.guard_app(self.app)
        limits = RateLimits(MemoryCounter(), Limit.parse(per_sender, ""), Limit.parse(per_address, ""))
        self.agent = StandInAgent(MessageGuard(limits, 1000))
        self.app.ctx.agent = self.agent
        self.server = None

    async def __aenter__(self):
        self.server = await self.app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
        )
        await self.server.startup()
        return self.url, self.agent, self.register

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()


def run(coroutine):
    return asyncio.run(coroutine)


# --- Twilio --------------------------------------------------------------------------------------


def twilio_form(sid="SM0001", body="Wanneer is Berchem open?"):
    return {"From": "+32470000001", "To": ALL_CHANNELS["TWILIO_NUMBER"], "Body": body, "MessageSid": sid}


def twilio_signature(form, url=TWILIO_URL, token=ALL_CHANNELS["TWILIO_AUTH_TOKEN"]):
    return RequestValidator(token).compute_signature(url, form)


def test_twilio_accepts_only_signed_calls_and_a_retry_once(monkeypatch, tmp_path):
    server = Served(monkeypatch, tmp_path)

    async def scenario():
        async with server as (url, agent, _):
            hook = f"{url}/webhooks/twilio/webhook"
            form = twilio_form()
            async with aiohttp.ClientSession() as http:
                statuses = []
                for headers in ({}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
                                {"X-Twilio-Signature": twilio_signature(form, url=hook)},  # URL behind the proxy
                                {"X-Twilio-Signature": twilio_signature(form, token="another-token")}):
                    async with http.post(hook, data=form, headers=headers) as r:
                        statuses.append(r.status)
                forged_seen = len(agent.seen)
                signed = {"X-Twilio-Signature": twilio_signature(form)}
                for _ in range(2):  # Twilio retries the same message
                    async with http.post(hook, data=form, headers=signed) as r:
                        statuses.append(r.status)
                tampered = dict(form, Body="iets anders")
                async with http.post(hook, data=tampered, headers=signed) as r:
                    statuses.append(r.status)
            return statuses, forged_seen, [m.text for m in agent.seen]

    statuses, forged_seen, texts = run(scenario())
    assert statuses == [403, 403, 403, 403, 204, 204, 403]
    assert forged_seen == 0
    assert texts == ["Wanneer is Berchem open?"]  # once, though delivered twice


# --- Telegram ------------------------------------------------------------------------------------


def telegram_update(update_id=5001, text="Is Deurne open op maandag?"):
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7, "date": 1764300000, "text": text,
            "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "is_bot": False, "first_name": "Test"},
        },
    }


def test_telegram_registers_a_secret_and_refuses_calls_without_it(monkeypatch, tmp_path):
    from channels.telegram_plain import PlainTextTelegramOutput

    me = mock.AsyncMock(return_value=mock.Mock(username=ALL_CHANNELS["TELEGRAM_BOT_NAME"]))
    server = Served(monkeypatch, tmp_path)

    async def scenario():
        with mock.patch.object(PlainTextTelegramOutput, "get_me", new=me):
            async with server as (url, agent, register):
                hook = f"{url}/webhooks/telegram/webhook"
                secret = webhook_secret(TELEGRAM_TOKEN)
                statuses = []
                async with aiohttp.ClientSession() as http:
                    for headers in ({}, {SECRET_HEADER: "raden"}, {SECRET_HEADER: secret[:-1]}):
                        async with http.post(hook, json=telegram_update(), headers=headers) as r:
                            statuses.append(r.status)
                    forged_seen = len(agent.seen)
                    for _ in range(2):
                        async with http.post(hook, json=telegram_update(), headers={SECRET_HEADER: secret}) as r:
                            statuses.append(r.status)
                    async with http.get(f"{url}/webhooks/telegram/set_webhook") as r:
                        statuses.append(r.status)
                    async with http.post(f"{url}/webhooks/telegram/set_webhook", headers={SECRET_HEADER: secret}) as r:
                        statuses.append(r.status)
                return statuses, forged_seen, [m.text for m in agent.seen], register.await_args

    statuses, forged_seen, texts, registered = run(scenario())
    assert statuses == [403, 403, 403, 200, 200, 404, 404]
    assert forged_seen == 0 and texts == ["Is Deurne open op maandag?"]
    _bot, url, secret = registered.args
    assert url == ALL_CHANNELS["TELEGRAM_WEBHOOK_URL"] and secret == webhook_secret(TELEGRAM_TOKEN)
    assert secret != TELEGRAM_TOKEN and len(secret) == 64


# --- Messenger -----------------------------------------------------------------------------------


def messenger_body(text="Kan ik een rijbewijs thuis laten leveren?"):
    return json.dumps({
        "object": "page",
        "entry": [{"id": "1", "time": 1764300000, "messaging": [{
            "sender": {"id": "9001"}, "recipient": {"id": "1"}, "timestamp": 1764300000,
            "message": {"mid": "m_1", "text": text},
        }]}],
    }).encode()


def test_messenger_accepts_only_calls_signed_with_the_app_secret(monkeypatch, tmp_path):
    server = Served(monkeypatch, tmp_path)

    async def scenario():
        with mock.patch("rasa.core.channels.facebook.MessengerBot.send_action", new=mock.AsyncMock()):
            async with server as (url, agent, _):
                hook = f"{url}/webhooks/facebook/webhook"
                body = messenger_body()
                sha1 = "sha1=" + hmac.new(FB_SECRET.encode(), body, hashlib.sha1).hexdigest()
                statuses = []
                async with aiohttp.ClientSession() as http:
                    for headers in ({}, {"X-Hub-Signature": sha1},  # the old header alone is not enough
                                    {"X-Hub-Signature-256": signature_of("wrong-secret", body)},
                                    {"X-Hub-Signature-256": signature_of(FB_SECRET, body + b" ")}):
                        async with http.post(hook, data=body, headers={"Content-Type": "application/json", **headers}) as r:
                            statuses.append(r.status)
                    forged_seen = len(agent.seen)
                    signed = {"Content-Type": "application/json", "X-Hub-Signature-256": signature_of(FB_SECRET, body)}
                    for _ in range(2):
                        async with http.post(hook, data=body, headers=signed) as r:
                            statuses.append(r.status)
                return statuses, forged_seen, [m.text for m in agent.seen]

    statuses, forged_seen, texts = run(scenario())
    assert statuses == [403, 403, 403, 403, 200, 200]
    assert forged_seen == 0 and texts == ["Kan ik een rijbewijs thuis laten leveren?"]


# --- REST ----------------------------------------------------------------------------------------


def test_rest_refuses_a_huge_message_politely_and_an_oversized_request(monkeypatch, tmp_path):
    server = Served(monkeypatch, tmp_path, max_bytes=300_000)

    async def scenario():
        async with server as (url, agent, _):
            hook = f"{url}/webhooks/rest/webhook"
            async with aiohttp.ClientSession() as http:
                async with http.post(hook, json={"sender": "a", "message": "Berchem? " * 22_223}) as r:
                    long_reply = (r.status, await r.json())
                async with http.post(hook, json={"sender": "a", "message": "x" * 400_000}) as r:
                    oversized = r.status
                async with http.post(hook, json={"sender": "a", "message": "Wanneer is Berchem open?"}) as r:
                    normal = await r.json()
            return long_reply, oversized, normal, [m.text for m in agent.seen]

    (status, long_reply), oversized, normal, seen = run(scenario())
    assert status == 200 and "te lang" in long_reply[0]["text"]
    assert oversized == 413
    assert normal[0]["text"] == "ok: Wanneer is Berchem open?"
    assert seen == ["Wanneer is Berchem open?"]


def test_rest_refuses_what_is_not_a_message(monkeypatch, tmp_path):
    server = Served(monkeypatch, tmp_path)

    async def scenario():
        async with server as (url, agent, _):
            hook = f"{url}/webhooks/rest/webhook"
            answers = []
            async with aiohttp.ClientSession() as http:
                for body in (b"not json", b"[1, 2]", json.dumps({"sender": "a"}).encode(),
                             json.dumps({"sender": "a", "message": {"intent": "book_appointment"}}).encode(),
                             json.dumps({"sender": {"id": 1}, "message": "hallo"}).encode(),
                             json.dumps({"sender": "a", "message": "hallo", "metadata": "x"}).encode()):
                    async with http.post(hook, data=body, headers={"Content-Type": "application/json"}) as r:
                        answers.append((r.status, await r.json()))
            return answers, agent.seen

    answers, seen = run(scenario())
    assert all(status == 400 and "kan ik niet verwerken" in body[0]["text"] for status, body in answers), answers
    assert seen == []


def test_rest_rate_limit_per_client_address(monkeypatch, tmp_path):
    server = Served(monkeypatch, tmp_path, per_sender="100/60", per_address="3/60")

    async def scenario():
        async with server as (url, agent, _):
            hook = f"{url}/webhooks/rest/webhook"
            replies = []
            async with aiohttp.ClientSession() as http:
                for n in range(5):  # a new sender id each time does not get round the address limit
                    async with http.post(hook, json={"sender": f"s{n}", "message": "hallo"}) as r:
                        replies.append([m["text"] for m in await r.json()])
            return replies, len(agent.seen)

    replies, seen = run(scenario())
    assert replies[:3] == [["ok: hallo"]] * 3
    assert "Wacht even" in replies[3][0] and replies[4] == []
    assert seen == 3


# --- socket.io -----------------------------------------------------------------------------------


def test_session_ids_are_random_or_issued_by_the_server():
    issued = uuid.uuid4()
    assert is_random_session_id(issued.hex) and is_random_session_id(str(issued))
    for chosen in ("admin", "1", "0" * 32, uuid.uuid1().hex, str(uuid.uuid5(uuid.NAMESPACE_DNS, "x")),
                   issued.hex + "x", None, 42, {"id": 1}):
        assert not is_random_session_id(chosen)
        assert session_id_for(chosen) != chosen and is_random_session_id(session_id_for(chosen))
    assert session_id_for(issued.hex) == issued.hex


def test_a_socket_cannot_choose_or_borrow_a_conversation(monkeypatch, tmp_path):
    server = Served(monkeypatch, tmp_path)

    async def scenario():
        async with server as (url, agent, _):
            confirmed, bot = {}, []
            client = socketio.AsyncClient()

            @client.on("session_confirm")
            async def on_confirm(session_id):
                confirmed.setdefault("ids", []).append(session_id)

            @client.on("bot_uttered")
            async def on_bot(message):
                bot.append(message.get("text"))

            await client.connect(url, headers={"Origin": url}, transports=["websocket"],
                                 socketio_path="/socket.io")
            await client.emit("session_request", {"session_id": "victim-session"})
            await asyncio.sleep(0.5)
            given = confirmed["ids"][-1]
            await client.emit("user_uttered", {"message": "in andermans gesprek", "session_id": "victim-session"})
            await client.emit("user_uttered", {"message": "in mijn gesprek", "session_id": given})
            await asyncio.sleep(1.0)
            await client.disconnect()
            return given, bot, [(m.sender_id, m.text) for m in agent.seen]

    given, bot, seen = run(scenario())
    assert given != "victim-session" and is_random_session_id(given)
    assert seen == [(given, "in mijn gesprek")]
    assert bot == ["ok: in mijn gesprek"]
