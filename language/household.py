"""How many people a booking is for, read from what a citizen writes ("voor mijn twee
kinderen", "mijn man en ik", "wij zijn met drie", "3") and whether they are all children.

Numbers that are times, dates, ages, postcodes or counts of appointments are not people; the
speaker counts once named as one of them ("ik en mijn zoon", "voor mij"), not as the one who
asks ("ik wil een afspraak voor mijn zoon"). Unknown stays unknown (None): the form then asks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

NUMBERS = {
    "een": 1, "één": 1, "1": 1, "twee": 2, "2": 2, "drie": 3, "drei": 3, "3": 3, "vier": 4, "4": 4,
    "vijf": 5, "vyf": 5, "5": 5, "zes": 6, "6": 6, "zeven": 7, "7": 7, "acht": 8, "8": 8,
}
GROUP_WORDS = {"tweeën": 2, "tweeen": 2, "tweeë": 2, "drieën": 3, "drieen": 3, "drieë": 3, "vieren": 4, "viere": 4,
               "vijven": 5, "vijve": 5, "zessen": 6}
CHILD = (r"kind(?:je|jes|eke|ekes)?|kleinkind(?:eren)?|nichtje|neefje|kinderen|kindere|kinders|kids(?!-?\s?ids?\b)|zoon(?:tje|ke)?|zonen|zoons|dochter(?:tje|ke|s)?|"
         r"baby(?:'s|s)?|manneke|meisje(?:s)?|jongen(?:tje|s)?|zus(?:je|sen|jes)?|broer(?:tje|s)?|kleine")
ADULT = (r"man|vrouw|vent|moeder|vader|mama|papa|ma|pa|partner|echtgeno(?:ot|te)|vriend(?:in)?|"
         r"volwassene(?:n)?|oma|opa|schoonmoeder|schoonvader")
NEUTRAL = r"persoon|personen|persoonen|pers|mensen"  # people, not said whether adults or children
MULTIPLES = {"tweeling": 2, "drieling": 3}
_NUMBER = r"(?:" + "|".join(sorted(map(re.escape, NUMBERS), key=len, reverse=True)) + r")"
_MONTHS = r"(?:jan|feb|maa|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec)[a-z]*"

_NOT_PEOPLE = [
    re.compile(r"\b(?:om|rond|tegen)\s+(?:half\s+)?\d{1,2}(?:[:.u]\d{2})?\s*(?:uur|u)?\b"),
    re.compile(r"\b(?:na|voor)\s+\d{1,2}(?:[:.u]\d{2})?\s*(?:uur|u)\b"),
    re.compile(r"\bhalf\s+\d{1,2}\b"),
    re.compile(r"\b\d{1,2}(?:ste|de|e)\b"),
    re.compile(r"\b\d{1,2}(?:[:.]\d{2}|u\d{0,2})\b"),
    re.compile(r"\b\d{1,2}\s*uur\b"),
    re.compile(r"\b\d{1,2}\s+" + _MONTHS + r"\b"),
    re.compile(r"\b\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?\b"),
    re.compile(r"\b\d{4}\b"),  # postcodes, years
    re.compile(r"\b(?:van|is)\s+\d{1,2}(?:\s+jaar)?\b"),
    re.compile(r"\b\d{1,2}\s+jaar\b"),
    re.compile(r"\b" + _NUMBER + r"\s+afspraken\b"),
]
_TOTAL = [
    re.compile(r"\b(?:wij|we)\s+(?:zijn|komen)\s+met\s+(?:z'n\s+|ons\s+|zijn\s+)?(?P<n>" + _NUMBER + r"|\w+n)\b"),
    re.compile(r"\b(?:met|me)\s+(?:ons|z'n|zijn|zn)\s+(?P<n>\w+(?:n|ë)|" + _NUMBER + r")(?!\w)"),
    re.compile(r"\bgezin\s+van\s+(?P<n>" + _NUMBER + r")\b"),
]
_COUNTED = re.compile(r"\b(?P<n>" + _NUMBER + r")\s+(?:kleine\s+)?(?P<noun>" + CHILD + "|" + ADULT + "|" + NEUTRAL + r")\b")
_SINGLE = re.compile(r"\b(?:mijn|mijne|m'n|men|ons|onze|zijn|haar|de|het|een|ne|nen)\s+(?:kleine\s+|jongste\s+|oudste\s+)?"
                     r"(?P<noun>" + CHILD + "|" + ADULT + r"|tweeling|drieling)\b")
_SPEAKER = re.compile(r"^(?:ik|mij|mezelf|ikzelf|mijzelf)$|\b(?:alleen|enkel|gewoon|voor|en)\s+(?:ik|mij|mezelf|ikzelf|mijzelf)\b|"
                      r"\b(?:mezelf|ikzelf|mijzelf)\b|\b(?:ik|mij|me)\s+en\b")
_PRODUCTS = re.compile(r"\b(?P<n>" + _NUMBER + r")\s+(?:kids-?\s?ids?|kinder-?id'?s?)\b")
_BARE = re.compile(r"^\s*(?:voor\s+|vr\s+)?(?P<n>" + _NUMBER + r")\s*(?:" + NEUTRAL + r")?\s*[.!]?\s*(?:aub|graag|alstublieft|alsjeblieft)?\s*[.!]?\s*$")
_PLURAL_CHILD = re.compile(r"\b(?:kinderen|kindere|kinders|kids|zonen|zoons|dochters)\b")


@dataclass(frozen=True)
class People:
    count: Optional[int]
    children_only: Optional[bool]


def _number(word: str) -> Optional[int]:
    word = word.lower()
    return NUMBERS.get(word) or GROUP_WORDS.get(word)


def _is_child(noun: str) -> bool:
    return re.fullmatch(CHILD, noun) is not None


def read_people(text: str) -> People:
    lowered = " " + (text or "").lower().replace("’", "'") + " "
    for pattern in _NOT_PEOPLE:
        lowered = pattern.sub(" ", lowered)
    lowered = " ".join(lowered.split())
    for pattern in _TOTAL:
        match = pattern.search(lowered)
        if match and _number(match.group("n")):
            return People(_number(match.group("n")), False)
    bare = _BARE.match(lowered)
    if bare:
        return People(NUMBERS[bare.group("n")], None)
    count, adults, children, unknown = 0, 0, 0, False
    taken = []
    for match in _COUNTED.finditer(lowered):
        n, noun = NUMBERS[match.group("n")], match.group("noun")
        if n == 1 and match.group("n") == "een" and noun in ("persoon",):
            pass
        count += n
        if _is_child(noun):
            children += n
        elif not re.fullmatch(NEUTRAL, noun):
            adults += n
        taken.append(match.span())
    for match in _SINGLE.finditer(lowered):
        if any(start <= match.start("noun") < end for start, end in taken):
            continue
        noun = match.group("noun")
        if noun in MULTIPLES:
            count += MULTIPLES[noun]
            children += MULTIPLES[noun]
        elif _PLURAL_CHILD.fullmatch(noun) or noun in ("personen", "mensen", "volwassenen"):
            unknown = True
            if _is_child(noun):
                children += 1
            else:
                adults += 1
        else:
            count += 1
            if _is_child(noun):
                children += 1
            else:
                adults += 1
    if _SPEAKER.search(lowered):
        count += 1
        adults += 1
    if count == 0 and not unknown:
        products = _PRODUCTS.search(lowered)
        if products and NUMBERS[products.group("n")] > 1:
            return People(NUMBERS[products.group("n")], True)
        return People(None, None)
    children_only = None if adults == 0 and children == 0 else adults == 0
    return People(None if unknown else count, children_only)
