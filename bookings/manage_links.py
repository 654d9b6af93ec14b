"""The secret in a booking's manage link: 256 random bits, kept by the store only as a hash.

The link puts the token in the URL fragment (`#afspraak=…`), which browsers never send to a
server, so it stays out of access logs. The message guard replaces it by its hash before Rasa
sees the message: neither a conversation nor a log ever holds the token itself.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from typing import Optional

TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128
FRAGMENT_KEY = "afspraak"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
# A link pasted into the chat, also percent-encoded, cut short or with text glued on: whatever
# follows `afspraak=` is taken (and hidden), a token or not.
_IN_TEXT = re.compile(r"(?:#|%%23)%s(?:=|%%3D)([A-Za-z0-9_-]{8,})" % FRAGMENT_KEY, re.IGNORECASE)
_HASH = re.compile(r"^[0-9a-f]{64}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the store keeps and the conversation carries."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(text: str) -> bool:
    return bool(_TOKEN.match(text or ""))


def looks_like_hash(text: str) -> bool:
    return bool(_HASH.match(text or ""))


def token_in_text(text: str) -> Optional[str]:
    """A manage link pasted into the chat ("…/#afspraak=Xy…"): its token (the first 43
    characters when more are glued on), or what stands in its place; a bare token alone too."""
    match = _IN_TEXT.search(text or "")
    if match:
        return match.group(1)[:43] if len(match.group(1)) >= 43 else match.group(1)
    stripped = (text or "").strip()
    return stripped if looks_like_token(stripped) else None


def link(base_url: str, token: str) -> str:
    return f"{base_url.split('#')[0]}#{FRAGMENT_KEY}={token}"
