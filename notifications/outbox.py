"""Sends the messages queued in the booking database, and queues the reminders that are due.

A booking, a move or a cancellation writes its message into the `outbox` table in the same
transaction (bookings.store); sending happens here, never in the conversation, so a slow or
broken mail server never delays or breaks a booking. Each message is claimed with a
conditional UPDATE before it is sent, so several workers (one per action server, plus
`make reminders` from cron) never send the same message twice at once; a worker that dies
mid-send leaves its claim to expire and the message is tried again (at least once, as with
any mail queue). Failures are retried with growing pauses; a permanent refusal, or too many
attempts, marks the message failed. Logs name message ids and reasons, never recipients.

    python -m notifications send        # send what is due, once
    python -m notifications reminders   # queue due reminders, then send (cron, systemd timer)
    python -m notifications worker      # both, every STADSLOKET_OUTBOX_INTERVAL seconds
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bookings.schema import outbox
from bookings.store import BookingStore, StoreUnavailable
from notifications.transports import TransportError, Transports
from notifications.transports import from_environment as transports_from_environment

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
BATCH = 50
INTERVAL_ENV = "STADSLOKET_OUTBOX_INTERVAL"
DEFAULT_INTERVAL = 15.0
WORKER_ENV = "STADSLOKET_OUTBOX_WORKER"  # "off": this action server sends nothing itself

_wake = threading.Event()


def wake() -> None:
    """Asks this process's worker to look at the outbox now (after a booking, say)."""
    _wake.set()


def retry_after(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1), MAX_RETRY_SECONDS))


@dataclass
class Tally:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    reminders: int = 0
    ids: List[int] = field(default_factory=list)

    def as_dict(self) -> Dict[str, int]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed, "reminders": self.reminders}


def _open(now: dt.datetime):
    return sa.and_(
        outbox.c.sent_at.is_(None),
        outbox.c.failed_at.is_(None),
        outbox.c.due_at <= now,
        sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
    )


class Outbox:
    def __init__(self, store: BookingStore, transports: Transports, max_attempts: int = MAX_ATTEMPTS):
        self.store, self.transports, self.max_attempts = store, transports, max_attempts

    def _claim(self, message_id: int, now: dt.datetime) -> Optional[sa.engine.Row]:
        """`now`: the moment of this claim (a batch can outlast a claim's two minutes)."""

        def work(conn: Connection):
            claimed = conn.execute(
                outbox.update()
                .where(outbox.c.id == message_id, _open(now))
                .values(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS), attempts=outbox.c.attempts + 1)
            ).rowcount
            if claimed != 1:
                return None
            return conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).first()

        return self.store.transact(work)

    def _deliver(self, row) -> None:
        if row.channel == "email":
            message = email.message_from_bytes(row.body, policy=email.policy.default)
            self.transports.email.send_email(message)
        elif row.channel == "sms":
            self.transports.sms.send_sms(row.recipient, row.body.decode("utf-8"))
        else:
            raise TransportError(f"unknown channel {row.channel!r}", permanent=True)

    def _settle(self, row, error: Optional[TransportError], now: dt.datetime) -> str:
        if error is None:
            values = dict(sent_at=dt.datetime.now(dt.timezone.utc), body=None, claimed_until=None, last_error=None)
            outcome = "sent"
        elif error.permanent or row.attempts >= self.max_attempts:
            values = dict(failed_at=now, claimed_until=None, last_error=str(error)[:200])
            outcome = "failed"
        else:
            values = dict(due_at=now + retry_after(row.attempts), claimed_until=None, last_error=str(error)[:200])
            outcome = "retrying"
        self.store.transact(lambda conn: conn.execute(outbox.update().where(outbox.c.id == row.id).values(**values)))
        return outcome

    def send_due(self, now: Optional[dt.datetime] = None, limit: int = BATCH) -> Tally:
        """Sends what is due now; returns what became of it."""
        fixed = now.astimezone(dt.timezone.utc) if now is not None else None
        clock = (lambda: fixed) if fixed is not None else (lambda: dt.datetime.now(dt.timezone.utc))
        now = clock()
        tally = Tally()
        ids = self.store.transact(
            lambda conn: [r.id for r in conn.execute(sa.select(outbox.c.id).where(_open(now)).order_by(outbox.c.id).limit(limit))],
            read_only=True,
        )
        for message_id in ids:
            row = self._claim(message_id, clock())
            if row is None:  # another worker has it
                continue
            error: Optional[TransportError] = None
            try:
                self._deliver(row)
            except TransportError as failure:
                error = failure
            except Exception as failure:  # noqa: BLE001 - a bug must not stop the other messages
                error = TransportError(f"unexpected {type(failure).__name__}")
            outcome = self._settle(row, error, clock())
            if outcome == "sent":
                tally.sent += 1
                tally.ids.append(row.id)
                log.info("message %d (%s, %s) sent", row.id, row.kind, row.channel)
            else:
                setattr(tally, outcome, getattr(tally, outcome) + 1)
                log.warning("message %d (%s, %s) not sent (attempt %d): %s; %s", row.id, row.kind, row.channel,
                            row.attempts, error, "given up" if outcome == "failed" else "will retry")
        return tally


def queue_reminders(store: BookingStore, now: Optional[dt.datetime] = None) -> int:
    from notifications.messages import Composer
    from service_catalogue import load_catalogue

    catalogue = load_catalogue()
    rule = catalogue.booking.reminder
    if rule is None:
        return 0
    composer = Composer(catalogue)
    return store.queue_reminders(now or dt.datetime.now(dt.timezone.utc), composer.about("reminder"))


def one_round(store: BookingStore, transports: Transports, now: Optional[dt.datetime] = None) -> Tally:
    reminders = queue_reminders(store, now)
    tally = Outbox(store, transports).send_due(now)
    tally.reminders = reminders
    return tally


def run_forever(store: BookingStore, transports: Transports, stop: threading.Event,
                interval: Optional[float] = None) -> None:
    """Reminders and sending every `interval` seconds (sooner when woken) until `stop` is set."""
    interval = interval if interval is not None else float(os.environ.get(INTERVAL_ENV) or DEFAULT_INTERVAL)
    while not stop.is_set():
        try:
            one_round(store, transports)
        except StoreUnavailable:
            log.warning("outbox: the bookings database is unavailable; trying again later")
        except Exception as error:  # noqa: BLE001 - the worker must outlive one bad round
            log.error("outbox round failed: %s", type(error).__name__)
        _wake.wait(interval)
        _wake.clear()


def check_public_url(transports: Transports) -> None:
    """Real e-mails or SMS with links to localhost would reach citizens with a dead link."""
    from urllib.parse import urlparse

    from notifications.messages import PUBLIC_URL_ENV, public_url
    from notifications.transports import FileTransport

    real = not (isinstance(transports.email, FileTransport) and isinstance(transports.sms, FileTransport))
    host = urlparse(public_url()).hostname or ""
    if real and (host in ("localhost", "::1") or host.startswith("127.")):
        raise ValueError(f"messages go to citizens but {PUBLIC_URL_ENV} points at this machine ({host}): "
                         "set it to the chat page's public address")


def start_in_background(store: BookingStore) -> Optional[threading.Event]:
    """The action server's own worker (make run needs no cron); off with STADSLOKET_OUTBOX_WORKER=off."""
    if (os.environ.get(WORKER_ENV) or "on").lower() in ("off", "0", "false", "no"):
        return None
    transports = transports_from_environment()
    check_public_url(transports)
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(store, transports, stop), name="outbox", daemon=True)
    thread.start()
    return stop
