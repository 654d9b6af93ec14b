"""The staff page as a Rasa input channel: its blueprint adds the /staff routes to Rasa's web app.

It never hands a message to the assistant (practice runs in staff/practice, not through the
dialogue), so nothing a citizen sends on the public channels reaches the staff side, and nothing
of the staff side reaches a citizen's conversation.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from staff.pages import ROOT, StaffPages


class StaffPage(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "staff"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "StaffPage":
        return cls()

    def url_prefix(self) -> Text:
        # Absolute, so Rasa's urljoin("/webhooks/", ...) mounts it at /staff.
        return ROOT

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return StaffPages().blueprint()
