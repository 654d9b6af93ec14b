"""Liveness, readiness and metrics on the Rasa server as served (stand-in agent, real HTTP)."""
from __future__ import annotations

import asyncio

import aiohttp

from tests.test_action_server import _metric
from tests.test_channel_security import Served


def test_live_ready_and_metrics_count_messages_by_outcome(monkeypatch, tmp_path):
    served = Served(monkeypatch, tmp_path)
    served.agent.is_ready = lambda: True
    served.agent.tracker_store = None

    async def scenario():
        async with served as (url, agent, _):
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{url}/health/live") as live:
                    assert live.status == 200
                async with http.get(f"{url}/health/ready") as ready:
                    assert ready.status == 200
                agent.is_ready = lambda: False  # e.g. still loading its model
                async with http.get(f"{url}/health/ready") as not_ready:
                    assert not_ready.status == 503
                async with http.get(f"{url}/metrics") as first:
                    before = await first.text()
                for text in ("Wanneer is Berchem open?", "x" * 5000):
                    async with http.post(f"{url}/webhooks/rest/webhook", json={"sender": "ops-1", "message": text}) as sent:
                        assert sent.status == 200
                async with http.get(f"{url}/metrics") as after:
                    metrics = await after.text()
                async with http.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}) as relayed:
                    assert relayed.status == 404
        for outcome in ("answered", "message_too_long"):
            assert _metric(metrics, "stadsloket_messages_total", channel="rest", outcome=outcome) == \
                _metric(before, "stadsloket_messages_total", channel="rest", outcome=outcome) + 1
        assert "stadsloket_message_seconds_bucket" in metrics and "Berchem" not in metrics

    asyncio.run(scenario())


def test_health_and_metrics_answer_only_the_operations_network(monkeypatch, tmp_path):
    monkeypatch.setenv("STADSLOKET_OPS_NETWORKS", "10.30.0.0/16")
    served = Served(monkeypatch, tmp_path)

    async def scenario():
        async with served as (url, _agent, _):
            async with aiohttp.ClientSession() as http:
                for path in ("/health/live", "/health/ready", "/metrics"):
                    async with http.get(url + path) as outside:
                        assert outside.status == 404, path

    asyncio.run(scenario())
