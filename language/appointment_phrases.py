"""Reading what citizens say about their appointment that no model needs to learn."""
from __future__ import annotations

import re

# "ik ben de code kwijt", "die mail heb ik verwijderd": a look-up cannot go on without it.
_LOST = re.compile(
    r"\b(kwijt\w*|vergeten|verloren|verwijderd|gewist|weggegooid|weggedaan|"
    r"nooit (ge)?kregen|niet (ge)?kregen|nooit ontvangen|niet ontvangen|weet (ik )?.{0,15}niet meer)\b"
)
_CODE_WORDS = re.compile(r"\b(code|referentie\w*|nummer|bevestiging\w*|mail\w*|e-mail\w*|sms)\b")


def words(text: str) -> list:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def says_code_lost(text: str, asked_for_code: bool = False) -> bool:
    """The citizen has no reference code to give: lost, deleted, never received. When the code
    was just asked for, the code itself need not be named ("vergeten")."""
    joined = " ".join(words(text))
    return bool(_LOST.search(joined)) and (asked_for_code or bool(_CODE_WORDS.search(joined)))
