"""Twilio (SMS and WhatsApp): signed requests only, buttons as a numbered list, number replies
understood, and a retried delivery handled once.

Twilio signs every webhook call with the account's auth token (X-Twilio-Signature over the URL
it called and the form fields). Rasa checks nothing, so anyone could post messages in a
citizen's name; here a request whose signature does not match gets 403. The signature is checked
against the public URL configured in Twilio (`webhook_url`, TWILIO_WEBHOOK_URL), never the URL
the request arrived on behind a proxy.

Used in credentials as `channels.twilio_numbered.NumberedTwilioInput`; its webhook stays
/webhooks/twilio/webhook.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint
from sanic.request import Request
from twilio.request_validator import RequestValidator

from channels.webhook_check import only_genuine_posts
from channels.plain_text import OfferedOptions, numbered, plain
from serving.message_guard import DELIVERY_KEY

SIGNATURE_HEADER = "X-Twilio-Signature"


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

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("account_sid"),
            credentials.get("auth_token"),
            credentials.get("twilio_number"),
            webhook_url=credentials.get("webhook_url"),
        )

    def __init__(self, *args: Any, webhook_url: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.setdefault("debug_mode", False)
        super().__init__(*args, **kwargs)
        if not webhook_url:
            raise ValueError("Twilio needs webhook_url (TWILIO_WEBHOOK_URL) to check signatures")
        self.webhook_url = webhook_url
        self.options = OfferedOptions()

    def signed(self, request: Request) -> bool:
        """The request is Twilio's: its signature matches the public URL and the form fields."""
        signature = request.headers.get(SIGNATURE_HEADER) or ""
        fields = {key: values[0] for key, values in (request.form or {}).items()}
        url = self.webhook_url
        if request.query_string:
            url = f"{url}?{request.query_string}"
        return bool(signature) and RequestValidator(self.auth_token).validate(url, fields, signature)

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        sid = request.form.get("MessageSid") if request.form else None
        return {DELIVERY_KEY: f"twilio:{sid}"} if sid else None

    def understood(self, message: UserMessage) -> UserMessage:
        """A reply of just a number becomes the payload of the option it numbers."""
        payload = self.options.resolve(message.sender_id, message.text or "")
        if payload is not None:
            message.text = payload
        return message

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_choices(message: UserMessage) -> Any:
            return await on_new_message(self.understood(message))

        blueprint = super().blueprint(with_choices)

        return only_genuine_posts(blueprint, self.signed, "Twilio")

    def get_output_channel(self) -> NumberedTwilioOutput:
        return NumberedTwilioOutput(
            self.account_sid, self.auth_token, self.twilio_number, self.options
        )
