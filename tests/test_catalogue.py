"""The catalogue loads, every fact is sourced, and a bad catalogue is refused with a clear reason."""
from __future__ import annotations

import copy

import pytest
import yaml

from service_catalogue import DEFAULT_PATH, CatalogueError, read_catalogue
from service_catalogue.model import AUTHORITATIVE_REFS

FACT_SHEET_COUNTERS = {
    "antwerpen-centrum",
    "linkeroever",
    "berchem",
    "berendrecht",
    "borgerhout",
    "deurne",
    "ekeren",
    "hoboken",
    "merksem",
    "wilrijk",
}
FACT_SHEET_PRODUCTS = {
    "eid",
    "kids_id",
    "paspoort",
    "rijbewijs",
    "handtekening",
    "strafregister",
    "woonst",
    "gezinssamenstelling",
    "geboorteakte",
    "pin_puk",
    "adreswijziging",
}


@pytest.fixture
def raw():
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def refused(raw_catalogue, tmp_path) -> str:
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(raw_catalogue, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path)
    return str(caught.value)


def test_the_shipped_catalogue_has_every_counter_and_product_of_the_fact_sheet(catalogue):
    assert set(catalogue.counters) == FACT_SHEET_COUNTERS
    assert set(catalogue.products) == FACT_SHEET_PRODUCTS


def test_the_announcement_facts_are_in_the_catalogue(catalogue):
    import datetime as dt

    assert catalogue.measures.valid_from == dt.date(2020, 11, 12)
    assert catalogue.measures.valid_until is None
    assert catalogue.measures.appointment_only
    assert catalogue.contact_centre.phone == "03 22 11 333"
    assert catalogue.counters["linkeroever"].redirect.to == [
        "antwerpen-centrum",
        "berchem",
        "borgerhout",
        "merksem",
    ]
    assert {c.source.ref for c in catalogue.changes} == {f"A{i}" for i in range(2, 10)}


def test_every_assumption_is_flagged_with_a_reason(catalogue):
    sources = [c.source for c in catalogue.counters.values()]
    sources += [p.visit.source for p in catalogue.products.values()]
    sources += [catalogue.booking.source, catalogue.holidays.source]
    for source in sources:
        assert source.ref in AUTHORITATIVE_REFS or (source.assumption and source.reason)
    assert catalogue.counters["berendrecht"].opening[0].source.assumption


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read the service catalogue"):
        read_catalogue(tmp_path / "nope.yml")


def test_broken_yaml_is_refused(tmp_path):
    path = tmp_path / "services.yml"
    path.write_text("counters: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        read_catalogue(path)


def test_an_unknown_weekday_names_the_field(raw, tmp_path):
    raw["counters"]["berchem"]["opening"][0]["weekdays"] = ["maandag", "zaterdga"]
    message = refused(raw, tmp_path)
    assert "counters.berchem.opening.0.weekdays" in message
    assert "'zaterdga' is not a weekday" in message


def test_a_redirect_to_an_unknown_counter_is_refused(raw, tmp_path):
    raw["counters"]["linkeroever"]["redirect"]["to"] = ["berchem", "kapellen"]
    assert "redirect.to: 'kapellen' is not a counter" in refused(raw, tmp_path)


def test_a_fact_without_source_is_refused(raw, tmp_path):
    del raw["contact_centre"]["source"]
    message = refused(raw, tmp_path)
    assert "contact_centre.source" in message and "field required" in message


def test_an_unflagged_assumption_is_refused(raw, tmp_path):
    raw["counters"]["berchem"]["desks_source"] = {"ref": "B4"}
    message = refused(raw, tmp_path)
    assert "counters.berchem.desks_source" in message
    assert "mark the fact with assumption: true" in message


def test_an_assumption_needs_a_reason(raw, tmp_path):
    raw["holidays"]["source"] = {"assumption": True}
    assert "an assumption needs a one-line reason" in refused(raw, tmp_path)


def test_an_opening_rule_has_exactly_one_kind(raw, tmp_path):
    raw["counters"]["berendrecht"]["opening"][0]["weekdays"] = ["dinsdag"]
    assert "exactly one of weekdays, alternating_iso_weeks or dates" in refused(raw, tmp_path)


def test_validity_must_be_ordered(raw, tmp_path):
    raw["counters"]["linkeroever"]["redirect"]["valid_until"] = "2019-01-01"
    assert "valid_until 2019-01-01 lies before valid_from 2020-11-12" in refused(raw, tmp_path)


def test_an_alias_cannot_name_two_things(raw, tmp_path):
    raw["products"]["paspoort"]["aliases"].append("berchem")
    assert "alias 'berchem' is used by counter berchem and product paspoort" in refused(
        raw, tmp_path
    )


def test_a_product_without_visit_needs_a_remote_channel(raw, tmp_path):
    raw["products"]["woonst"]["remote"] = {"online": False, "phone": False, "source": "A9"}
    assert "must be available online or by phone" in refused(raw, tmp_path)


def test_a_bad_phone_number_is_refused(raw, tmp_path):
    raw["contact_centre"]["phone"] = "call us"
    assert "not a Belgian phone number" in refused(raw, tmp_path)


def test_unknown_fields_are_refused(raw, tmp_path):
    bad = copy.deepcopy(raw)
    bad["counters"]["berchem"]["opening_hours"] = "9-5"
    assert "counters.berchem.opening_hours: extra fields not permitted" in refused(bad, tmp_path)


def test_a_bad_catalogue_stops_the_action_server_at_start_up(raw, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    raw["counters"]["berchem"]["opening"][0]["weekdays"] = ["zaterdga"]
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "serving.action_server", "--actions", "actions", "--port", "0"],
        cwd=root,
        env={**os.environ, "STADSLOKET_CATALOGUE": str(path), "PYTHONPATH": str(root),
             "STADSLOKET_ACTION_TOKEN": "a-test-secret-of-some-length"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "counters.berchem.opening.0.weekdays: 'zaterdga' is not a weekday" in result.stderr
