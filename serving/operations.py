"""What the city's IT team watches: liveness, readiness and Prometheus metrics, on the Rasa server
(added by serving.http_guard) and on the action server (serving.action_server).

- /health/live: the process answers;
- /health/ready: the model is loaded and the conversation store (Rasa) or the bookings database
  (action server) answers; 503 otherwise, so a load balancer sends no citizen there;
- /metrics: messages by channel and outcome, their time, faults, bookings; Prometheus text format.
They answer only STADSLOKET_OPS_NETWORKS (default: this machine), like the staff page.
"""
from __future__ import annotations

import asyncio
import functools
from typing import Callable, Optional

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from serving import internal_network

NETWORKS_ENV = "STADSLOKET_OPS_NETWORKS"
READY_TIMEOUT_SECONDS = 3

MESSAGES = Counter(
    "stadsloket_messages_total",
    "Messages from citizens, by channel and what became of them (answered, or the reply the guard gave)",
    ["channel", "outcome"],
)
MESSAGE_SECONDS = Histogram(
    "stadsloket_message_seconds",
    "Time from a message's arrival to its last answer",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter(
    "stadsloket_bookings_total",
    "Changes to the bookings by the action server: booked, moved, cancelled, and refusals",
    ["change", "outcome"],
)


def count_message(channel: Optional[str], outcome: str, seconds: float) -> None:
    channel = channel or "unknown"
    MESSAGES.labels(channel=channel, outcome=outcome).inc()
    MESSAGE_SECONDS.labels(channel=channel).observe(seconds)


def _ops_only(request):
    from sanic import response

    if not internal_network.allowed(request, NETWORKS_ENV):
        return response.text("Not Found", status=404)
    return None


async def _answers(check: Callable[[], bool]) -> bool:
    try:
        return bool(await asyncio.wait_for(asyncio.to_thread(check), READY_TIMEOUT_SECONDS))
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False


def add_routes(app, ready: Callable[[object], Callable[[], bool]]) -> None:
    """`ready(app)` gives the blocking check of what this server needs (run in a thread)."""
    from sanic import response

    @app.get("/health/live", name="ops_live")
    async def live(request):
        return _ops_only(request) or response.json({"status": "live"})

    @app.get("/health/ready", name="ops_ready")
    async def readiness(request):
        refused = _ops_only(request)
        if refused:
            return refused
        if await _answers(ready(request.app)):
            return response.json({"status": "ready"})
        return response.json({"status": "not ready"}, status=503)

    @app.get("/metrics", name="ops_metrics")
    async def metrics(request):
        return _ops_only(request) or response.raw(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def rasa_ready(app) -> Callable[[], bool]:
    """The agent has its model, and the conversation store's database answers."""

    def check() -> bool:
        agent = getattr(app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return False
        store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
        engine = getattr(store, "engine", None)
        if engine is None:
            return True
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    return check


def count_bookings() -> None:
    """Counts every booking, move and cancellation the store is asked for, by its outcome, once
    per process (the action server calls this)."""
    from bookings import store as bookings_store

    cls = bookings_store.BookingStore
    if getattr(cls, "counted", False):
        return
    for method, change in (("book", "booked"), ("reschedule", "moved"), ("cancel", "cancelled")):
        setattr(cls, method, _counted(getattr(cls, method), change, bookings_store))
    cls.counted = True


def _counted(method, change: str, bookings_store):
    @functools.wraps(method)
    def counted(*args, **kwargs):
        outcome = "error"
        try:
            result = method(*args, **kwargs)
            outcome = "done" if result is not None else "not_found"
            return result
        except bookings_store.SlotFull:
            outcome = "slot_full"
            raise
        except bookings_store.StoreUnavailable:
            outcome = "store_unavailable"
            raise
        except ValueError:
            outcome = "refused"
            raise
        finally:
            BOOKINGS.labels(change=change, outcome=outcome).inc()

    return counted
