"""Facebook Messenger: only calls signed by Meta with the app secret.

Meta signs each webhook call with HMAC-SHA256 of the body under the app secret, in
X-Hub-Signature-256. Rasa checks only the older SHA-1 header, lets the caller pick the hash
function, and answers a bad signature with HTTP 200. Here a call without a valid
X-Hub-Signature-256 gets 403 before Rasa sees it; a retried delivery (same body) is handled once.

Used in credentials as `channels.facebook_signed.SignedFacebookInput`; its webhook stays
/webhooks/facebook/webhook.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.facebook import FacebookInput
from sanic import Blueprint
from sanic.request import Request

from channels.webhook_check import only_genuine_posts
from serving.message_guard import DELIVERY_KEY

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_of(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SignedFacebookInput(FacebookInput):
    @classmethod
    def name(cls) -> Text:
        return "facebook"

    def signed(self, request: Request) -> bool:
        given = request.headers.get(SIGNATURE_HEADER) or ""
        expected = signature_of(self.fb_secret or "", request.body or b"")
        return bool(self.fb_secret) and hmac.compare_digest(given.encode(), expected.encode())

    @staticmethod
    def validate_hub_signature(app_secret: Text, request_payload: bytes, hub_signature_header: Text) -> bool:
        """Rasa's SHA-1 check, which Meta is phasing out: `only_signed` below has already
        checked the SHA-256 signature of every POST before Rasa's handler runs."""
        return True

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return {DELIVERY_KEY: "facebook:" + hashlib.sha256(request.body or b"").hexdigest()[:32]}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)

        return only_genuine_posts(blueprint, self.signed, "Messenger")
