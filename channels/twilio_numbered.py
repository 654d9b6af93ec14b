"""Twilio (SMS and WhatsApp) with the buttons as a numbered list and number replies understood.

Used in credentials as `channels.twilio_numbered.NumberedTwilioInput`; its webhook stays
/webhooks/twilio/webhook.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint

from channels.plain_text import OfferedOptions, numbered, plain


class NumberedTwilioOutput(TwilioOutput):
    def __init__(self, account_sid, auth_token, twilio_number, options: OfferedOptions) -> None:
        super().__init__(account_sid, auth_token, twilio_number)
        self.options = options

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await super().send_text_message(recipient_id, plain(text), **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        self.options.offer(recipient_id, buttons)
        await super().send_text_message(recipient_id, numbered(text, buttons), **kwargs)


class NumberedTwilioInput(TwilioInput):
    @classmethod
    def name(cls) -> Text:
        return "twilio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = OfferedOptions()

    def understood(self, message: UserMessage) -> UserMessage:
        """A reply of just a number becomes the payload of the option it numbers."""
        payload = self.options.resolve(message.sender_id, message.text or "")
        if payload is not None:
            message.text = payload
        return message

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_choices(message: UserMessage) -> Any:
            return await on_new_message(self.understood(message))

        return super().blueprint(with_choices)

    def get_output_channel(self) -> NumberedTwilioOutput:
        return NumberedTwilioOutput(
            self.account_sid, self.auth_token, self.twilio_number, self.options
        )
