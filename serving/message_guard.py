"""Every channel's messages pass here before NLU, locking and storage (Agent.handle_message).

- A message longer than STADSLOKET_MAX_MESSAGE_CHARS (default 1,000) gets a short Dutch answer
  and goes no further: it is never featurized (DIET's memory grows with the square of the
  length), locked or stored. Control characters are removed (PostgreSQL refuses NUL), an
  over-long sender id is refused and oversized metadata dropped.
- Rate limits per sender and per client address (serving.rate_limits); the address is known for
  the REST channel and socket.io, whose clients are citizens' browsers (set in CLIENT_ADDRESS by
  serving.http_guard and channels.web_socket). Messaging platforms post from their own servers,
  so their messages are limited per sender only.
- Several questions in one message are answered each (serving.several_questions).
- A delivery the channel already handed over (same platform delivery id: Telegram update,
  Twilio message, Messenger body) is handled once: platforms retry.
- A manage link's token (`/open_manage_link{"manage_token": …}` from the chat page, or a link
  pasted into the chat) is replaced by its hash before anything else sees the message: no
  conversation, log or export ever holds the token (bookings.manage_links).
- Faults become a Dutch answer with the contact centre instead of silence: the action server
  down or hanging, the conversations database unreachable, anything else unexpected.
- A citizen sees an answer only once its turn is in the conversation store: channels that send
  as Rasa speaks (socket.io, the messaging apps) get the turn's answers after Rasa has saved the
  tracker. Otherwise a replica killed between sending and saving leaves a citizen with an answer
  the conversation does not know (found by the cluster test: the next replica asked the same
  question again). REST already answers after saving.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import json
import logging
import os
import re
import time
import traceback
from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage

from bookings import manage_links
from bookings.store import StoreUnavailable
from handover import delivery
from handover.queue import LEFT, LIVE_CHANNELS, WAITING, HandoverQueue, wants_to_leave
from serving import operations, several_questions
from serving.action_calls import ActionServerUnavailable
from serving.conversation_store import ConversationStoreUnavailable
from serving.rate_limits import Decision, RateLimits
from serving.replies import server_reply

log = logging.getLogger(__name__)

MAX_CHARS_ENV = "STADSLOKET_MAX_MESSAGE_CHARS"
DEFAULT_MAX_CHARS = 1000
MAX_SENDER_CHARS = 128
MAX_METADATA_BYTES = 4096
DELIVERY_KEY = "delivery_id"
DELIVERY_SECONDS = 24 * 3600
# What became of the message being handled, for the metrics: "answered" or the guard's reply.
_OUTCOME: contextvars.ContextVar[str] = contextvars.ContextVar("stadsloket_outcome", default="answered")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CLIENT_ADDRESS: "contextvars.ContextVar[Optional[str]]" = contextvars.ContextVar(
    "client_address", default=None
)


def max_chars() -> int:
    return int(os.environ.get(MAX_CHARS_ENV) or DEFAULT_MAX_CHARS)


def _where(error: BaseException) -> str:
    """Type and place of an error, without its message (which may quote what a citizen typed)."""
    frames = traceback.extract_tb(error.__traceback__)
    place = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{place}"


class DeferredOutput(OutputChannel):
    """Holds a turn's answers for a channel that would send them at once; `flush` sends them."""

    def __init__(self, channel: OutputChannel):
        self.channel = channel
        self.held: List[tuple] = []

    def name(self) -> str:  # an instance's name: Rasa picks channel-specific responses by it
        return self.channel.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.held.append((recipient_id, message))

    async def flush(self) -> None:
        held, self.held = self.held, []
        for recipient_id, message in held:
            await self.channel.send_response(recipient_id, message)


class MessageGuard:
    def __init__(self, limits: RateLimits, limit_chars: int):
        self.limits = limits
        self.limit_chars = limit_chars

    @classmethod
    def from_environment(cls) -> "MessageGuard":
        return cls(RateLimits.from_environment(), max_chars())

    async def handle(self, handle_message, agent, message: UserMessage) -> Optional[List[Dict[str, Any]]]:
        """Guards one message; counts it for /metrics by what became of it (serving.operations)."""
        started = time.perf_counter()
        token = _OUTCOME.set("answered")
        deferred = None
        if message.output_channel is not None and not isinstance(message.output_channel, CollectingOutputChannel):
            deferred = message.output_channel = DeferredOutput(message.output_channel)
        try:
            return await self._guarded(handle_message, agent, message)
        finally:
            if deferred is not None:
                message.output_channel = deferred.channel
                try:
                    await deferred.flush()
                except Exception as error:  # noqa: BLE001 - the channel itself failed
                    log.error("could not send the answers: %s", _where(error))
            operations.count_message(message.input_channel, _OUTCOME.get(), time.perf_counter() - started)
            _OUTCOME.reset(token)

    async def _guarded(self, handle_message, agent, message: UserMessage) -> Optional[List[Dict[str, Any]]]:
        text = message.text
        sender = str(message.sender_id)
        if len(sender) > MAX_SENDER_CHARS:
            log.warning("message with a sender id of %d characters refused", len(sender))
            return await self._reply(message, "message_refused")
        # Limits first: a flood of long messages must not get an answer each either.
        for decision in (
            await self.limits.check_address(CLIENT_ADDRESS.get()),
            await self.limits.check_sender(sender),
        ):
            if decision is Decision.REFUSED_FIRST:
                log.warning("rate limit reached on channel %s", message.input_channel)
                return await self._reply(message, "rate_limited")
            if decision is Decision.REFUSED:
                _OUTCOME.set("rate_limited_silently")
                return self._collected(message)
        if text is not None and len(text) > self.limit_chars:
            log.warning("message of %d characters refused (limit %d)", len(text), self.limit_chars)
            return await self._reply(message, "message_too_long", max_chars=self.limit_chars)
        if text is not None:
            message.text = hide_manage_token(_CONTROL.sub("", text))
        self._trim_metadata(message)
        if not await self._first_delivery(message):
            log.info("repeated delivery on channel %s ignored", message.input_channel)
            _OUTCOME.set("repeated_delivery")
            return self._collected(message)

        try:
            handed_over = await self._while_handed_over(agent, message)
            if handed_over is not None:
                return handed_over
            parts = await self._questions(agent, message)
            if parts:
                await several_questions.answer_each(lambda m: handle_message(agent, m), message, parts)
                return self._collected(message)
            return await handle_message(agent, message)
        except ActionServerUnavailable:
            return await self._reply(message, "action_server_unavailable")
        except ConversationStoreUnavailable:
            return await self._reply(message, "conversation_store_unavailable")
        except Exception as error:  # noqa: BLE001 - never silence towards the citizen
            log.error("message could not be handled: %s", _where(error))
            return await self._reply(message, "technical_problem")

    async def _while_handed_over(self, agent, message: UserMessage) -> Optional[List[Dict[str, Any]]]:
        """While the conversation is in the queue or with a person (handover/): no payload gets
        past Rasa's pause (a /restart would), and "stop" while waiting leaves the queue.
        Returns the answer when the message was handled here, else None."""
        if message.input_channel not in LIVE_CHANNELS:
            return None  # only there can a conversation be handed over: no query for the others
        queue = HandoverQueue.shared()
        try:
            handover = await asyncio.to_thread(queue.open_for, str(message.sender_id))
        except StoreUnavailable:
            return None  # no queue to consult: Rasa's pause still holds against all but a payload
        if handover is None:
            return None
        text = (message.text or "").strip()
        if text.startswith("/"):  # Rasa reads a payload after leading blanks too
            message.text = text.lstrip("/ ") or "."  # read as words: no intent of ours restarts
        if handover.state == WAITING and wants_to_leave(message.text):
            if await asyncio.to_thread(queue.end, handover.id, LEFT):
                if getattr(agent, "tracker_store", None) is not None:
                    try:
                        await delivery.append(agent, str(message.sender_id), *delivery.resumed())
                    except Exception:
                        await asyncio.to_thread(queue.reopen, handover.id)  # still paused: still waiting
                        raise
                return await self._reply(message, "human_handoff_left")
        return None

    @staticmethod
    async def _questions(agent, message: UserMessage) -> Optional[List[str]]:
        """Clauses to answer one by one; never while a form waits for an answer (a day and a
        question in one message must reach the form whole)."""
        text = message.text or ""
        if text.startswith("/") or not hasattr(agent, "parse_message") or len(several_questions.clauses(text)) < 2:
            return None
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        if tracker is not None and tracker.active_loop_name:
            return None
        return await several_questions.questions_in(agent.parse_message, text)

    @staticmethod
    def _trim_metadata(message: UserMessage) -> None:
        metadata = message.metadata
        if not metadata:
            return
        try:
            size = len(json.dumps(metadata, default=str))
        except (TypeError, ValueError):
            size = MAX_METADATA_BYTES + 1
        if size > MAX_METADATA_BYTES:
            delivery = metadata.get(DELIVERY_KEY) if isinstance(metadata, dict) else None
            message.metadata = {DELIVERY_KEY: delivery} if isinstance(delivery, str) else {}

    async def _first_delivery(self, message: UserMessage) -> bool:
        metadata = message.metadata if isinstance(message.metadata, dict) else {}
        delivery = metadata.get(DELIVERY_KEY)
        if not isinstance(delivery, str) or not delivery:
            return True
        # Not the text: a channel may have rewritten it (Twilio's "1" becomes the offered option).
        digest = hashlib.sha256(
            json.dumps([message.input_channel, delivery, str(message.sender_id)]).encode()
        ).hexdigest()
        return await self.limits.claim_once(f"delivery:{digest}", DELIVERY_SECONDS)

    @staticmethod
    def _collected(message: UserMessage) -> Optional[List[Dict[str, Any]]]:
        channel = message.output_channel
        return channel.messages if isinstance(channel, CollectingOutputChannel) else None

    async def _reply(self, message: UserMessage, key: str, **values: Any):
        _OUTCOME.set(key)
        try:
            await message.output_channel.send_response(
                message.sender_id, {"text": server_reply(key, **values)}
            )
        except Exception as error:  # noqa: BLE001 - the channel itself failed; nothing more to do
            log.error("could not send the '%s' answer: %s", key, _where(error))
        return self._collected(message)


OPEN_LINK_INTENT = "/open_manage_link"


def hide_manage_token(text: str) -> str:
    """The message with a manage link's token replaced by the token's hash, as the payload the
    dialogue expects; any other message unchanged. A malformed token gets a hash no link has."""
    if text.startswith(OPEN_LINK_INTENT):
        body = text[len(OPEN_LINK_INTENT):].strip()
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        token = data.get("manage_token") if isinstance(data, dict) else None
    else:
        token = manage_links.token_in_text(text)
        if token is None:
            return text
    valid = isinstance(token, str) and manage_links.looks_like_token(token)
    digest = manage_links.token_hash(token) if valid else manage_links.token_hash("")
    return OPEN_LINK_INTENT + json.dumps({"manage_link": digest})


def install(guard: Optional[MessageGuard] = None) -> MessageGuard:
    """Wraps Agent.handle_message once per process; returns the guard in use."""
    from rasa.core.agent import Agent

    current = getattr(Agent.handle_message, "guard", None)
    if current is not None and guard is None:
        return current
    original = getattr(Agent.handle_message, "unguarded", Agent.handle_message)
    guard = guard or MessageGuard.from_environment()

    @functools.wraps(original)
    async def handle_message(self, message: UserMessage):
        return await guard.handle(original, self, message)

    handle_message.guard = guard
    handle_message.unguarded = original
    Agent.handle_message = handle_message
    return guard
