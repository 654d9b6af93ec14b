"""Telegram: only Telegram's own webhook calls, plain text, a retried update handled once.

- Rasa registers the webhook without a secret and serves an open /set_webhook route. Here the
  webhook is registered through the Bot API's setWebhook with a `secret_token` (aiogram 2.15
  cannot send one), Telegram then sends it back in X-Telegram-Bot-Api-Secret-Token on every
  call, and a call without the right one gets 403. The secret is derived from the bot's access
  token, so every replica computes the same one and no extra setting is needed.
  /set_webhook is not served.
- Rasa sends Telegram plain text (no parse mode), so markdown would show as asterisks and
  brackets: texts and button titles are made plain before sending.

Used in credentials as `channels.telegram_plain.PlainTextTelegramInput`; its webhook stays
/webhooks/telegram/webhook.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint
from sanic.request import Request

from channels.webhook_check import only_genuine_posts
from channels.plain_text import plain_message
from serving.message_guard import DELIVERY_KEY

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(access_token: str) -> str:
    """1-256 characters of A-Z, a-z, 0-9, _ and -, as the Bot API requires."""
    return hmac.new(access_token.encode(), b"stadsloket telegram webhook", hashlib.sha256).hexdigest()


async def register_webhook(bot: TelegramOutput, url: str, secret: str) -> Any:
    return await bot.request("setWebhook", {"url": url, "secret_token": secret})


class PlainTextTelegramOutput(TelegramOutput):
    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await super().send_response(recipient_id, plain_message(message))


class PlainTextTelegramInput(TelegramInput):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("debug_mode", False)
        super().__init__(*args, **kwargs)
        self.secret = webhook_secret(self.access_token or "")

    def from_telegram(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER) or ""
        return hmac.compare_digest(given.encode(), self.secret.encode())

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        update = body.get("update_id")
        return {DELIVERY_KEY: f"telegram:{update}"} if update is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        # Anyone could make the server re-register its webhook: not served.
        blueprint._future_routes = {
            route for route in blueprint._future_routes if not route.uri.rstrip("/").endswith("set_webhook")
        }

        return only_genuine_posts(blueprint, self.from_telegram, "Telegram")

    def get_output_channel(self) -> TelegramOutput:
        channel = PlainTextTelegramOutput(self.access_token)
        try:
            asyncio.run(register_webhook(channel, self.webhook_url, self.secret))
        except Exception as error:  # noqa: BLE001 - aiogram and network errors alike
            raise RuntimeError(f"Telegram webhook could not be registered: {type(error).__name__}") from None
        return channel
