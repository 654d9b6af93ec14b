"""Short booking references a citizen can read out over the phone or type on a small screen."""
from __future__ import annotations

import re
import secrets
from typing import Optional

# No I, O, 0 or 1: they are misread for one another.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
DIGITS = "23456789"
LENGTH = 6

# Candidates are checked against ALPHABET afterwards; a case-insensitive character class would
# also accept look-alikes such as the Kelvin sign for K.
_CANDIDATE = re.compile(r"(?<!\w)([A-Za-z2-9]{%d})(?!\w)" % LENGTH)


def _valid(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(char in ALPHABET for char in code)
        and any(char in DIGITS for char in code)
    )


def new_code() -> str:
    """A random code with at least one digit, so it never spells a word."""
    while True:  # rejection keeps the draw uniform over valid codes; ~18% of draws are redrawn
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if _valid(code):
            return code


def looks_like_code(text: str) -> Optional[str]:
    """The first booking code in free text ("mijn code is k7m2qx"), upper-cased."""
    for match in _CANDIDATE.finditer(text or ""):
        code = match.group(1).upper()
        if _valid(code):
            return code
    return None
