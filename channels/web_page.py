"""Builds the chat page (web/page.html) into a folder with the widget's standalone bundle.

The contact centre's name and number come from the service catalogue, like every fact.

    python -m channels.web_page build/web
"""
from __future__ import annotations

import html
import json
import os
import shutil
import sys
from pathlib import Path

from service_catalogue import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "web" / "page.html"
WIDGET = ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
INIT_PAYLOAD_ENV = "STADSLOKET_WEB_INIT_PAYLOAD"  # what the widget sends when it connects
DEFAULT_INIT_PAYLOAD = "/greet"


def render(socket_port: int = 5005) -> str:
    centre = load_catalogue().contact_centre
    values = {
        "centre": html.escape(centre.name),
        "phone": html.escape(centre.phone),
        "phone_link": "+32" + "".join(ch for ch in centre.phone if ch.isdigit())[1:],
        "init_payload": json.dumps(os.environ.get(INIT_PAYLOAD_ENV) or DEFAULT_INIT_PAYLOAD),
        "socket_port": str(socket_port),
    }
    page = PAGE.read_text(encoding="utf-8")
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", value)
    return page


def build(target: Path, socket_port: int = 5005) -> None:
    """`socket_port`: where the widget finds socket.io (nginx's port in make cluster)."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "index.html").write_text(render(socket_port), encoding="utf-8")
    shutil.copyfile(WIDGET, target / "webchat.js")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "web")
