"""Contact details and booking codes: what is accepted, how it is normalised and shown back."""
from __future__ import annotations

import pytest

from bookings.contact_details import mask, normalise_email, normalise_mobile, read_contact
from bookings.reference_codes import ALPHABET, looks_like_code, new_code


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jan.peeters@example.be", "jan.peeters@example.be"),
        ("mijn mail is Jan.Peeters@Example.BE", "jan.peeters@example.be"),
        ("mail naar an+loket@stad.antwerpen.be.", "an+loket@stad.antwerpen.be"),
        ("<els_o'brien@mail-server.co.uk>", "els_o'brien@mail-server.co.uk"),
    ],
)
def test_valid_emails_are_found_and_lower_cased(text, expected):
    assert normalise_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "jan.peeters",
        "jan@example",  # no top-level domain
        "jan@@example.be",
        ".jan@example.be",
        "jan..peeters@example.be",
        "jan@-example.be",
        "jan@example.b",
        "a" * 65 + "@example.be",  # local part over 64
        "jan@" + ".".join(["d" * 60] * 5) + ".be",  # 311 characters, over 254
        "",
    ],
)
def test_invalid_emails_are_refused(text):
    assert normalise_email(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "0470 12 34 56",
        "0470123456",
        "0470/12.34.56",
        "0470/12 34 56",
        "0470-12-34-56",
        "+32 470 12 34 56",
        "+32470123456",
        "0032 470 12 34 56",
        "+32 (0)470 12 34 56",
        "+32 0470 12 34 56",
        "mijn gsm is 0470 12 34 56, bel maar",
    ],
)
def test_belgian_mobiles_are_normalised_to_e164(text):
    assert normalise_mobile(text) == "+32470123456"


@pytest.mark.parametrize(
    "text",
    [
        "03 22 11 333",  # the contact centre, a landline
        "03/123.45.67",
        "+32 3 123 45 67",
        "+31 6 12345678",  # Dutch mobile
        "0031 6 12 34 56 78",
        "+33 6 12 34 56 78",
        "0470 12 34 5",  # one digit short
        "0470 12 34 567",  # one digit too many
        "+32 470 12 34 56 7",
        "10470123456",  # part of a longer number
        "geen nummer",
        "",
    ],
)
def test_landlines_foreign_and_malformed_numbers_are_refused(text):
    assert normalise_mobile(text) is None


def test_read_contact_takes_either_kind():
    assert read_contact("stuur het naar Els@Example.be") == "els@example.be"
    assert read_contact("bel 0499 99 88 77") == "+32499998877"
    assert read_contact("bel 03 22 11 333") is None
    assert read_contact("ik weet het niet") is None


def test_mask_hides_the_contact():
    assert mask("jan.peeters@example.be") == "j***@example.be"
    assert mask("+32470123456") == "+32 4** ** ** 56"
    assert "123" not in mask("+32470123456")
    assert mask("iets anders") == "***"


def test_codes_use_the_alphabet_have_six_characters_and_a_digit():
    codes = [new_code() for _ in range(2000)]
    for code in codes:
        assert len(code) == 6
        assert set(code) <= set(ALPHABET)
        assert any(char.isdigit() for char in code)
    assert len(set(codes)) > 1990  # random, not a fixed sequence


def test_alphabet_leaves_out_look_alikes():
    assert not set("IO01") & set(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 32


@pytest.mark.parametrize(
    "text, expected",
    [
        ("K7M2QX", "K7M2QX"),
        ("mijn code is k7m2qx.", "K7M2QX"),
        ("Code: (ab3def)", "AB3DEF"),
        ("afspraak 9Z9Z9Z verzetten", "9Z9Z9Z"),
    ],
)
def test_codes_are_found_in_text(text, expected):
    assert looks_like_code(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "KAMERA",  # no digit
        "K7M2Q",  # too short
        "K7M2QXA",  # too long
        "K7M2QX9",
        "K1M2QX",  # 1 is not in the alphabet
        "K7M2OX",  # nor O
        "AK7M2QX",
        "code_K7M2QX",
        "K7M2\u212aX",  # Kelvin sign, which a case-insensitive match would take for K
        "",
    ],
)
def test_non_codes_are_refused(text):
    assert looks_like_code(text) is None


def test_looks_like_code_skips_a_word_to_reach_the_code():
    assert looks_like_code("straat 12, code AB3DEF") == "AB3DEF"
    assert looks_like_code("zeven letters KAMERAS en K7M2QX") == "K7M2QX"
