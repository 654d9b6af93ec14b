"""Rate limits per sender and per client address, in memory or on Redis.

A fixed window per key ("sender:<id>", "address:<ip>"): at most `limit` messages per `window`
seconds. In memory by default (one Rasa process); on Redis when STADSLOKET_REDIS_URL is set, so
several replicas count together. The first refusal of a window is reported as such, so the
citizen is told once and the server does not answer every further message of a flood.

Configured as "messages/seconds": STADSLOKET_RATE_PER_SENDER (default 30/60) and
STADSLOKET_RATE_PER_ADDRESS (default 120/60); "off" switches a limit off.
"""
from __future__ import annotations

import enum
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

log = logging.getLogger(__name__)

SENDER_ENV = "STADSLOKET_RATE_PER_SENDER"
ADDRESS_ENV = "STADSLOKET_RATE_PER_ADDRESS"
REDIS_ENV = "STADSLOKET_REDIS_URL"
DEFAULT_SENDER = "30/60"
DEFAULT_ADDRESS = "120/60"
MAX_KEYS = 100_000  # memory counter: the oldest windows are forgotten beyond this


class Decision(enum.Enum):
    ALLOWED = "allowed"
    REFUSED_FIRST = "refused_first"  # the first refusal of this window: tell the citizen
    REFUSED = "refused"  # later refusals: stay silent


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: Optional[str], default: str) -> Optional["Limit"]:
        """'30/60' → 30 per 60 s; 'off' → None. A malformed value is a start-up error."""
        value = (text or default).strip().lower()
        if value in ("off", "0", "none"):
            return None
        count, _, seconds = value.partition("/")
        try:
            limit = cls(int(count), int(seconds or 60))
        except ValueError:
            raise ValueError(f"a rate limit is 'messages/seconds' or 'off', not {text!r}") from None
        if limit.count < 1 or limit.seconds < 1:
            raise ValueError(f"a rate limit needs positive numbers, not {text!r}")
        return limit


def _decide(count: int, limit: Limit) -> Decision:
    if count <= limit.count:
        return Decision.ALLOWED
    return Decision.REFUSED_FIRST if count == limit.count + 1 else Decision.REFUSED


class MemoryCounter:
    """Counts per key and window in this process; bounded in size."""

    def __init__(self, clock: Callable[[], float] = time.time, max_keys: int = MAX_KEYS):
        self._clock = clock
        self._max_keys = max_keys
        self._counts: "OrderedDict[Tuple[str, int], int]" = OrderedDict()

    async def hit(self, key: str, limit: Limit) -> Decision:
        window = int(self._clock() // limit.seconds)
        slot = (key, window)
        count = self._counts.pop(slot, 0) + 1
        self._counts[slot] = count
        while len(self._counts) > self._max_keys:
            self._counts.popitem(last=False)
        return _decide(count, limit)

    async def claim(self, key: str, seconds: int) -> bool:
        """True the first time `key` is claimed within `seconds`."""
        now = self._clock()
        slot = (key, -1)
        expires = self._counts.get(slot)
        if expires is not None and expires > now:
            return False
        self._counts[slot] = now + seconds
        while len(self._counts) > self._max_keys:
            self._counts.popitem(last=False)
        return True


class RedisCounter:
    """The same counts on Redis (INCR + EXPIRE in one round trip), shared by replicas."""

    def __init__(self, url: str, prefix: str = "stadsloket:rate:", clock: Callable[[], float] = time.time):
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._clock = clock

    async def hit(self, key: str, limit: Limit) -> Decision:
        window = int(self._clock() // limit.seconds)
        name = f"{self._prefix}{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(name).expire(name, limit.seconds * 2).execute()
        return _decide(int(count), limit)

    async def claim(self, key: str, seconds: int) -> bool:
        return bool(await self._redis.set(f"{self._prefix}{key}", 1, nx=True, ex=seconds))

    async def close(self) -> None:
        await self._redis.close()


class RateLimits:
    """The two limits over one counter. A counter that fails lets the message through: a Redis
    outage must not silence the assistant (it is logged)."""

    def __init__(self, counter, per_sender: Optional[Limit], per_address: Optional[Limit]):
        self.counter = counter
        self.per_sender = per_sender
        self.per_address = per_address

    @classmethod
    def from_environment(cls) -> "RateLimits":
        url = os.environ.get(REDIS_ENV)
        counter = RedisCounter(url) if url else MemoryCounter()
        return cls(
            counter,
            Limit.parse(os.environ.get(SENDER_ENV), DEFAULT_SENDER),
            Limit.parse(os.environ.get(ADDRESS_ENV), DEFAULT_ADDRESS),
        )

    async def _hit(self, key: str, limit: Optional[Limit]) -> Decision:
        if limit is None:
            return Decision.ALLOWED
        try:
            return await self.counter.hit(key, limit)
        except Exception as error:  # noqa: BLE001 - any counter failure: let the message through
            log.error("rate limit counter unavailable (%s); message let through", type(error).__name__)
            return Decision.ALLOWED

    async def check_sender(self, sender_id: str) -> Decision:
        return await self._hit(f"sender:{sender_id}", self.per_sender)

    async def claim_once(self, key: str, seconds: int) -> bool:
        """A delivery seen for the first time; a failing counter counts every one as new."""
        try:
            return await self.counter.claim(key, seconds)
        except Exception as error:  # noqa: BLE001
            log.error("delivery check unavailable (%s); message let through", type(error).__name__)
            return True

    async def check_address(self, address: Optional[str]) -> Decision:
        if not address:
            return Decision.ALLOWED
        return await self._hit(f"address:{address}", self.per_address)
