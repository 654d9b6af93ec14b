"""What the messaging webhooks share: a POST that does not prove it comes from the platform is
answered 403 before Rasa's handler sees it."""
from __future__ import annotations

import logging
from typing import Callable

from sanic import Blueprint, response
from sanic.request import Request

log = logging.getLogger(__name__)


def only_genuine_posts(blueprint: Blueprint, genuine: Callable[[Request], bool], platform: str) -> Blueprint:
    @blueprint.middleware("request")
    async def refuse_forged(request: Request):
        if request.method == "POST" and not genuine(request):
            log.warning("%s webhook call that does not prove its origin refused", platform)
            return response.text("forbidden", status=403)
        return None

    return blueprint
