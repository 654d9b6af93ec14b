"""Personal data out of every conversation staff read or export.

Presidio would need pydantic 2, which Rasa 3.6 excludes; so this is patterns plus what the
conversation itself knows: the values of the slots that held personal data (the form asked for a
name, a contact, a code) are masked wherever they turn up again, also inside free text.

What is masked, and by what:
- e-mail addresses and phone numbers (Belgian and international, any spacing), except the
  city's own public numbers, which a reviewer must still see the assistant give;
- national register numbers (eleven digits, checked with their mod-97 control number, the
  2000-and-later variant included);
- booking reference codes and manage links (the token, or the hash the conversation carries);
- names: the booking's name, and a name a citizen introduces ("ik ben ...", "mijn naam is ...").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set

from bookings import reference_codes

EMAIL = "[e-mail]"
PHONE = "[telefoonnummer]"
NATIONAL_NUMBER = "[rijksregisternummer]"
CODE = "[referentiecode]"
LINK = "[beheerlink]"
NAME = "[naam]"
NUMBER = "[nummer]"

# Slots whose value is personal data, whatever it looks like.
PERSONAL_SLOTS: Dict[str, str] = {
    "booking_name": NAME,
    "booking_contact": "[contact]",
    "lookup_code": CODE,
    "lookup_contact": "[contact]",
    "manage_link": LINK,
}

# The local part is bounded (RFC 5321: 64) and must not follow another of its characters, so a
# long line without an address is read once, not once per position.
_EMAIL = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A manage link's token or its hash, and anything after `afspraak=` in a pasted link.
_LINK = re.compile(r"(?:afspraak(?:=|%3D)[A-Za-z0-9_-]{8,})|\b[0-9a-f]{64}\b|(?<![\w-])[A-Za-z0-9_-]{43}(?![\w-])",
                   re.IGNORECASE)
_SPACE = "[ \t\u00a0\u202f]"  # no-break spaces too: phones and word processors put them in numbers
_SEP = _SPACE + r"*[.,/-]?" + _SPACE + "*"
_GAP = _SPACE + r"*[./-]?" + _SPACE + "*"
# Eleven digits, written plain or as YY.MM.DD-SSS.CC (with any of . - / space between groups).
_NATIONAL = re.compile(r"(?<![\d])(\d{2})" + _SEP + r"(\d{2})" + _SEP + r"(\d{2})" + _SEP + r"(\d{3})" + _SEP
                       + r"(\d{2})(?![\d])")
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)" + _SPACE + r"?\d{2,3}(?:" + _GAP + r"\(?0?\)?)?(?:" + _GAP
                            + r"\d){6,11}(?!\w)")
# 0470 12 34 56, 0470/12.34.56, (03) 234 56 78, (0470) 12 34 56
_NATIONAL_PHONE = re.compile(r"(?<![\w+])(?:\(0\d{1,3}\)" + _GAP + r"\d(?:" + _GAP + r"\d){5,7}|0\d(?:" + _GAP
                             + r"\d){7,8})(?!\w)")
# What is a date or a time, not a number: "01.12.2026 10:15", "09.00-12.00".
_DATE_OR_TIME_FIRST = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?!\d)|\d{1,2}[.:][0-5]\d(?!\d)")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{9,}(?!\d)")
_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_NAME_WORD = r"(?=[^\W\d_])(?-i:[A-ZÀ-ÞĀ-ſ])[\w'’-]+"
# Words between a first name and a surname: never masked alone ("van 9 tot 12" stays).
_PARTICLE_WORDS = ["van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "la", "le", "du", "da", "di", "el", "al",
                   "ben", "bin", "op", "in", "vande", "vander", "von"]
_PARTICLES = "|".join(sorted(_PARTICLE_WORDS, key=len, reverse=True))
# "ik ben Bram Goossens", "mijn naam is bram", "naam: Bram Goossens", "ik heet ..."; a name that
# follows "ik ben" must start with a capital ("ik ben ziek" is not a name).
_INTRODUCED = re.compile(
    r"(?:\b(?i:mijn naam is|mijn naam:|naam\s*:|ik heet|je spreekt met|u spreekt met|op naam van)\s+"
    r"(?P<any>[\w'’-]+(?:\s+(?:(?i:" + _PARTICLES + r")\s+)*[\w'’-]+)?))"
    r"|(?:\b[Ii]k ben\s+(?P<capital>" + _NAME_WORD + r"(?:\s+(?:(?i:" + _PARTICLES + r")\s+)*" + _NAME_WORD
    + r")?))",
)
_NOT_NAMES = {"niet", "nog", "wel", "een", "de", "het", "ik", "je", "u", "jij", "graag", "hier", "daar", "al"}


def national_number_valid(digits: str) -> bool:
    """The Belgian national register number's control: 97 minus the first nine digits modulo 97,
    with a 2 put before them for people born in 2000 or later."""
    if not re.fullmatch(r"\d{11}", digits):
        return False
    body, check = int(digits[:9]), int(digits[9:])
    return check in (97 - body % 97, 97 - int("2" + digits[:9]) % 97)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass
class Masker:
    """Masks one conversation's texts. `public_numbers` are the city's own phone numbers;
    `known` are values the conversation held in its personal slots."""

    public_numbers: Iterable[str] = ()
    known: Set[str] = field(default_factory=set)

    def __post_init__(self):
        self._public = {_digits(number) for number in self.public_numbers}

    def learn(self, value: Any) -> None:
        """A personal slot's value: masked wherever it turns up again (also its parts, for a name)."""
        if not isinstance(value, str) or not value.strip():
            return
        value = value.strip()
        self.known.add(value)
        for part in re.split(r"\s+", value):
            if len(part) >= 3 and part.lower() not in _NOT_NAMES and part.lower() not in _PARTICLE_WORDS:
                self.known.add(part)

    def text(self, text: Optional[str]) -> Optional[str]:
        if not text:
            return text
        text = self.by_pattern(text)
        text = _INTRODUCED.sub(self._introduced, text)
        for value in sorted(self.known, key=len, reverse=True):
            text = re.sub(r"(?<!\w)" + re.escape(value) + r"(?!\w)", NAME if not _has_digit(value) else CODE,
                          text, flags=re.IGNORECASE)
        return text

    def by_pattern(self, text: str, in_log: bool = False) -> str:
        """Links, e-mail addresses, national and phone numbers and codes: what patterns find.
        A log keeps bare long numbers (timestamps) and six digits without a letter."""
        text = _LINK.sub(LINK, text)
        if "@" in text:
            text = _EMAIL.sub(EMAIL, text)
        text = _NATIONAL.sub(self._national, text)
        text = _INTERNATIONAL.sub(self._phone, text)
        text = _NATIONAL_PHONE.sub(self._phone, text)
        if not in_log:
            text = _LONG_DIGITS.sub(NUMBER, text)
        return self._codes(text, need_letter=in_log)

    def _national(self, match: re.Match) -> str:
        digits = _digits(match.group(0))
        if national_number_valid(digits):
            return NATIONAL_NUMBER
        if _DATE.fullmatch(match.group(0)) or (match.group(0).isdigit() and not match.group(0).startswith("0")):
            return match.group(0)  # a bare count or id; in a transcript _LONG_DIGITS still hides it
        # Written in the number's layout but with a wrong check: a mistyped one, hidden all the same.
        return self._phone(match) if match.group(0).startswith("0") else NUMBER

    def _phone(self, match: re.Match) -> str:
        found = match.group(0)
        if _DATE.fullmatch(found.strip()) or _DATE_OR_TIME_FIRST.match(found):
            return found
        if _digits(found) in self._public:
            return found
        return PHONE

    @staticmethod
    def _codes(text: str, need_letter: bool = False) -> str:
        """A code has a digit; in a log also a letter (an all-digit code is one draw in 4,000,
        while six digits in a log are mostly a timestamp's fraction)."""
        def replace(match: re.Match) -> str:
            found = match.group(0)
            if need_letter and not any(char.isalpha() for char in found):
                return found
            return CODE if reference_codes.looks_like_code(found) else found

        return re.sub(r"(?<!\w)[A-Za-z2-9]{%d}(?!\w)" % reference_codes.LENGTH, replace, text)

    @staticmethod
    def _introduced(match: re.Match) -> str:
        name = match.group("any") or match.group("capital")
        words = name.split()
        if words and words[0].lower() in _NOT_NAMES:
            return match.group(0)
        return match.group(0)[: match.start("any" if match.group("any") else "capital") - match.start()] + NAME


def mask_log_text(text: str) -> str:
    """What a log line may not hold, masked: contacts, national numbers, codes and links. No names
    (a log line has no conversation to learn them from), no bare long numbers (timestamps)."""
    if not text:
        return text
    if not any(char.isdigit() or char == "@" for char in text):
        return _LINK.sub(LINK, text)  # a token may hold no digit at all
    return _LOG_MASKER.by_pattern(text, in_log=True)


def _has_digit(value: str) -> bool:
    return any(char.isdigit() for char in value)


def mask_events(events: List[Dict[str, Any]], public_numbers: Iterable[str] = ()) -> List[Dict[str, Any]]:
    """A tracker's events with every personal value masked: slot values of the personal slots,
    user and bot texts, entity values and the text inside typed payloads."""
    masker = Masker(public_numbers=public_numbers)
    for event in events:  # first learn every personal value, so an early mention is masked too
        if event.get("event") == "slot" and event.get("name") in PERSONAL_SLOTS:
            masker.learn(event.get("value"))
    masked = []
    for event in events:
        copy = dict(event)
        kind = copy.get("event")
        if kind == "slot" and copy.get("name") in PERSONAL_SLOTS:
            copy["value"] = PERSONAL_SLOTS[copy["name"]] if copy.get("value") not in (None, "") else copy.get("value")
        elif kind == "slot" and isinstance(copy.get("value"), str):
            copy["value"] = masker.text(copy["value"])
        elif kind in ("user", "bot"):
            copy["text"] = masker.text(copy.get("text"))
            if kind == "user":
                copy["parse_data"] = _masked_parse(copy.get("parse_data") or {}, masker)
            else:
                copy["data"] = _masked_data(copy.get("data") or {}, masker)
        masked.append(copy)
    return masked


def _masked_parse(parse: Dict[str, Any], masker: Masker) -> Dict[str, Any]:
    entities = []
    for entity in parse.get("entities") or []:
        entity = dict(entity)
        entity["value"] = masker.text(entity["value"]) if isinstance(entity.get("value"), str) else entity.get("value")
        entities.append(entity)
    intent = parse.get("intent") or {}
    return {"intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
            "entities": entities, "text": masker.text(parse.get("text"))}


def _masked_data(data: Dict[str, Any], masker: Masker) -> Dict[str, Any]:
    buttons = [dict(button, title=masker.text(button.get("title")), payload=masker.text(button.get("payload")))
               for button in data.get("buttons") or []]
    return {"buttons": buttons} if buttons else {}


_LOG_MASKER = Masker()
