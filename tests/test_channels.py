"""Channels: numbered options for button-less messaging, plain text, and which channels the
server enables from the environment (built as `rasa run` builds it, outbound calls patched)."""
from __future__ import annotations

import asyncio
from unittest import mock

import pytest
from rasa.core.channels.channel import UserMessage

from channels.credentials import compose
from channels.plain_text import OfferedOptions, chosen, numbered, plain
from channels.twilio_numbered import NumberedTwilioInput
from channels.web_socket import DEFAULT_ORIGINS, allowed_origins

BUTTONS = [
    {"title": "Antwerpen-Centrum", "payload": '/inform{"counter": "antwerpen-centrum"}'},
    {"title": "**Berchem**", "payload": '/inform{"counter": "berchem"}'},
]
ALL_CHANNELS = {
    "TELEGRAM_ACCESS_TOKEN": "123456:TEST-TOKEN",
    "TELEGRAM_BOT_NAME": "stadsloket_bot",
    "TELEGRAM_WEBHOOK_URL": "https://example.org/webhooks/telegram/webhook",
    "FACEBOOK_VERIFY": "verify-me",
    "FACEBOOK_SECRET": "app-secret",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "page-token",
    "TWILIO_ACCOUNT_SID": "AC0000000000",
    "TWILIO_AUTH_TOKEN": "twilio-token",
    "TWILIO_NUMBER": "+3231234567",
    "TWILIO_WEBHOOK_URL": "https://example.org/webhooks/twilio/webhook",
}


def test_buttons_become_a_numbered_list():
    assert numbered("Welk loket kies je?", BUTTONS) == (
        "Welk loket kies je?\n1. Antwerpen-Centrum\n2. Berchem"
    )


@pytest.mark.parametrize("reply, payload", [("2", BUTTONS[1]["payload"]), (" 1. ", BUTTONS[0]["payload"]), ("1)", BUTTONS[0]["payload"])])
def test_a_number_reply_selects_that_option(reply, payload):
    assert chosen(reply, BUTTONS) == payload


@pytest.mark.parametrize("reply", ["3", "0", "2 personen", "twee", ""])
def test_other_replies_select_nothing(reply):
    assert chosen(reply, BUTTONS) is None


def test_markup_degrades_to_plain_text():
    assert plain("**Ja**, zie [de site](https://www.antwerpen.be) of _bel_") == (
        "Ja, zie de site (https://www.antwerpen.be) of bel"
    )
    assert plain("03 22 11 333 - loket_berchem") == "03 22 11 333 - loket_berchem"


def test_offered_options_are_per_sender_used_once_and_bounded():
    options = OfferedOptions(max_senders=2)
    options.offer("a", BUTTONS)
    options.offer("b", BUTTONS[:1])
    assert options.resolve("b", "2") is None  # b was offered one option only
    assert options.resolve("a", "2") == BUTTONS[1]["payload"]
    assert options.resolve("a", "2") is None  # used
    options.offer("c", BUTTONS)
    options.offer("d", BUTTONS)
    assert options.resolve("b", "1") is None  # forgotten: only the last two senders are kept


def test_twilio_sends_numbered_options_and_understands_the_number():
    channel = NumberedTwilioInput("AC0000000000", "token", "+3231234567",
                                  webhook_url="https://example.org/webhooks/twilio/webhook")
    output = channel.get_output_channel()
    sent = []

    async def capture(message_data):
        sent.append(message_data)

    with mock.patch.object(type(output), "_send_message", side_effect=capture):
        asyncio.run(output.send_text_with_buttons("+32470000001", "Welk loket?", BUTTONS))
    assert sent[0]["body"] == "Welk loket?\n1. Antwerpen-Centrum\n2. Berchem"
    reply = channel.understood(UserMessage("2", output, "+32470000001"))
    assert reply.text == BUTTONS[1]["payload"]
    assert channel.understood(UserMessage("2", output, "+32470000001")).text == "2"


def test_telegram_gets_plain_text_and_plain_button_titles():
    from channels.telegram_plain import PlainTextTelegramInput

    channel = PlainTextTelegramInput("123456:TEST-TOKEN", "stadsloket_bot", "https://example.org/hook")
    with mock.patch("channels.telegram_plain.register_webhook", new=mock.AsyncMock()):
        output = channel.get_output_channel()
    sent = []

    async def capture(chat_id, text, **kwargs):
        sent.append((text, kwargs.get("reply_markup")))

    with mock.patch.object(type(output), "send_message", side_effect=capture):
        asyncio.run(output.send_response("42", {"text": "**Ja**, zie [de site](https://x.be)"}))
        asyncio.run(output.send_response("42", {"text": "Welk loket?", "buttons": BUTTONS}))
    assert sent[0][0] == "Ja, zie de site (https://x.be)"
    titles = [button.text for row in sent[1][1].inline_keyboard for button in row]
    assert titles == ["Antwerpen-Centrum", "Berchem"]


def _routes(environment, monkeypatch, tmp_path):
    from rasa.core import run
    from sanic import Sanic

    monkeypatch.setattr(Sanic, "test_mode", True)  # one app name, built twice in a session

    text, enabled = compose(environment)
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(text)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    with mock.patch("channels.telegram_plain.register_webhook", new=mock.AsyncMock()):
        channels = run.create_http_input_channels(None, str(credentials))
        app = run.configure_app(channels, enable_api=False)
    return enabled, sorted(c.name() for c in channels), {r.path for r in app.router.routes}


def test_every_channel_is_served_when_its_variables_are_set(monkeypatch, tmp_path):
    enabled, names, routes = _routes(ALL_CHANNELS, monkeypatch, tmp_path)
    assert enabled == ["facebook", "telegram", "twilio"]
    assert names == ["facebook", "rest", "socketio", "staff", "telegram", "twilio"]
    for path in ("webhooks/rest/webhook", "socket.io", "webhooks/telegram/webhook",
                 "webhooks/facebook/webhook", "webhooks/twilio/webhook"):
        assert path in routes
    assert "webhooks/telegram/set_webhook" not in routes


def test_only_rest_and_socket_io_without_variables(monkeypatch, tmp_path):
    for key in ALL_CHANNELS:
        monkeypatch.delenv(key, raising=False)
    partial = {k: v for k, v in ALL_CHANNELS.items() if k != "TWILIO_NUMBER" and not k.startswith(("TELEGRAM", "FACEBOOK"))}
    enabled, names, routes = _routes(partial, monkeypatch, tmp_path)
    assert enabled == [] and names == ["rest", "socketio", "staff"]  # the staff page is always on
    assert not any("telegram" in r or "facebook" in r or "twilio" in r for r in routes)


def test_socket_io_origins_default_to_the_page(monkeypatch):
    monkeypatch.delenv("STADSLOKET_WEB_ORIGINS", raising=False)
    assert allowed_origins() == DEFAULT_ORIGINS.split(",")
    monkeypatch.setenv("STADSLOKET_WEB_ORIGINS", "https://www.antwerpen.be/, https://loket.antwerpen.be")
    assert allowed_origins() == ["https://www.antwerpen.be", "https://loket.antwerpen.be"]
