"""The launcher's pieces without the model: nginx's routing (real nginx in front of two small
HTTP servers standing in for replicas), the production profile, the lock store the environment
chooses, and the replica's name in socket.io session ids."""
from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from serving import launcher
from serving.launcher import Server, Stack, free_port, server_environment
from serving.lock_store import SharedLockStore, redis_arguments
from serving.profile import production_problems

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# A stand-in replica: answers every request with its name and what nginx passed on.
ECHO = """
import http.server, json, sys
name = sys.argv[2]
class Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        body = json.dumps({"name": name, "path": self.path,
                           "forwarded": self.headers.get("X-Forwarded-For")}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = _answer
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
"""


def _echo(port: int, name: str, folder: Path) -> Server:
    script = folder / "echo.py"
    script.write_text(ECHO)
    return Server(name, [sys.executable, str(script), str(port), name], server_environment(),
                  folder / f"{name}.log", port, start_seconds=20)


def _get(url: str, data: bytes = None, headers=None) -> dict:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def balancer(tmp_path):
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: `make test` installs Debian's nginx-light (make nginx)")
    rasa_ports, action_ports = [free_port(), free_port()], [free_port(), free_port()]
    public, actions = free_port(), free_port()
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<p>chat</p>")
    config = prefix / "nginx.conf"
    config.write_text(launcher.nginx_config(public, rasa_ports, actions, action_ports, prefix, web))
    servers = [_echo(p, f"r{i + 1}", tmp_path) for i, p in enumerate(rasa_ports)]
    servers += [_echo(p, f"actions{i + 1}", tmp_path) for i, p in enumerate(action_ports)]
    servers.append(launcher.nginx(config, prefix, public))
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield f"http://127.0.0.1:{public}", f"http://127.0.0.1:{actions}", servers, prefix
    finally:
        for server in servers:
            server.stop()


def test_socketio_requests_go_to_the_replica_named_in_their_session_id(balancer):
    url, _, _, _ = balancer
    new = Counter(_get(f"{url}/socket.io/?EIO=4&transport=polling")["name"] for _ in range(8))
    assert set(new) == {"r1", "r2"}, new  # new connections are spread
    for replica in ("r1", "r2"):
        for _ in range(4):
            answer = _get(f"{url}/socket.io/?EIO=4&transport=polling&sid={replica}.AbC-d_9x")
            assert answer["name"] == replica


def test_rest_is_spread_and_the_client_address_cannot_be_forged(balancer):
    url, _, _, _ = balancer
    seen = Counter()
    for _ in range(8):
        answer = _get(f"{url}/webhooks/rest/webhook", b'{"sender": "a", "message": "hallo"}',
                      {"Content-Type": "application/json", "X-Forwarded-For": "6.6.6.6"})
        seen[answer["name"]] += 1
        assert answer["forwarded"] == "127.0.0.1"  # nginx's view of the client, not the header sent
    assert set(seen) == {"r1", "r2"}, seen


def test_a_dead_replica_is_skipped_and_the_page_and_actions_are_served(balancer):
    url, actions_url, servers, prefix = balancer
    servers[0].kill()  # r1
    names = {_get(f"{url}/webhooks/rest/webhook", b"{}", {"Content-Type": "application/json"})["name"]
             for _ in range(6)}
    assert names == {"r2"}
    assert {_get(f"{actions_url}/webhook", b"{}")["name"] for _ in range(6)} == {"actions1", "actions2"}
    with urllib.request.urlopen(url + "/", timeout=10) as page:
        assert b"chat" in page.read()
    for path in ("/health/ready", "/metrics", "/staff/"):  # not published on the citizens' side
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + path, timeout=10)
        assert refused.value.code == 404
    log = (prefix / "logs" / "access.log").read_text()
    assert "hallo" not in log and "sid=" not in log  # neither bodies nor query strings are logged


def test_the_production_profile_needs_postgresql_and_redis():
    assert production_problems({"STADSLOKET_DATABASE_URL": "postgresql://u@h/db",
                                "STADSLOKET_REDIS_URL": "redis://h:6379/0"}) == []
    assert len(production_problems({})) == 2
    assert len(production_problems({"STADSLOKET_DATABASE_URL": "sqlite:///x.db",
                                     "STADSLOKET_REDIS_URL": "redis://h"})) == 1


def test_the_lock_store_follows_the_environment(monkeypatch):
    from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

    monkeypatch.delenv("STADSLOKET_REDIS_URL", raising=False)
    assert isinstance(SharedLockStore(endpoint_config=None), InMemoryLockStore)
    url = os.environ.get("STADSLOKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("STADSLOKET_REDIS_URL", url)
    store = SharedLockStore(endpoint_config=None)
    assert isinstance(store, RedisLockStore)
    ticket = store.issue_ticket("launcher-test-conversation", 5)
    assert store.get_lock("launcher-test-conversation").is_locked(ticket + 1)
    store.cleanup("launcher-test-conversation", ticket)
    assert store.get_lock("launcher-test-conversation") is None


def test_redis_urls_become_lock_store_arguments():
    assert redis_arguments("rediss://user:p%40ss@cache.example:6380/2") == dict(
        host="cache.example", port=6380, db=2, username="user", password="p@ss", use_ssl=True,
        key_prefix="stadsloket", socket_timeout=5)
    with pytest.raises(ValueError):
        redis_arguments("http://cache.example")


def test_socketio_session_ids_carry_the_replica_name(monkeypatch):
    from channels.web_socket import WebSocketChannel

    monkeypatch.setenv("STADSLOKET_REPLICA", "r2")
    channel = WebSocketChannel(user_message_evt="user_uttered", bot_message_evt="bot_uttered", session_persistence=True)

    async def on_new_message(_message):
        return None

    channel.blueprint(on_new_message)
    ids = {channel.sio.eio.generate_id() for _ in range(20)}
    assert len(ids) == 20 and all(i.startswith("r2.") and len(i) > 20 for i in ids)


def test_a_stack_keeps_the_profile_out_unless_told(monkeypatch, tmp_path):
    monkeypatch.setenv("STADSLOKET_DATABASE_URL", "postgresql://someone@db/prod")
    plain = Stack(tmp_path / "plain")
    assert "STADSLOKET_DATABASE_URL" not in plain.rasas[0].env
    told = Stack(tmp_path / "told", replicas=2, action_servers=2, balancer=True,
                 env={"STADSLOKET_REDIS_URL": "redis://127.0.0.1:6379/0"}, inherit_profile=True)
    assert told.rasas[1].env["STADSLOKET_DATABASE_URL"] == "postgresql://someone@db/prod"
    assert told.rasas[1].env["STADSLOKET_REPLICA"] == "r2" and told.rasas[0].env["STADSLOKET_PROXIES_COUNT"] == "1"
    endpoints = (tmp_path / "told" / "endpoints.yml").read_text()
    assert f"127.0.0.1:{told.action_port}/webhook" in endpoints  # Rasa calls nginx's action side
    assert told.url.endswith(f":{told.public_port}") and plain.url.endswith(f":{plain.rasa_ports[0]}")
