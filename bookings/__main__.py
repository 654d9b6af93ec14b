"""Staff command line: a counter's agenda for a day, and removing old bookings.

    python -m bookings agenda --counter berchem --date 2026-12-08
    python -m bookings purge --older-than-days 30
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import List, Optional

from bookings.store import BookingStore, StoreUnavailable
from service_catalogue import load_catalogue, schedule
from language.wording import long_date
from service_catalogue.model import Catalogue, Counter

USAGE_ERROR = 2
STORE_ERROR = 1


class UsageError(Exception):
    """A message for the member of staff; exit code 2."""


def dutch_date(day: dt.date) -> str:
    return long_date(day, with_year=True)


def find_counter(catalogue: Catalogue, wanted: str) -> Counter:
    """By id or by any of the catalogue's aliases, so staff can type what they say."""
    key = wanted.strip().casefold()
    for counter in catalogue.counters.values():
        if key == counter.id or key in (alias.casefold() for alias in counter.aliases):
            return counter
    known = ", ".join(catalogue.counters)
    raise UsageError(f"Onbekend loket '{wanted}'. Kies een van: {known}.")


def parse_day(text: Optional[str], catalogue: Catalogue) -> dt.date:
    if text is None:
        return schedule.today(catalogue)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"Ongeldige datum '{text}'. Schrijf de datum als JJJJ-MM-DD, bv. 2026-12-08."
        ) from None


def agenda(args: argparse.Namespace, catalogue: Catalogue) -> List[str]:
    counter = find_counter(catalogue, args.counter)
    day = parse_day(args.date, catalogue)
    lines = [f"Afspraken loket {counter.name} op {dutch_date(day)}"]
    entries = BookingStore.from_environment().agenda(counter.id, day)
    if not entries:
        return lines + ["Geen afspraken."]
    for booking in entries:
        product = catalogue.product(booking.product)
        lines.append(
            "  ".join(
                [
                    booking.start.strftime("%H:%M"),
                    product.name if product else booking.product,
                    booking.name,
                    booking.contact,
                    booking.code,
                ]
            )
        )
    return lines


def purge(args: argparse.Namespace, catalogue: Catalogue) -> List[str]:
    if args.older_than_days < 0:
        raise UsageError("--older-than-days moet 0 of meer zijn.")
    before = schedule.today(catalogue) - dt.timedelta(days=args.older_than_days)
    deleted = BookingStore.from_environment().purge(before)
    noun = "afspraak" if deleted == 1 else "afspraken"
    return [f"{deleted} {noun} van voor {dutch_date(before)} verwijderd."]


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m bookings", description="Afspraken aan de stadsloketten."
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="opdracht")
    show = commands.add_parser("agenda", help="de afspraken van één loket op één dag")
    show.add_argument("--counter", required=True, help="loket, bv. berchem")
    show.add_argument("--date", help="dag als JJJJ-MM-DD (standaard: vandaag)")
    show.set_defaults(run=agenda)
    clean = commands.add_parser("purge", help="oude afspraken verwijderen")
    clean.add_argument(
        "--older-than-days",
        type=int,
        default=30,
        help="verwijder afspraken van meer dan zoveel dagen geleden (standaard: 30)",
    )
    clean.set_defaults(run=purge)
    return main


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        lines = args.run(args, load_catalogue())
    except UsageError as error:
        print(error, file=sys.stderr)
        return USAGE_ERROR
    except StoreUnavailable:
        print("De afsprakendatabank is niet bereikbaar; probeer later opnieuw.", file=sys.stderr)
        return STORE_ERROR
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
