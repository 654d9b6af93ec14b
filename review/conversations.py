"""Conversations as a reviewer reads them: masked transcripts, the flags a filter selects on, and a
Markdown export.

Read straight from Rasa's `events` table (serving/conversation_store.py says which database), never
through a tracker store: reviewing must not lock, load into memory or change a conversation.
A conversation is shown under a reference made from its sender id, because the id itself can be
personal (a Telegram chat id, a phone number on Twilio).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from privacy.masking import mask_events
from serving.conversation_store import database_url

LOW_CONFIDENCE = 0.6
FALLBACK_ACTIONS = {"action_clarify", "action_default_fallback", "action_two_stage_fallback"}
HANDOFF_ACTIONS = {"action_answer_human_handoff"}
BOOKING_FORM = "booking_form"

# Filters, in the order the page offers them: key -> label.
FILTERS: Dict[str, str] = {
    "persoon": "Vroeg naar een medewerker",
    "niet_begrepen": "Niet begrepen (nlu_fallback)",
    "fallback": "Om verduidelijking gevraagd",
    "afspraak_afgebroken": "Afspraak afgebroken",
    "lage_zekerheid": f"Intentie met zekerheid onder {LOW_CONFIDENCE:.0%}",
}


def reference(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode("utf-8", "replace")).hexdigest()[:12]


@dataclass
class Line:
    at: dt.datetime
    who: str  # "burger", "assistent", "medewerker"
    text: str
    intent: Optional[str] = None
    confidence: Optional[float] = None
    actions: List[str] = field(default_factory=list)


@dataclass
class Conversation:
    ref: str
    started: dt.datetime
    last: dt.datetime
    lines: List[Line]
    flags: Set[str]

    @property
    def messages(self) -> int:
        return sum(1 for line in self.lines if line.who == "burger")


def _moment(timestamp: Any, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(timestamp or 0), zone)


def read(sender_id: str, events: List[Dict[str, Any]], zone: ZoneInfo,
         public_numbers: Iterable[str] = ()) -> Conversation:
    """One conversation from its events: masked lines, and its flags."""
    masked = mask_events(events, public_numbers=public_numbers)
    lines: List[Line] = []
    flags: Set[str] = set()
    booking_open = False
    for event in masked:
        kind = event.get("event")
        at = _moment(event.get("timestamp"), zone)
        if kind == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            name, confidence = intent.get("name"), intent.get("confidence")
            text = event.get("text") or ""
            lines.append(Line(at, "burger", text, name, confidence))
            if name == "nlu_fallback":
                flags.add("niet_begrepen")
            if confidence is not None and confidence < LOW_CONFIDENCE and not text.startswith("/"):
                flags.add("lage_zekerheid")
        elif kind == "bot":
            staff = (event.get("metadata") or {}).get("staff")  # set on what a staff member typed
            lines.append(Line(at, "medewerker" if staff else "assistent", event.get("text") or ""))
        elif kind == "action":
            name = event.get("name") or ""
            if name in FALLBACK_ACTIONS:
                flags.add("fallback")
            if name in HANDOFF_ACTIONS:
                flags.add("persoon")
            if lines and name != "action_listen":
                lines[-1].actions.append(name)
        elif kind == "active_loop":
            booking_open = event.get("name") == BOOKING_FORM
        elif kind == "slot" and event.get("name") == "form_outcome" and event.get("value") == "stopped":
            flags.add("afspraak_afgebroken")
    if booking_open:
        flags.add("afspraak_afgebroken")  # the booking form was still waiting when the citizen left
    times = [_moment(e.get("timestamp"), zone) for e in events if e.get("timestamp")]
    start = min(times) if times else dt.datetime.fromtimestamp(0, zone)
    return Conversation(reference(sender_id), start, max(times) if times else start, lines, flags)


def markdown(conversation: Conversation) -> str:
    """The masked transcript as Markdown, for a report or a ticket."""
    out = [f"# Gesprek {conversation.ref}", "",
           f"- Begonnen: {conversation.started:%d-%m-%Y %H:%M}",
           f"- Laatste bericht: {conversation.last:%d-%m-%Y %H:%M}",
           f"- Kenmerken: {', '.join(FILTERS[f] for f in FILTERS if f in conversation.flags) or 'geen'}", ""]
    for line in conversation.lines:
        said = line.text.replace("\n", "  \n> ")
        read_as = ""
        if line.intent:
            read_as = f" _(gelezen als {line.intent}" + (
                f", {line.confidence:.2f}" if line.confidence is not None else "") + ")_"
        actions = f" → {', '.join(line.actions)}" if line.actions else ""
        out.append(f"**{line.at:%H:%M:%S} {line.who}**{read_as}{actions}  \n> {said}\n")
    return "\n".join(out)


class ConversationArchive:
    """Read-only access to the conversations database."""

    def __init__(self, url: Optional[str] = None):
        self.engine = sa.create_engine(url or database_url(), hide_parameters=True, future=True)
        self.events = sa.Table("events", sa.MetaData(), autoload_with=self.engine)

    def recent(self, limit: int = 200) -> List[str]:
        """Sender ids, the most recently active first."""
        last = sa.func.max(self.events.c.timestamp)
        query = sa.select(self.events.c.sender_id).group_by(self.events.c.sender_id).order_by(last.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(query)]

    def events_of(self, sender_id: str) -> List[Dict[str, Any]]:
        query = sa.select(self.events.c.data).where(self.events.c.sender_id == sender_id).order_by(self.events.c.id)
        with self.engine.connect() as connection:
            return [json.loads(row[0]) for row in connection.execute(query)]

    def conversations(self, zone: ZoneInfo, public_numbers: Iterable[str] = (), limit: int = 200) -> List[Conversation]:
        public = list(public_numbers)
        return [read(sender, self.events_of(sender), zone, public) for sender in self.recent(limit)]

    def find(self, ref: str, zone: ZoneInfo, public_numbers: Iterable[str] = (), limit: int = 1000
             ) -> Optional[Conversation]:
        for sender in self.recent(limit):
            if reference(sender) == ref:
                return read(sender, self.events_of(sender), zone, public_numbers)
        return None
