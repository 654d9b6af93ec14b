"""Reads counters and products from a conversation, trusting nothing the user could type.

Slots can be set by typed payloads ("/ask_opening_days{"counter": "x"}"), so every value is checked
against the catalogue before an answer uses it.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

from rasa_sdk import Tracker

from service_catalogue import Catalogue, Counter, Product

MAX_ECHO = 40  # characters of an unknown value we repeat back


def _first(value: Any) -> Optional[str]:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value.strip() else None


def _lookup(tracker: Tracker, slot: str, table: dict) -> Tuple[Optional[Any], Optional[str]]:
    """(the known entry, or None) and the unknown text that was given instead, if any."""
    value = _first(tracker.get_slot(slot))
    if value is None:
        return None, None
    if value in table:
        return table[value], None
    return None, value[:MAX_ECHO]


def counter_in(tracker: Tracker, catalogue: Catalogue) -> Tuple[Optional[Counter], Optional[str]]:
    return _lookup(tracker, "counter", catalogue.counters)


def product_in(tracker: Tracker, catalogue: Catalogue) -> Tuple[Optional[Product], Optional[str]]:
    return _lookup(tracker, "product", catalogue.products)


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_entity_types(tracker: Tracker) -> set:
    return {e.get("entity") for e in (tracker.latest_message or {}).get("entities", [])}
