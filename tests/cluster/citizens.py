"""Simulated citizens who book an appointment through nginx, over REST or socket.io, and behave
as a person at a chat would: they answer what the assistant asks (recognised by the wording it
came from, actions/texts.nl.yml), take the first offered day or hour when theirs is gone, and
when something goes wrong (an apology, an error page, no answer) they wait a moment and send the
same message again. Each comes from an address of its own (127.0.1.x), as citizens do, so the
per-address rate limit and the balancer see many clients.

What each saw is kept for the test: the turns, the faults met, the confirmation and its code.
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import socketio

from bookings.reference_codes import ALPHABET
from tests.conftest import text_key

CODE = re.compile(rf"referentiecode is ([{ALPHABET}]{{6}})")
# Answers that say the assistant could not help right now: the citizen tries again.
APOLOGIES = {"action_server_unavailable", "technical_problem", "conversation_store_unavailable",
             "store_unavailable", "rate_limited"}
ASKS_NAME = {"booking_ask_name", "booking_name_invalid"}
ASKS_CONTACT = {"booking_ask_contact", "booking_contact_invalid"}
RETRY_PAUSE = (0.5, 1.5)
TURN_SECONDS = 45  # REST request, or socket.io wait for a first answer
QUIET_SECONDS = 1.2  # socket.io: the turn's answers are in when nothing came for this long
# socket.io: after the connection was lost and made again while waiting, the answer may still come
# (the conversation went on elsewhere); after this long the citizen types the message again.
AFTER_RECONNECT_SECONDS = 5


@dataclass
class Plan:
    """What a citizen wants and who they are."""

    number: int
    channel: str  # "rest" or "socketio"
    counter: str  # as typed, e.g. "Berchem"
    day_label: str  # e.g. "dinsdag 8 december"
    hour: str  # e.g. "10u15"
    name: str
    contact: str

    @property
    def address(self) -> str:
        return f"127.0.{1 + self.number // 250}.{1 + self.number % 250}"

    @property
    def opening(self) -> str:
        return f"Ik wil een afspraak maken voor een rijbewijs in {self.counter} op {self.day_label} om {self.hour}"


@dataclass
class Turn:
    sent: str
    keys: List[Optional[str]]
    fault: Optional[str]  # "http 502", "no answer", "apology:<key>", ... or None
    started: float
    seconds: float


@dataclass
class Outcome:
    plan: Plan
    sender: Optional[str] = None
    turns: List[Turn] = field(default_factory=list)
    code: Optional[str] = None
    confirmation: Optional[str] = None
    unexpected: List[str] = field(default_factory=list)
    gave_up: Optional[str] = None
    # Their "ja" met a fault and the next answer was no longer the summary: the booking may have
    # been made with its confirmation lost on the way (checked against the database).
    confirmation_lost: bool = False

    @property
    def faults(self) -> List[Turn]:
        return [turn for turn in self.turns if turn.fault]

    def answered_messages(self) -> List[str]:
        """The messages the assistant answered normally, in order."""
        return [turn.sent for turn in self.turns if not turn.fault]

    def confirm_turn_faulted(self) -> bool:
        """A fault on a "ja" to the summary: the booking may be made with its answer lost."""
        return any(turn.fault and turn.sent == "ja" for turn in self.turns)

    def recoveries(self) -> List[Tuple[float, float]]:
        """(first failed attempt, next normal answer) for each run of faults."""
        spans, first = [], None
        for turn in self.turns:
            if turn.fault and first is None:
                first = turn.started
            elif not turn.fault and first is not None:
                spans.append((first, turn.started + turn.seconds))
                first = None
        return spans


def reply_keys(texts: List[str]) -> List[Optional[str]]:
    return [text_key(text) for text in texts if text]


def next_message(plan: Plan, texts: List[str], buttons: List[Dict[str, Any]]) -> Tuple[str, Optional[str]]:
    """(what to say, problem) given the assistant's last answer."""
    keys = set(reply_keys(texts))
    if "booking_summary" in keys:
        return "ja", None
    if keys & ASKS_NAME:
        return plan.name, None
    if keys & ASKS_CONTACT:
        return plan.contact, None
    if buttons:
        return buttons[0]["payload"], None
    return "", f"no way on from {sorted(k or '?' for k in keys)}"


class Chat:
    """One channel's connection for one citizen."""

    async def open(self) -> None: ...

    async def send(self, text: str) -> Tuple[List[str], List[Dict[str, Any]], Optional[str]]:
        """(texts, buttons, transport fault)."""
        raise NotImplementedError

    async def close(self) -> None: ...


class RestChat(Chat):
    def __init__(self, base_url: str, address: str):
        self.base_url, self.address = base_url, address
        self.sender = f"cluster-{uuid.uuid4().hex}"
        self.session: Optional[aiohttp.ClientSession] = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(local_addr=(self.address, 0), force_close=True)
        self.session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=TURN_SECONDS))

    async def send(self, text: str):
        try:
            async with self.session.post(f"{self.base_url}/webhooks/rest/webhook",
                                         json={"sender": self.sender, "message": text}) as response:
                if response.status != 200:
                    return [], [], f"http {response.status}"
                body = await response.json()
        except asyncio.TimeoutError:
            return [], [], "timeout"
        except aiohttp.ClientError as error:
            return [], [], f"connection {type(error).__name__}"
        texts = [item.get("text") or "" for item in body]
        buttons = [button for item in body for button in item.get("buttons") or []]
        return texts, buttons, None

    async def close(self) -> None:
        if self.session:
            await self.session.close()


class SocketChat(Chat):
    """The widget's protocol: session_request/session_confirm, user_uttered, bot_uttered; on a
    lost connection the client reconnects (to whichever replica nginx picks) and asks for its
    session again, as rasa-webchat does with session persistence."""

    def __init__(self, base_url: str, address: str, origin: str):
        self.base_url, self.address, self.origin = base_url, address, origin
        self.sender: Optional[str] = None
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.confirmed = asyncio.Event()
        self.disconnects = 0
        self.confirmed_at = 0.0
        self.http: Optional[aiohttp.ClientSession] = None
        self.client: Optional[socketio.AsyncClient] = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(local_addr=(self.address, 0))
        self.http = aiohttp.ClientSession(connector=connector)
        self.client = socketio.AsyncClient(http_session=self.http, reconnection=True, reconnection_delay=0.5,
                                           reconnection_delay_max=2, handle_sigint=False)
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", self._on_disconnect)
        self.client.on("session_confirm", self._on_confirm)
        self.client.on("bot_uttered", self._on_bot)
        await self._connect()

    async def _connect(self) -> None:
        """Like socket.io-client in the widget, a first connection that fails is tried again (here
        it can land on a replica that was just killed)."""
        deadline = time.monotonic() + TURN_SECONDS
        while True:
            try:
                await self.client.connect(self.base_url, headers={"Origin": self.origin},
                                          socketio_path="/socket.io", wait_timeout=20)
                return
            except socketio.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)

    async def _on_connect(self) -> None:
        await self.client.emit("session_request", {"session_id": self.sender})

    async def _on_disconnect(self) -> None:
        self.disconnects += 1
        self.confirmed.clear()

    async def _on_confirm(self, session_id: Any) -> None:
        if self.sender is None:
            self.sender = session_id
        if session_id == self.sender:
            self.confirmed_at = time.monotonic()
            self.confirmed.set()

    async def _on_bot(self, data: Any) -> None:
        await self.inbox.put(data if isinstance(data, dict) else {"text": str(data)})

    async def _ready(self) -> Optional[str]:
        """Connected and confirmed in its session; the client reconnects by itself."""
        try:
            await asyncio.wait_for(self.confirmed.wait(), TURN_SECONDS)
            return None
        except asyncio.TimeoutError:
            return "no session"

    async def send(self, text: str):
        problem = await self._ready()
        if problem:
            return [], [], problem
        while not self.inbox.empty():  # late answers of an earlier attempt
            self.inbox.get_nowait()
        try:
            await self.client.emit("user_uttered", {"message": text, "session_id": self.sender})
        except socketio.exceptions.SocketIOError as error:
            return [], [], f"emit {type(error).__name__}"
        disconnects, deadline = self.disconnects, time.monotonic() + TURN_SECONDS
        messages = []
        while not messages and time.monotonic() < deadline:
            try:
                messages.append(await asyncio.wait_for(self.inbox.get(), 0.5))
            except asyncio.TimeoutError:
                if (self.disconnects != disconnects and self.confirmed.is_set()
                        and time.monotonic() - self.confirmed_at > AFTER_RECONNECT_SECONDS):
                    return [], [], "connection lost"
        try:
            while messages:
                messages.append(await asyncio.wait_for(self.inbox.get(), QUIET_SECONDS))
        except asyncio.TimeoutError:
            pass
        if not messages:
            return [], [], "no answer"
        texts = [m.get("text") or "" for m in messages]
        buttons = [{"payload": b.get("payload"), "title": b.get("title")}
                   for m in messages for b in (m.get("quick_replies") or m.get("buttons") or [])]
        return texts, buttons, None

    async def close(self) -> None:
        if self.client:
            try:
                await self.client.disconnect()
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self.http:
            await self.http.close()


async def live(plan: Plan, base_url: str, origin: str, deadline: float, max_turns: int = 40) -> Outcome:
    """One citizen from the first message to a confirmation (or the deadline)."""
    outcome = Outcome(plan)
    chat: Chat = RestChat(base_url, plan.address) if plan.channel == "rest" else SocketChat(base_url, plan.address, origin)
    rng = random.Random(plan.number)
    try:
        try:
            await chat.open()
        except Exception as error:  # noqa: BLE001 - counted as the citizen's failure
            outcome.gave_up = f"could not connect: {type(error).__name__}"
            return outcome
        message = plan.opening
        for _ in range(max_turns):
            if time.monotonic() > deadline:
                outcome.gave_up = "deadline"
                break
            started = time.monotonic()
            texts, buttons, fault = await chat.send(message)
            outcome.sender = chat.sender
            keys = reply_keys(texts)
            if fault is None and not texts:
                fault = "silence"
            apology = next((key for key in keys if key in APOLOGIES), None)
            if fault is None and apology:
                fault = f"apology:{apology}"
            outcome.turns.append(Turn(message, keys, fault, started, time.monotonic() - started))
            if fault:
                await asyncio.sleep(rng.uniform(*RETRY_PAUSE))
                continue
            if "booking_made" in keys:
                text = next(t for t in texts if text_key(t) == "booking_made")
                found = CODE.search(text)
                outcome.code = found.group(1) if found else None
                outcome.confirmation = text
                break
            # After a "ja" that met a fault, an answer from outside the booking form means the
            # booking was made and its confirmation lost on the way (the test checks the store).
            retried_yes = len(outcome.turns) > 1 and outcome.turns[-2].fault and outcome.turns[-2].sent == "ja"
            if retried_yes and not any(k and (k.startswith("booking_") or k == "slot_just_taken") for k in keys):
                outcome.confirmation_lost = True
                break
            message, problem = next_message(plan, texts, buttons)
            if problem and outcome.confirm_turn_faulted():
                outcome.confirmation_lost = True
                break
            if problem:
                outcome.unexpected.append(f"{problem} after {outcome.turns[-1].sent!r}: {' | '.join(texts)[:300]}")
                break
        else:
            outcome.gave_up = "too many turns"
    finally:
        await chat.close()
    return outcome


def summary(outcomes: List[Outcome]) -> Dict[str, Any]:
    faults: Dict[str, int] = {}
    for outcome in outcomes:
        for turn in outcome.faults:
            faults[turn.fault] = faults.get(turn.fault, 0) + 1
    return {
        "citizens": len(outcomes),
        "messages": sum(len(o.turns) for o in outcomes),
        "confirmations": sum(1 for o in outcomes if o.code),
        "confirmations_lost": sum(1 for o in outcomes if o.confirmation_lost),
        "faults_seen": dict(sorted(faults.items())),
        "unexpected": [u for o in outcomes for u in o.unexpected],
        "gave_up": [f"{o.plan.number}: {o.gave_up}" for o in outcomes if o.gave_up],
    }


def dump(outcome: Outcome) -> str:
    """One citizen's story for a failure message (names and contacts are made up)."""
    return json.dumps({"plan": outcome.plan.__dict__, "turns": [t.__dict__ for t in outcome.turns],
                       "code": outcome.code, "lost": outcome.confirmation_lost, "unexpected": outcome.unexpected, "gave_up": outcome.gave_up},
                      ensure_ascii=False, default=str)
