"""The action server behind a shared secret: `python -m serving.action_server --port 5055`.

rasa-sdk's server checks no credentials, listens on every interface and allows every CORS
origin, and on an error it answers with the whole request body (the tracker, with names and
contact details). This start module builds the same app (rasa_sdk.endpoint.create_app) and:

- listens on 127.0.0.1 unless STADSLOKET_ACTION_HOST says otherwise;
- requires `Authorization: Bearer $STADSLOKET_ACTION_TOKEN` on every route but /health (401
  without it); Rasa sends it from endpoints.yml. Without a token it does not start;
- allows no CORS origin: no browser has any business here;
- answers an error with a bare 500 and logs where it happened, not what the request held.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
import traceback
from typing import Optional

TOKEN_ENV = "STADSLOKET_ACTION_TOKEN"
HOST_ENV = "STADSLOKET_ACTION_HOST"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055
# Health and metrics need no token; they answer only this machine (serving.operations).
OPEN_PATHS = {"/health", "/health/live", "/health/ready", "/metrics"}
MIN_TOKEN_CHARS = 16

log = logging.getLogger(__name__)


def bearer_matches(header: Optional[str], token: str) -> bool:
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def create_app(token: str, actions_package: str = "actions"):
    if len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"{TOKEN_ENV} must have at least {MIN_TOKEN_CHARS} characters")
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from sanic import response

    app = create_sdk_app(actions_package, cors_origins="")

    @app.middleware("request")
    async def require_token(request):
        if request.path in OPEN_PATHS:
            return None
        if not bearer_matches(request.headers.get("Authorization"), token):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def bare_error(request, exception):
        frames = traceback.extract_tb(exception.__traceback__)
        place = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        log.error("action call failed: %s%s", type(exception).__name__, place)
        return response.json({"error": "internal error"}, status=500)

    app.error_handler.add(Exception, bare_error)
    from serving import operations

    operations.add_routes(app, bookings_ready)
    operations.count_bookings()

    @app.listener("after_server_start")
    async def start_outbox(app, _loop):
        """Confirmations and reminders go out from here too, so make run needs no cron job."""
        from actions.form_behaviour import booking_store
        from notifications.outbox import start_in_background

        app.ctx.outbox_stop = start_in_background(booking_store())

    @app.listener("before_server_stop")
    async def stop_outbox(app, _loop):
        stop = getattr(app.ctx, "outbox_stop", None)
        if stop is not None:
            stop.set()

    return app


def bookings_ready(_app):
    """The bookings database answers."""

    def check() -> bool:
        from actions.form_behaviour import booking_store

        store = booking_store()
        return store.reachable()

    return check


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving.action_server")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        print(f"{TOKEN_ENV} is not set: the action server needs a shared secret "
              "(make run creates one).", file=sys.stderr)
        return 2
    from rasa_sdk import utils

    from privacy import log_scrubbing

    log_scrubbing.install()
    utils.configure_colored_logging(os.environ.get("LOG_LEVEL", "INFO"))
    utils.update_sanic_log_level()
    app = create_app(token, args.actions)
    host = os.environ.get(HOST_ENV) or DEFAULT_HOST
    log.info("action server on http://%s:%d (token required)", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
