"""Counter and product names are found in Dutch text, also when mistyped; dates are read."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from language.dutch_dates import read_day
from language.term_matching import TermMatcher, normalise, simple_tokens

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture(scope="module")
def matcher():
    from service_catalogue import load_catalogue

    return TermMatcher.from_catalogue(load_catalogue(), known_words={"boeken", "keren"})


def found(matcher, text):
    return [(m.entity, m.value, text[m.start : m.end]) for m in matcher.find(simple_tokens(text))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("wanneer is berchem open", [("counter", "berchem", "berchem")]),
        ("is het loket op LO dicht", [("counter", "linkeroever", "LO")]),
        ("ik woon op linker oever", [("counter", "linkeroever", "linker oever")]),
        ("naar het centrum", [("counter", "antwerpen-centrum", "het centrum")]),
        (
            "bewijs van goed gedrag en zeden",
            [("product", "strafregister", "bewijs van goed gedrag en zeden")],
        ),
        ("een nieuwe reispas", [("product", "paspoort", "reispas")]),
        ("mijn eID is kapot", [("product", "eid", "eID")]),
        ("Kids-ID voor mijn dochter", [("product", "kids_id", "Kids-ID")]),
    ],
)
def test_catalogue_names_and_aliases(matcher, text, expected):
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    "text, value",
    [
        ("afspraak in berhcem", "berchem"),
        ("ik wil een paspoortt", "paspoort"),
        ("mijn identiteitkaart", "eid"),
        ("loket merkesm", "merksem"),
        ("attest gezinsamenstelling", "gezinssamenstelling"),
        ("Bérendrecht", "berendrecht"),
        ("rijbewjis kwijt", "rijbewijs"),
    ],
)
def test_typing_slips_still_match(matcher, text, value):
    assert [v for _, v, _ in found(matcher, text)] == [value]


def test_ordinary_words_are_not_read_as_names(matcher):
    # "boeken" is one edit from nothing but two from "hoboken"; "keren" is one from "ekeren"
    assert found(matcher, "ik wil een afspraak boeken") == []
    assert found(matcher, "kan ik terug keren") == []
    assert found(matcher, "ik heb een vraag over mijn afspraak") == []


def test_two_entities_in_one_message(matcher):
    assert found(matcher, "paspoort in deurne") == [
        ("product", "paspoort", "paspoort"),
        ("counter", "deurne", "deurne"),
    ]


def test_normalise_drops_accents_and_punctuation():
    assert normalise("  Domiciliëring, Kids-ID! ") == "domiciliering kids id"


@pytest.mark.parametrize(
    "text, day",
    [
        ("is berchem open op dinsdag", dt.date(2026, 12, 1)),
        ("morgen", dt.date(2026, 11, 27)),
        ("en overmorgen?", dt.date(2026, 11, 28)),
        ("volgende week dinsdag", dt.date(2026, 12, 1)),
        ("dinsdag 8 december", dt.date(2026, 12, 8)),
        ("op 8/12", dt.date(2026, 12, 8)),
        ("8 dec", dt.date(2026, 12, 8)),
        ("op 1 januari", dt.date(2027, 1, 1)),
    ],
)
def test_days_are_read_in_flemish(text, day):
    assert read_day(text, NOW).day == day


@pytest.mark.parametrize("text", ["31 februari", "is het open op 30/2", "de 32e december"])
def test_impossible_dates_are_recognised(text):
    reading = read_day(text, NOW)
    assert reading.day is None and reading.impossible


def test_text_without_a_day():
    assert not read_day("wanneer is berchem open", NOW).found
    assert not read_day("", NOW).found


def test_clock_times_are_not_dates():
    assert read_day("om 10.30 uur", NOW).impossible is None


def guard(vocabulary):
    from language.unknown_words_guard import UnknownWordsGuard

    return UnknownWordsGuard({"min_known_share": 0.5, "min_words": 2}, None, None, vocabulary)


def classified(text, entities=()):
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    message.set("intent", {"name": "affirm", "confidence": 0.93})
    message.set("intent_ranking", [{"name": "affirm", "confidence": 0.93}])
    message.set("entities", list(entities))
    return message


def test_a_message_of_unknown_words_loses_its_confidence():
    message = guard({"wanneer", "is", "open"}).process([classified("xqzt vlorp gnap")])[0]
    assert message.get("intent")["confidence"] == 0.0
    assert message.get("intent_ranking")[0]["confidence"] == 0.0


def test_a_single_word_is_left_to_the_classifier():
    message = guard({"wanneer"}).process([classified("okido")])[0]
    assert message.get("intent")["confidence"] == 0.93


def test_known_words_and_named_things_keep_the_confidence():
    component = guard({"wanneer", "is", "open"})
    assert component.process([classified("wanneer is xqzt open")])[0].get("intent")["confidence"] == 0.93
    named = classified("berhcem", entities=[{"entity": "counter", "value": "berchem"}])
    assert component.process([named])[0].get("intent")["confidence"] == 0.93


def test_the_makefile_lists_every_language_module_the_model_loads():
    """The model is retrained when one of these changes, and only then (Makefile MODEL_LANGUAGE)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parent.parent
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    block = re.search(r"MODEL_LANGUAGE := \$\(addprefix language/,(.*?)\)\n", makefile, re.S).group(1)
    listed = set(block.replace("\\", " ").split())
    components = [c["name"] for c in yaml.safe_load((root / "config.yml").read_text())["pipeline"]
                  if c["name"].startswith("language.")]
    code = ("import sys, importlib\n"
            f"for name in {components!r}: importlib.import_module(name.rsplit('.', 1)[0])\n"
            "print(' '.join(sorted(m for m in sys.modules if m == 'language' or m.startswith('language.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                            timeout=300, check=True).stdout.split()
    files = {"__init__.py" if m == "language" else m.split(".", 1)[1] + ".py" for m in loaded}
    assert files <= listed, files - listed
    assert "colloquial_words.txt" in listed  # read by language.lexicon
    assert not {"dutch_dates.py", "dutch_times.py", "wording.py"} & listed
