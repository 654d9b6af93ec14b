"""Staff accounts and practice records from the command line.

    python -m staff add-user --name an.peeters --role trainee --team centrum   (asks the password)
    python -m staff purge-practice [--older-than-days 365]
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys

from staff.accounts import ROLES, check_new_account, create_account
from staff.store import StaffStore, utcnow

RETENTION_ENV = "STADSLOKET_PRACTICE_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 365


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m staff")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-user", help="create or replace a local staff account")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--team", default="stadsloketten")
    add.add_argument("--display-name", default="")
    purge = commands.add_parser("purge-practice", help="delete practice rounds older than the retention period")
    purge.add_argument("--older-than-days", type=int, default=int(os.environ.get(RETENTION_ENV, DEFAULT_RETENTION_DAYS)))
    args = parser.parse_args(argv)
    store = StaffStore()
    if args.command == "add-user":
        # The password comes from STADSLOKET_STAFF_PASSWORD (scripts, tests) or is asked twice.
        password = os.environ.get("STADSLOKET_STAFF_PASSWORD")
        if password is None:
            password = getpass.getpass("Wachtwoord: ")
            if password != getpass.getpass("Nog eens: "):
                print("De wachtwoorden verschillen; er is niets aangemaakt.", file=sys.stderr)
                return 2
        problem = check_new_account(args.name, args.role, args.team, password)
        if problem:
            print(f"Niet aangemaakt: {problem}.", file=sys.stderr)
            return 2
        create_account(store, args.name, args.role, args.team, password, args.display_name)
        print(f"Account {args.name} ({args.role}, team {args.team}) is klaar.")
        return 0
    if args.older_than_days < 1:
        print("--older-than-days moet minstens 1 zijn.", file=sys.stderr)
        return 2
    deleted = store.purge_practice(utcnow() - dt.timedelta(days=args.older_than_days))
    print(f"{deleted} oefenrondes van meer dan {args.older_than_days} dagen oud verwijderd.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
