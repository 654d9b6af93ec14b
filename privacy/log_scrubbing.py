"""Every line a server process writes, through the masker first.

The project's own log calls name no personal data, but libraries do what they like: a traceback
quotes an exception's message, asyncio prints a task with what it held, a warning repeats a
slot's value. Wrapping the process's stdout and stderr (before any handler is made, so logging's
handlers, structlog and `traceback.print_exc` all write through it) catches them all.
"""
from __future__ import annotations

import io
import sys
import threading
from typing import TextIO

from privacy.masking import mask_log_text


class ScrubbingStream(io.TextIOBase):
    """A text stream that masks what is written, line by line, before it reaches `target`."""

    def __init__(self, target: TextIO):
        self._target = target
        self._pending = ""
        self._lock = threading.Lock()  # logging and print from several threads share one stream

    def write(self, text: str) -> int:
        with self._lock:
            return self._write(text)

    def _write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            complete, _, self._pending = self._pending.rpartition("\n")
            self._target.write(mask_log_text(complete) + "\n")
        if len(self._pending) > 65536:  # a line that never ends is written masked anyway
            self._target.write(mask_log_text(self._pending))
            self._pending = ""
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._target.write(mask_log_text(self._pending))
                self._pending = ""
            self._target.flush()

    def fileno(self) -> int:
        return self._target.fileno()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def encoding(self):
        return getattr(self._target, "encoding", "utf-8")

    def writable(self) -> bool:
        return True

    def __getattr__(self, name):  # anything else a library asks of a real stream (not masked: bytes)
        return getattr(self._target, name)


def install() -> None:
    """Idempotent; call first thing in a server's main."""
    if not isinstance(sys.stdout, ScrubbingStream):
        sys.stdout = ScrubbingStream(sys.stdout)
    if not isinstance(sys.stderr, ScrubbingStream):
        sys.stderr = ScrubbingStream(sys.stderr)
