"""Rasa's lock store, chosen by the environment like the other stores (endpoints.yml names
`serving.lock_store.SharedLockStore`):

- STADSLOKET_REDIS_URL set: Rasa's RedisLockStore on that Redis, so that replicas take turns on a
  conversation (two messages of one citizen on two replicas are handled one after the other);
- unset: Rasa's in-memory lock store (one process).

A replica killed while it holds a conversation's ticket leaves it behind until the ticket's
lifetime ends (Rasa's TICKET_LOCK_LIFETIME, 60 s by default): the launcher's cluster sets it
shorter so that the citizen's next message is not held up that long.
"""
from __future__ import annotations

import os
from typing import Any, Dict

REDIS_ENV = "STADSLOKET_REDIS_URL"
KEY_PREFIX = "stadsloket"


def redis_arguments(url: str) -> Dict[str, Any]:
    """RedisLockStore takes host, port, db, username, password and use_ssl, not a URL."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"{REDIS_ENV} must be a redis:// or rediss:// URL")
    path = parts.path.strip("/")
    return dict(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=int(path) if path else 0,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=parts.scheme == "rediss",
        key_prefix=KEY_PREFIX,
        socket_timeout=5,
    )


class SharedLockStore:
    """Not a lock store itself: builds Rasa's Redis or in-memory one (Rasa calls the type named
    in endpoints.yml with `endpoint_config=`)."""

    def __new__(cls, endpoint_config: Any = None, **_: Any):
        from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

        url = os.environ.get(REDIS_ENV)
        if not url:
            return InMemoryLockStore()
        return RedisLockStore(**redis_arguments(url))
