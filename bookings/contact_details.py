"""How a citizen can be reached about a booking: an e-mail address or a Belgian mobile number.

Both are found inside a sentence and normalised, so that the same person typing their details
differently later ("0470/12.34.56" vs "+32 470 12 34 56") still finds their booking.
"""
from __future__ import annotations

import re
from typing import Optional

MAX_EMAIL = 254  # RFC 5321 path limit
MAX_LOCAL = 64

_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~@-])"
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
    r"(?![\w@-]|\.[\w-])"
)

_GAP = r"[^\S\n]*[./-]?[^\S\n]*"  # spaces, or one of . / - between digit groups
_MOBILE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+|00)[^\S\n]*32" + _GAP + r"(?:\(0\)" + _GAP + r"|0" + _GAP + r")?|0)"
    r"(?P<number>4(?:" + _GAP + r"\d){8})"
    r"(?!" + _GAP + r"\d)"
)


def normalise_email(text: str) -> Optional[str]:
    """The first e-mail address in `text`, lower-cased; None when there is no valid one."""
    for match in _EMAIL.finditer(text or ""):
        address = match.group(0).lower()
        if len(match.group("local")) <= MAX_LOCAL and len(address) <= MAX_EMAIL:
            return address
    return None


def normalise_mobile(text: str) -> Optional[str]:
    """The first Belgian mobile number in `text` as +324xxxxxxxx; landlines and abroad give None."""
    match = _MOBILE.search(text or "")
    if not match:
        return None
    return "+32" + re.sub(r"\D", "", match.group("number"))


def read_contact(text: str) -> Optional[str]:
    """An e-mail address or a Belgian mobile number, normalised."""
    return normalise_email(text) or normalise_mobile(text)


def mask(contact: str) -> str:
    """Shows a contact back ("j***@example.be", "+32 4** ** ** 56") without revealing it."""
    if "@" in contact:
        local, _, domain = contact.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if re.fullmatch(r"\+324\d{8}", contact):
        return f"+32 4** ** ** {contact[-2:]}"
    return "***"
