"""Reading what citizens say about their appointment that no model needs to learn."""
from __future__ import annotations

import re

from bookings.reference_codes import looks_like_code

# "ik ben de code kwijt", "die mail heb ik verwijderd": a look-up cannot go on without it.
_LOST = re.compile(
    r"\b(kwijt\w*|vergeten|verloren|verwijderd|gewist|weggegooid|weggedaan|"
    r"nooit (ge)?kregen|niet (ge)?kregen|nooit ontvangen|niet ontvangen|nooit\b.{0,40}\bontvangen|"
    r"nooit\b.{0,40}\b(ge)?kregen|weet (ik )?.{0,15}nie(t)? meer|(heb|ken|vind)\b.{0,25}\bnie(t)? meer|is weg|zijn weg|"
    r"geen\b.{0,25}\b(gekregen|ontvangen|binnengekregen)|"
    r"nergens (meer )?(terug|vinden)|niet (meer )?terug(vinden)?|(kan|vind)\b.{0,30}\bniet (meer )?(vinden|terug))\b"
)
_CODE_WORDS = re.compile(r"\b(code|codeke|kode|\w*referenti\w*|refferenti\w*|referensie\w*|nummer|"
                         r"bevestiging\w*|mail\w*|e-mail\w*|sms)\b")
# Said outright: the reference code (not a PIN code, which is a document of its own).
_THE_CODE = re.compile(r"\b((afspraak|reservatie|referentie|bevestigings)?(code|codeke|kode)|\w*referenti\w*|"
                       r"refferenti\w*|referensie\w*)\b")
_PIN = re.compile(r"\b(pin|puk|pincode\w*|pukcode\w*)\b")


def words(text: str) -> list:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def says_code_lost(text: str, asked_for_code: bool = False) -> bool:
    """The citizen has no reference code to give: lost, deleted, never received. When the code
    was just asked for, the code itself need not be named ("vergeten")."""
    joined = " ".join(words(text))
    return bool(_LOST.search(joined)) and (asked_for_code or bool(_CODE_WORDS.search(joined)))


def says_reference_code_lost(text: str) -> bool:
    """Lost, and it is the reference code by name ("referentiecode", "afspraakcode", "codeke"),
    not a PIN code: that decides the topic whatever else the message names."""
    if looks_like_code(text):  # a code given is not a code lost
        return False
    joined = " ".join(words(text))
    return bool(_LOST.search(joined)) and bool(_THE_CODE.search(joined)) and not _PIN.search(joined)
