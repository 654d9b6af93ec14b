"""The Dutch wording of answers (texts.nl.yml), filled with facts from the catalogue.

Kept out of domain.yml because these texts are only ever sent by actions; the domain keeps the
small talk that rules send directly.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional

import yaml

if TYPE_CHECKING:  # rendering needs no Rasa: bookings.rules and the Rasa server render too
    from rasa_sdk.executor import CollectingDispatcher

TEXTS_FILE = Path(__file__).with_name("texts.nl.yml")


@functools.lru_cache(maxsize=1)
def texts() -> Dict[str, str]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def render(key: str, **values: Any) -> str:
    """The text for `key`; a missing placeholder value is a programming error and raises."""
    return texts()[key].format_map(values)


def say(
    dispatcher: "CollectingDispatcher",
    key: str,
    buttons: Optional[List[Dict[str, str]]] = None,
    **values: Any,
) -> None:
    dispatcher.utter_message(text=render(key, **values), buttons=buttons or [])


def appointment_note(catalogue, day) -> str:
    """' Maak eerst een afspraak ...' while the catalogue's measures require one on `day`, else ''."""
    measures = catalogue.measures
    return " " + render("appointment_note") if measures.appointment_only and measures.covers(day) else ""


def send(dispatcher: "CollectingDispatcher", sentences: Iterable[Optional[str]]) -> None:
    """One message made of several rendered sentences; nothing when there are none."""
    text = " ".join(s for s in sentences if s)
    if text:
        dispatcher.utter_message(text=text)
