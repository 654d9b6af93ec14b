"""The Rasa server's HTTP edge: request size, the client address of REST messages, and Rasa's
HTTP API only with authentication.

- Requests larger than STADSLOKET_MAX_REQUEST_BYTES (default 1 MB; Sanic's default is 100 MB)
  are refused by Sanic with 413 before they are read in full.
- For the REST channel the client address is put in message_guard.CLIENT_ADDRESS, so the
  per-address rate limit applies, and a body that is not a message (no text, a text that is an
  object, no sender) gets 400 with a Dutch answer instead of a crash in Rasa's handler. Behind a reverse proxy set STADSLOKET_PROXIES_COUNT (Sanic's
  PROXIES_COUNT) so the citizen's address is read from X-Forwarded-For, not the proxy's.
- `--enable-api` is refused unless `--auth-token` or `--jwt-secret` is given too: the API can
  read and change every conversation.
"""
from __future__ import annotations

import functools
import os
from typing import List, Optional

from serving.message_guard import CLIENT_ADDRESS

MAX_REQUEST_ENV = "STADSLOKET_MAX_REQUEST_BYTES"
DEFAULT_MAX_REQUEST_BYTES = 1_000_000
PROXIES_ENV = "STADSLOKET_PROXIES_COUNT"
REST_PATH = "/webhooks/rest/"


def client_address(request) -> Optional[str]:
    return request.remote_addr or request.ip or None


def is_rest_message(request) -> bool:
    """A JSON object with a text message and a sender: Rasa's REST channel crashes on others."""
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - Sanic raises on a body that is not JSON
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("message"), str)
        and isinstance(body.get("sender"), (str, int))
        and not isinstance(body.get("sender"), bool)
        and isinstance(body.get("metadata", {}), (dict, type(None)))
    )


def too_large(request) -> bool:
    """Sanic answers these with 413 itself; it runs the middleware for that answer too, with
    the body unread, so they must not be judged here."""
    try:
        return int(request.headers.get("content-length") or 0) > request.app.config.REQUEST_MAX_SIZE
    except ValueError:
        return False


def guard_app(app) -> None:
    from serving import operations

    operations.add_routes(app, operations.rasa_ready)
    app.config.REQUEST_MAX_SIZE = int(os.environ.get(MAX_REQUEST_ENV) or DEFAULT_MAX_REQUEST_BYTES)
    proxies = os.environ.get(PROXIES_ENV)
    if proxies:
        app.config.PROXIES_COUNT = int(proxies)

    @app.middleware("request")
    async def rest_messages_only(request):
        # Set on every request: keep-alive requests of one connection share a task and its context.
        if not request.path.startswith(REST_PATH):
            CLIENT_ADDRESS.set(None)
            return None
        CLIENT_ADDRESS.set(client_address(request))
        if request.method == "POST" and not too_large(request) and not is_rest_message(request):
            from sanic import response

            from serving.replies import server_reply

            return response.json([{"text": server_reply("message_refused")}], status=400)
        return None


def _given(argv: List[str], names) -> bool:
    """One of these options with a non-empty value (as --name=value or --name value)."""
    for index, arg in enumerate(argv):
        for name in names:
            if arg.startswith(name + "="):
                if arg.split("=", 1)[1].strip():
                    return True
            elif arg == name and index + 1 < len(argv) and argv[index + 1].strip() and not argv[index + 1].startswith("-"):
                return True
    return False


def api_refusal(argv: List[str]) -> Optional[str]:
    """Why these `rasa run` arguments must not start a server, or None. argparse accepts any
    unambiguous prefix of an option, so "--enable" is "--enable-api" too."""
    if not any(len(arg) > 3 and "--enable-api".startswith(arg.split("=")[0]) for arg in argv if arg.startswith("--e")):
        return None
    if _given(argv, ("--auth-token", "-t", "--jwt-secret")):
        return None
    return (
        "Rasa's HTTP API reads and changes every conversation: start it only with "
        "--auth-token or --jwt-secret (see README, 'Security')."
    )


def install() -> None:
    from rasa.core import run

    if getattr(run.configure_app, "guarded", False):
        return
    original = run.configure_app

    @functools.wraps(original)
    def configure_app(*args, **kwargs):
        app = original(*args, **kwargs)
        guard_app(app)
        return app

    configure_app.guarded = True
    run.configure_app = configure_app
