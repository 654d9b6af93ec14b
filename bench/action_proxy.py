"""A timing proxy between Rasa and the action server: `python -m bench.action_proxy`.

Rasa does not report how long its calls to the action server take, and timing inside the action
server would miss its HTTP layer. This proxy forwards every POST /webhook unchanged and records
how long the action server took to answer (from the proxy's first byte out to the last byte
back), with the action's name and the conversation id. The bench reads and clears the records
with GET /bench/timings. The extra local hop costs Rasa well under a millisecond per call; that
cost lands in the message latency, not in the action time.
"""
from __future__ import annotations

import argparse
import re
import time
from typing import Any, Dict, List

import aiohttp
from aiohttp import web

# Rasa writes these two keys first; a regex on the head avoids parsing the whole tracker.
_ACTION = re.compile(rb'"next_action"\s*:\s*"([^"]*)"')
_SENDER = re.compile(rb'"sender_id"\s*:\s*"([^"]*)"')


def _field(pattern: "re.Pattern", body: bytes) -> str:
    found = pattern.search(body, 0, 4096)
    return found.group(1).decode("utf-8", "replace") if found else ""


def make_app(target: str) -> web.Application:
    records: List[Dict[str, Any]] = []
    app = web.Application(client_max_size=64 * 1024 * 1024)

    async def start_session(app: web.Application) -> None:
        app["session"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300))

    async def close_session(app: web.Application) -> None:
        await app["session"].close()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()  # decompressed by aiohttp if Rasa compressed it
        started = time.time()
        start = time.perf_counter()
        headers = {"Content-Type": "application/json"}
        if "Authorization" in request.headers:  # the action server's shared secret, passed on
            headers["Authorization"] = request.headers["Authorization"]
        async with app["session"].post(f"{target}/webhook", data=body, headers=headers) as response:
            payload = await response.read()
            status = response.status
        seconds = time.perf_counter() - start
        records.append(
            {
                "action": _field(_ACTION, body),
                "sender": _field(_SENDER, body),
                "started": started,
                "seconds": seconds,
                "status": status,
            }
        )
        return web.Response(body=payload, status=status, content_type="application/json")

    async def health(request: web.Request) -> web.Response:
        async with app["session"].get(f"{target}/health") as response:
            return web.Response(body=await response.read(), status=response.status)

    async def timings(request: web.Request) -> web.Response:
        taken = list(records)
        records.clear()
        return web.json_response(taken)

    app.on_startup.append(start_session)
    app.on_cleanup.append(close_session)
    app.router.add_post("/webhook", forward)
    app.router.add_get("/health", health)
    app.router.add_get("/bench/timings", timings)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="action server base URL")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(make_app(args.target.rstrip("/")), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
