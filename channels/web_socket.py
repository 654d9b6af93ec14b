"""Rasa's socket.io channel for the web widget, locked down.

- Only the configured page origins may connect (STADSLOKET_WEB_ORIGINS, comma-separated; by
  default the page `make run` serves); Rasa 3.6 switches the origin check off.
- A client may not choose whose conversation it joins: the session id is issued by the server,
  or, when the widget brings back the one it was given (session persistence across reloads),
  accepted only if it is a random UUID4. A message is taken only under the session id this
  socket was confirmed, so a socket cannot post into another conversation either.
- The client's address is passed to the message guard for the per-address rate limit.
- Behind nginx with several replicas (make cluster), each replica starts the engine.io session
  ids it issues with its name (STADSLOKET_REPLICA, "r1"): nginx sends every later request of
  that connection to the replica that holds it (deploy/nginx/stadsloket.conf.template).

Used in credentials as `channels.web_socket.WebSocketChannel`.
"""
from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bookings.store import StoreUnavailable
from handover.delivery import register_socket
from handover.queue import LEFT, WAITING, HandoverQueue

from serving.message_guard import CLIENT_ADDRESS

log = logging.getLogger(__name__)
ORIGINS_ENV = "STADSLOKET_WEB_ORIGINS"
# With several Rasa replicas: the Redis that carries a message to a socket on another replica (the
# same Redis as the rate limits). Unset: one replica, rooms in memory.
REDIS_ENV = "STADSLOKET_REDIS_URL"
REDIS_CHANNEL = "stadsloket-socketio"
REPLICA_ENV = "STADSLOKET_REPLICA"
DEFAULT_ORIGINS = "http://localhost:8080,http://127.0.0.1:8080"


LEAVE_GRACE_ENV = "STADSLOKET_HANDOVER_LEAVE_SECONDS"
DEFAULT_LEAVE_GRACE = 30.0


def leave_grace_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(LEAVE_GRACE_ENV, DEFAULT_LEAVE_GRACE)))
    except ValueError:
        return DEFAULT_LEAVE_GRACE


def allowed_origins() -> List[str]:
    value = os.environ.get(ORIGINS_ENV) or DEFAULT_ORIGINS
    return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]


def is_random_session_id(value: Any) -> bool:
    """A UUID4 as hex or in its dashed form: random, so nobody can name someone else's."""
    if not isinstance(value, str) or len(value) not in (32, 36):
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and parsed.variant == uuid.RFC_4122 and value.lower() in (parsed.hex, str(parsed))


def session_id_for(requested: Any) -> str:
    return requested.lower() if is_random_session_id(requested) else uuid.uuid4().hex


def _address(environ: Dict[str, Any]) -> Optional[str]:
    request = environ.get("sanic.request")
    if request is not None:
        return request.remote_addr or request.ip or None
    return environ.get("REMOTE_ADDR")


def _local_first_manager(url: str):
    import socketio

    class LocalFirstRedisManager(socketio.AsyncRedisManager):
        """python-socketio's Redis manager delivers even to a socket of this replica through
        Redis (publish, then its own listener): a Redis restart would cost every socket.io
        answer meanwhile, the session confirmation included. Here the sockets this replica
        holds get the message directly, and only the others through Redis."""

        async def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, **kwargs):
            if kwargs.get("ignore_queue") or callback is not None or room is None:
                return await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                          callback=callback, **kwargs)
            namespace = namespace or "/"
            skip = list(skip_sid) if isinstance(skip_sid, list) else ([skip_sid] if skip_sid else [])
            try:
                local = [sid for sid, _ in self.get_participants(namespace, room) if sid not in skip]
            except KeyError:
                local = []
            if local:
                await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip, ignore_queue=True)
            if local == [room]:
                return None  # a socket's own room: it lives on this replica only
            return await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip + local)

    return LocalFirstRedisManager(url, channel=REDIS_CHANNEL)


def share_rooms_through_redis(sio) -> None:
    """Rasa builds its socket.io server inside blueprint(); its client manager can still be
    replaced before the first connection (python-socketio initialises it then). With the Redis
    manager, an emit to a session's room on one replica reaches the socket held by another."""
    url = os.environ.get(REDIS_ENV)
    if not url:
        return
    manager = _local_first_manager(url)
    manager.set_server(sio)
    sio.manager = manager
    log.info("socket.io rooms shared through Redis")


def name_sessions_after_replica(sio) -> None:
    """engine.io session ids "r1.<random>" on replica r1: the balancer's sticky key."""
    replica = os.environ.get(REPLICA_ENV)
    if not replica:
        return
    eio = sio.eio
    random_id = eio.generate_id
    eio.generate_id = lambda: f"{replica}.{random_id()}"


class WebSocketChannel(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: Dict[str, str] = {}  # socket id -> its confirmed session id
        self.addresses: Dict[str, Optional[str]] = {}  # socket id -> client address
        self._leaving: set = set()  # tasks that remove a citizen who closed the tab from the queue

    async def _leave_queue_if_gone(self, session_id: str) -> None:
        """A citizen waiting for a person who closes the tab leaves the queue, unless a socket of the
        same session is back within the grace period (a reload, a phone waking up)."""
        await asyncio.sleep(leave_grace_seconds())
        if session_id in self.sessions.values():
            return
        queue = HandoverQueue.shared()
        try:
            waiting = await asyncio.to_thread(queue.open_for, session_id)
            if waiting is not None and waiting.state == WAITING:
                if await asyncio.to_thread(queue.end, waiting.id, LEFT):
                    log.info("a citizen who closed the chat left the queue")
        except StoreUnavailable:
            log.warning("the handover queue is unavailable: a citizen who left stays in it")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        sio.eio.cors_allowed_origins = allowed_origins()
        share_rooms_through_redis(sio)
        name_sessions_after_replica(sio)
        handlers = sio.handlers[self.namespace or "/"]
        rasa_connect = handlers["connect"]
        rasa_disconnect = handlers["disconnect"]
        rasa_message = handlers[self.user_message_evt]

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            self.addresses[sid] = _address(environ)
            return await rasa_connect(sid, environ, auth)

        async def disconnect(sid: Text) -> None:
            session_id = self.sessions.pop(sid, None)
            self.addresses.pop(sid, None)
            await rasa_disconnect(sid)
            if session_id:
                task = asyncio.create_task(self._leave_queue_if_gone(session_id))
                self._leaving.add(task)
                task.add_done_callback(self._leaving.discard)

        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = session_id_for(requested)
            if requested and session_id != str(requested).lower():
                log.info("socket.io session id chosen by the client refused; a new one issued")
            self.sessions[sid] = session_id
            if self.session_persistence:
                sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                log.info("socket.io message that is not text: ignored")
                return
            if self.session_persistence:
                confirmed = self.sessions.get(sid)
                if confirmed is None or data.get("session_id") != confirmed:
                    log.info("socket.io message for a session this socket was not given: ignored")
                    return
            token = CLIENT_ADDRESS.set(self.addresses.get(sid))
            try:
                await rasa_message(sid, data)
            finally:
                CLIENT_ADDRESS.reset(token)

        namespace = self.namespace or "/"
        register_socket(self.name(), sio, self.bot_message_evt, namespace)
        sio.on("connect", connect, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return blueprint
