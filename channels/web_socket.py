"""Rasa's socket.io channel for the web widget, accepting only the configured page origins.

Rasa 3.6 creates its socket.io server with the origin check switched off; this subclass sets
the allowed origins from STADSLOKET_WEB_ORIGINS (comma-separated), by default the page that
`make run` serves. Used in credentials as `channels.web_socket.WebSocketChannel`.
"""
from __future__ import annotations

import os
from typing import Any, Awaitable, Callable, List, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

ORIGINS_ENV = "STADSLOKET_WEB_ORIGINS"
DEFAULT_ORIGINS = "http://localhost:8080,http://127.0.0.1:8080"


def allowed_origins() -> List[str]:
    value = os.environ.get(ORIGINS_ENV) or DEFAULT_ORIGINS
    return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]


class WebSocketChannel(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        self.sio.eio.cors_allowed_origins = allowed_origins()
        return blueprint
