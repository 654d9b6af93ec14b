"""The Rasa server's own Dutch answers (limits and faults), worded in actions/texts.nl.yml and
filled with the contact centre from the catalogue, like every other answer."""
from __future__ import annotations

from typing import Any

from actions.texts import render
from service_catalogue import load_catalogue


def server_reply(key: str, **values: Any) -> str:
    centre = load_catalogue().contact_centre
    return render(key, centre=centre.name, phone=centre.phone, **values)
