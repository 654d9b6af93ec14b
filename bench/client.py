"""Talking to a served assistant over the REST channel, as a citizen's client would.

Sequential phases use the blocking `say` (one message in flight, nothing else in the client to
disturb the timing); concurrent phases use `AsyncCitizenClient` on one aiohttp session, so that
50 citizens cost the measuring process one thread rather than 50.
"""
from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp

TIMEOUT_SECONDS = 300


@dataclass
class Reply:
    """One message's outcome: the bot's messages, the time to the last byte, and any error."""

    seconds: float
    messages: List[Dict[str, Any]] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)


def webhook(base_url: str) -> str:
    return f"{base_url}/webhooks/rest/webhook"


def say(base_url: str, sender: str, text: str, timeout: float = TIMEOUT_SECONDS) -> Reply:
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    request = urllib.request.Request(
        webhook(base_url), data=body, headers={"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
        seconds = time.perf_counter() - start
        return Reply(seconds, json.loads(payload or b"[]"))
    except urllib.error.HTTPError as error:
        return Reply(time.perf_counter() - start, error=f"HTTP {error.code}")
    except (OSError, ValueError) as error:
        return Reply(time.perf_counter() - start, error=type(error).__name__)


class AsyncCitizenClient:
    """One shared connection pool for many concurrent conversations."""

    def __init__(self, base_url: str, connections: int):
        self.url = webhook(base_url)
        self.connections = connections
        self.session: Optional[aiohttp.ClientSession] = None

    async def __aenter__(self) -> "AsyncCitizenClient":
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max(self.connections, 1)),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()

    async def say(self, sender: str, text: str) -> Reply:
        start = time.perf_counter()
        try:
            async with self.session.post(self.url, json={"sender": sender, "message": text}) as r:
                payload = await r.read()
                seconds = time.perf_counter() - start
                if r.status != 200:
                    return Reply(seconds, error=f"HTTP {r.status}")
                return Reply(seconds, json.loads(payload or b"[]"))
        except (aiohttp.ClientError, OSError, ValueError, asyncio.TimeoutError) as error:
            return Reply(time.perf_counter() - start, error=type(error).__name__)
