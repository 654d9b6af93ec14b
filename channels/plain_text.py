"""Answers for channels that show neither buttons nor markup (SMS, WhatsApp via Twilio).

Buttons become a numbered list under the text, and a reply of just that number selects the
option, as a click on the button would. Markdown (bold, links) becomes plain text.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_NUMBER_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def plain(text: str) -> str:
    """'**Ja**, zie [de site](https://x.be)' -> 'Ja, zie de site (https://x.be)'."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text or "")
    return _EMPHASIS.sub(lambda m: m.group(2), text)


def plain_message(message: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a bot message with its text and button titles in plain text."""
    copy = dict(message)
    if copy.get("text"):
        copy["text"] = plain(copy["text"])
    if copy.get("buttons"):
        copy["buttons"] = [{**b, "title": plain(b.get("title", ""))} for b in copy["buttons"]]
    return copy


def numbered(text: str, buttons: List[Dict[str, str]]) -> str:
    lines = [plain(text)] + [f"{i}. {plain(b.get('title', ''))}" for i, b in enumerate(buttons, 1)]
    return "\n".join(lines)


def chosen(reply: str, buttons: List[Dict[str, str]]) -> Optional[str]:
    """The payload of the option whose number is the whole reply, else None."""
    match = _NUMBER_REPLY.match(reply or "")
    if not match:
        return None
    index = int(match.group(1)) - 1
    return buttons[index].get("payload") if 0 <= index < len(buttons) else None


class OfferedOptions:
    """The last options offered to each sender, kept in memory (bounded) by the channel."""

    def __init__(self, max_senders: int = 10_000):
        self._by_sender: "OrderedDict[str, List[Dict[str, str]]]" = OrderedDict()
        self._max = max_senders
        self._lock = threading.Lock()

    def offer(self, sender: str, buttons: List[Dict[str, str]]) -> None:
        with self._lock:
            self._by_sender[sender] = list(buttons)
            self._by_sender.move_to_end(sender)
            while len(self._by_sender) > self._max:
                self._by_sender.popitem(last=False)

    def resolve(self, sender: str, reply: str) -> Optional[str]:
        """The payload a number reply stands for; the options are used once."""
        with self._lock:
            payload = chosen(reply, self._by_sender.get(sender, []))
            if payload is not None:
                self._by_sender.pop(sender, None)
            return payload
