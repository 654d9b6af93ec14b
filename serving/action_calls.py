"""Calls to the action server that fail loudly and fast.

Rasa 3.6 waits up to 300 s for an action server that hangs, and when a call fails it logs the
error and goes on predicting: the citizen gets no answer at all. Here every call has a time limit
(STADSLOKET_ACTION_TIMEOUT seconds, default 5) and a failed or slow call raises
ActionServerUnavailable, which ends the turn: the message guard (serving.message_guard) then
answers with an apology and the contact centre. The turn's tracker is not saved, so the
conversation, and a half-filled form, stay where they were before the message.

ActionServerUnavailable derives from BaseException on purpose: Rasa's processor catches every
Exception around an action and carries on silently; this one has to get past that catch.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction

log = logging.getLogger(__name__)

TIMEOUT_ENV = "STADSLOKET_ACTION_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 5.0


class ActionServerUnavailable(BaseException):
    """The action server did not answer (down, hanging, or an error status)."""


def timeout_seconds() -> float:
    return float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_SECONDS)


def _guarded(run):
    @functools.wraps(run)
    async def run_with_limit(self: RemoteAction, output_channel, nlg, tracker, domain):
        try:
            return await asyncio.wait_for(
                run(self, output_channel, nlg, tracker, domain), timeout=timeout_seconds()
            )
        except ActionExecutionRejection:
            raise  # a form rejecting its slot: part of the normal dialogue
        except asyncio.TimeoutError:
            log.error("action server gave no answer to '%s' within %.1f s", self.name(), timeout_seconds())
            raise ActionServerUnavailable(self.name()) from None
        except Exception as error:  # noqa: BLE001 - connection refused, 401, 500, bad answer
            cause = error.__cause__ or error
            status = getattr(cause, "status", None)
            log.error(
                "action server call '%s' failed: %s%s",
                self.name(), type(cause).__name__, f" (HTTP {status})" if status else "",
            )
            raise ActionServerUnavailable(self.name()) from None

    run_with_limit.guarded = True
    return run_with_limit


def install() -> None:
    if not getattr(RemoteAction.run, "guarded", False):
        RemoteAction.run = _guarded(RemoteAction.run)
