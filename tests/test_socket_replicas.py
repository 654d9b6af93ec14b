"""Two Rasa replicas' socket.io channels sharing the machine's Redis (STADSLOKET_REDIS_URL): a
message emitted to a citizen's session on one replica reaches the socket held by the other, as a
staff member's message or a reminder will. Real Sanic servers, real Redis, real socket.io client."""
from __future__ import annotations

import asyncio
import os

import pytest
import redis
import socketio
from sanic import Sanic

from channels.web_socket import WebSocketChannel
from tests.conftest import free_port

REDIS_URL = os.environ.get("STADSLOKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _replica(name: str, monkeypatch):
    channel = WebSocketChannel(user_message_evt="user_uttered", bot_message_evt="bot_uttered", session_persistence=True)
    app = Sanic(name)

    async def on_new_message(_message):
        return None

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/socketio")
    return app, channel


async def _citizen(port: int):
    """A widget's socket on `port` with its confirmed session: (client, session id, what it got)."""
    citizen = socketio.AsyncClient()
    got, confirmed = [], asyncio.get_running_loop().create_future()
    citizen.on("session_confirm", lambda session_id: confirmed.set_result(session_id))
    citizen.on("bot_uttered", lambda data: got.append(data))
    await citizen.connect(f"http://127.0.0.1:{port}", socketio_path="/socket.io", transports=["websocket"])
    await citizen.emit("session_request", {})
    return citizen, await asyncio.wait_for(confirmed, 10), got


async def _serve(app, port):
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    return server


def test_a_message_for_a_session_reaches_its_socket_on_the_other_replica(monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: the replicated set-up needs it")
    monkeypatch.setattr(Sanic, "test_mode", True)
    monkeypatch.setenv("STADSLOKET_REDIS_URL", REDIS_URL)
    ports = free_port(), free_port()
    monkeypatch.setenv("STADSLOKET_WEB_ORIGINS", ",".join(f"http://127.0.0.1:{p}" for p in ports))
    (app_a, channel_a), (app_b, channel_b) = _replica("replica_a", monkeypatch), _replica("replica_b", monkeypatch)
    assert type(channel_b.sio.manager).__name__ == "LocalFirstRedisManager"

    async def scenario():
        servers = [await _serve(app_a, ports[0]), await _serve(app_b, ports[1])]
        citizen, session_id, got = await _citizen(ports[0])
        try:
            await asyncio.sleep(0.5)  # replica A's Redis listener is subscribed
            await channel_b.sio.emit("bot_uttered", {"text": "Een medewerker neemt over."}, room=session_id)
            for _ in range(50):
                if got:
                    break
                await asyncio.sleep(0.1)
            # From the replica that holds the socket: delivered once, not again through Redis.
            await channel_a.sio.emit("bot_uttered", {"text": "Dag!"}, room=session_id)
            await asyncio.sleep(0.5)
            # Another session's room on replica B does not reach this citizen.
            await channel_b.sio.emit("bot_uttered", {"text": "niet voor jou"}, room="another-session")
            await asyncio.sleep(0.5)
        finally:
            await citizen.disconnect()
            for server in servers:
                server.close()
                await server.wait_closed()
        return got

    assert asyncio.run(scenario()) == [{"text": "Een medewerker neemt over."}, {"text": "Dag!"}]


def test_with_redis_away_the_replica_holding_the_socket_still_answers_it(monkeypatch):
    """A Redis restart must not silence the widget: the session confirmation and the answers
    to the socket that asked go straight to it."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    dead = free_port()  # nothing listens there
    monkeypatch.setenv("STADSLOKET_REDIS_URL", f"redis://127.0.0.1:{dead}/0")
    port = free_port()
    monkeypatch.setenv("STADSLOKET_WEB_ORIGINS", f"http://127.0.0.1:{port}")
    app, channel = _replica("replica_without_redis", monkeypatch)

    async def scenario():
        server = await _serve(app, port)
        citizen, session_id, got = await _citizen(port)
        try:
            await channel.sio.emit("bot_uttered", {"text": "Nog altijd hier."}, room=session_id)
            await asyncio.sleep(0.5)
        finally:
            await citizen.disconnect()
            server.close()
            await server.wait_closed()
        return got

    assert asyncio.run(scenario()) == [{"text": "Nog altijd hier."}]


def test_without_redis_the_rooms_stay_in_the_process(monkeypatch):
    monkeypatch.delenv("STADSLOKET_REDIS_URL", raising=False)
    _, channel = _replica("replica_alone", monkeypatch)
    assert type(channel.sio.manager).__name__ == "AsyncManager"
