"""The rules after DIET (language/message_rules.py): another language, a lost document, a fact
the catalogue does not hold. Flemish messages, short ones included, are never taken for another
language."""
from __future__ import annotations

import functools

import pytest

from language.message_rules import detect_language, lost_document, unknown_fact_aspect


@functools.lru_cache(maxsize=1)
def dutch():
    import spacy

    from language.lexicon import _lexicon_of

    return _lexicon_of(spacy.load("nl_stadsloket"))


FLEMISH = [
    "merci!", "ok", "oké merci", "sorry", "sorry, ik begrijp het niet", "thanks", "hello", "bonjour",
    "da's goe", "ja", "nee", "Lotte Vermeulen", "lotte@example.be", "half elf", "dinsdag 8 december",
    "Wanneer is Berchem open?", "is den Berchem open morgen", "ge moet efkes wachten",
    "Is het loket in Berchem open op zaterdag?", "kan ik online een attest van woonst aanvragen",
    "Mijn identiteitskaart is gestolen", "ik woon in Hoboken", "Test Persoon", "OK merci, tot ziens!",
    "amai, wa een gedoe met da loket", "kunde gij mij zeggen of Deurne open is", "Kids-ID voor mijn zoon",
    "sorry, ik bedoelde Merksem", "allez, wanneer is't open in Ekeren", "Hello, is het loket in Wilrijk open?",
    "perfect merci voor de info", "top, dank u", "sorry voor de late reactie, ik wil toch een afspraak",
    "ik heb een appointment nodig voor mijn paspoort", "kan ik online mijn adres wijzigen?",
    "mijn e-mail is jan.peeters@telenet.be", "0470 12 34 56", "om 10u30 graag",
]


@pytest.mark.parametrize("text", FLEMISH)
def test_flemish_is_never_taken_for_another_language(text):
    assert detect_language(text, dutch()) is None


@pytest.mark.parametrize(
    "text, language",
    [
        ("Hello, could you tell me when the office in Deurne opens on Monday?", "en"),
        ("I would like to book an appointment for a new passport please", "en"),
        ("Bonjour, je voudrais savoir si je dois prendre rendez-vous pour ma carte d'identité", "fr"),
        ("Quand est-ce que le bureau de Berchem est ouvert ?", "fr"),
        ("Kimlik kartımı yenilemek için randevu almam gerekiyor mu?", "tr"),
        ("Dzień dobry, chciałbym umówić wizytę w sprawie dowodu osobistego", "pl"),
        ("مرحبا، أريد موعدا لتجديد بطاقة الهوية", "ar"),
    ],
)
def test_other_languages_are_recognised(text, language):
    assert detect_language(text, dutch()) == language


@pytest.mark.parametrize(
    "text, products, lost",
    [
        ("mijn identiteitskaart is gestolen", ["eid"], True),
        ("ik ben mijn rijbewijs kwijt", ["rijbewijs"], True),
        ("na een inbraak is mijn paspoort weg", ["paspoort"], True),
        ("ik ben de brief met mijn pincode kwijt", ["pin_puk"], False),  # a PIN letter: its own route
        ("mijn identiteitskaart verloopt volgende maand", ["eid"], False),
        ("ik ben mijn referentiecode kwijt", [], False),
    ],
)
def test_lost_documents(text, products, lost):
    assert lost_document(text, products) is lost


@pytest.mark.parametrize(
    "text, named, aspect",
    [
        ("Hoeveel kost een paspoort?", True, "price"),
        ("wat moet ik betalen voor een kids-id", True, "price"),
        ("kan ik aan het loket met bancontact betalen", False, "payment"),
        ("hoe lang duurt het voor mijn eID klaar is", True, "duration"),
        ("hoelang blijft een reispas geldig", True, "validity"),
        ("is het loket in Deurne toegankelijk met een rolstoel", True, "access"),
        ("kan ik parkeren aan het loket", False, "parking"),
        ("tot hoe laat is Berchem open", True, "hours"),
        ("hoe laat gaat het stadsloket open", False, "hours"),
        ("wat is het adres van het loket in Borgerhout", True, "address"),
        ("Wanneer is Berchem open?", True, None),
        ("ik wil mijn adres wijzigen", True, None),
        ("om hoe laat wil ik komen? 10u", False, None),
        ("Is de levering aan huis gratis?", False, None),
        ("mijn identiteitskaart verloopt binnenkort", True, None),
        # Not about the counters: stays out of scope.
        ("hoeveel kost een parkeervergunning", False, None),
        ("hoe laat sluit de dierentuin", False, None),
        ("hoe lang duurt een omgevingsvergunning", False, None),
    ],
)
def test_facts_the_catalogue_does_not_hold(text, named, aspect):
    assert unknown_fact_aspect(text, named) == aspect


@pytest.mark.parametrize(
    "intent, entities, expected",
    [
        ("out_of_scope", [{"entity": "product", "value": "adreswijziging"}], True),
        ("nlu_fallback", [{"entity": "product", "value": "rijbewijs"}], True),
        ("out_of_scope", [], False),
        ("out_of_scope", [{"entity": "product", "value": "eid"}, {"entity": "product", "value": "paspoort"}], False),
        ("out_of_scope", [{"entity": "product", "value": "eid"}, {"entity": "counter", "value": "berchem"}], False),
        ("ask_opening_days", [{"entity": "product", "value": "eid"}], False),
    ],
)
def test_an_unplaced_message_about_one_known_document(intent, entities, expected):
    from language.message_rules import about_a_known_document

    assert about_a_known_document({"name": intent, "confidence": 0.9}, entities) is expected


@pytest.mark.parametrize(
    "text, asked, lost",
    [
        ("ik ben mijn referentiecode kwijt", False, True),
        ("de bevestigingsmail heb ik per ongeluk verwijderd", False, True),
        ("vergeten", True, True),
        ("vergeten", False, False),  # nothing says it is the code
        ("ik ben mijn paspoort kwijt", False, False),
        ("mijn code is K7M2QX", True, False),
    ],
)
def test_a_lost_reference_code(text, asked, lost):
    from language.appointment_phrases import says_code_lost

    assert says_code_lost(text, asked) is lost
