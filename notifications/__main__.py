"""python -m notifications send | reminders | worker (see notifications.outbox)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import sys
import threading

from bookings.store import BookingStore, StoreUnavailable
from notifications import outbox
from notifications.transports import from_environment
from service_catalogue import load_catalogue
from zoneinfo import ZoneInfo


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifications")
    parser.add_argument("command", choices=["send", "reminders", "worker"])
    parser.add_argument("--now", type=dt.datetime.fromisoformat, default=None,
                        help="act as if it were this moment (ISO, local time without a zone): reminders due by then "
                             "are really queued and sent; for catching up after an outage, and for trying it out")
    args = parser.parse_args(argv)
    now = args.now
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo(load_catalogue().timezone))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store, transports = BookingStore.from_environment(), from_environment()
    try:
        if args.command == "send":
            print(json.dumps(outbox.Outbox(store, transports).send_due(now).as_dict()))
        elif args.command == "reminders":
            print(json.dumps(outbox.one_round(store, transports, now).as_dict()))
        else:
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: (stop.set(), outbox.wake()))
            outbox.run_forever(store, transports, stop)
    except StoreUnavailable:
        print("the bookings database is unavailable", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
