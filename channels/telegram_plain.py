"""Telegram without markup: Rasa sends Telegram plain text (no parse mode), so markdown would
show as asterisks and brackets. Texts and button titles are made plain before sending.

Used in credentials as `channels.telegram_plain.PlainTextTelegramInput`; its webhook stays
/webhooks/telegram/webhook.
"""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa.core.channels.telegram import TelegramInput, TelegramOutput

from channels.plain_text import plain_message


class PlainTextTelegramOutput(TelegramOutput):
    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await super().send_response(recipient_id, plain_message(message))


class PlainTextTelegramInput(TelegramInput):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def get_output_channel(self) -> TelegramOutput:
        channel = super().get_output_channel()  # also registers the webhook with Telegram
        channel.__class__ = PlainTextTelegramOutput
        return channel
