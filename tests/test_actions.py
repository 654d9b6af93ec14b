"""Each action with a real Tracker and CollectingDispatcher; answers rendered from domain.yml."""
from __future__ import annotations

from pathlib import Path

import pytest

from actions.fallback import ActionClarify
from actions.general import (
    ActionAnswerAppointmentRequired,
    ActionAnswerContact,
    ActionAnswerHumanHandoff,
    ActionAnswerInform,
    ActionAnswerServiceChanges,
)
from actions.opening_days import ActionAnswerOpeningDays, ActionAnswerWhichCounter
from actions.products import ActionAnswerHomeDelivery, ActionAnswerProductChannel
from tests.conftest import make_tracker, run_action, tracker_fixture


def counter(value):
    return [{"entity": "counter", "value": value}]


def product(value):
    return [{"entity": "product", "value": value}]


# --- opening days -------------------------------------------------------------------------


def test_berendrecht_answer_names_the_alternation_and_next_three_days(clock):
    answer = run_action(ActionAnswerOpeningDays(), tracker_fixture("opening_days_berendrecht"))
    assert "één dag per week" in answer.text
    assert "dinsdag of woensdag" in answer.text
    assert "woensdag 2 december, dinsdag 8 december en woensdag 16 december" in answer.text


def test_weekday_counter_answer(clock):
    answer = run_action(
        ActionAnswerOpeningDays(),
        make_tracker("wanneer is wilrijk open", entities=counter("wilrijk")),
    )
    assert (
        answer.text
        == "Het loket Wilrijk is open van maandag tot en met vrijdag."
        " Maak eerst een afspraak: zonder afspraak kun je niet binnen."
    )


def test_open_on_a_named_day(clock):
    tracker = make_tracker("is berchem open op dinsdag 8 december", entities=counter("berchem"))
    assert (
        "Ja, het loket Berchem is open op dinsdag 8 december"
        in run_action(ActionAnswerOpeningDays(), tracker).text
    )


def test_closed_day_offers_next_days_and_other_counters(clock):
    tracker = make_tracker(
        "is berendrecht open op dinsdag 1 december", entities=counter("berendrecht")
    )
    answer = run_action(ActionAnswerOpeningDays(), tracker)
    assert "Nee, het loket Berendrecht is dicht op dinsdag 1 december" in answer.text
    assert "woensdag 2 december" in answer.text
    assert (
        "Op dinsdag 1 december kun je terecht in Antwerpen-Centrum, Berchem"
        in answer.text
    )
    assert "Linkeroever" not in answer.texts[1]


def test_saturday_is_closed_everywhere(clock):
    answer = run_action(ActionAnswerOpeningDays(), make_tracker("is er zaterdag een loket open"))
    assert answer.text == "Op zaterdag 28 november is geen enkel stadsloket open."


def test_holiday(clock):
    tracker = make_tracker("is merksem open op 25 december", entities=counter("merksem"))
    answer = run_action(ActionAnswerOpeningDays(), tracker)
    assert "25 december is een feestdag" in answer.text


def test_impossible_date_is_refused_politely(clock):
    tracker = make_tracker("is berchem open op 31 februari", entities=counter("berchem"))
    answer = run_action(ActionAnswerOpeningDays(), tracker)
    assert answer.text == "'31 februari' staat niet op de kalender. Kijk je de datum nog eens na?"


def test_past_day(clock):
    # Duckling reads a bare past date as next year's; an explicit past year stays in the past
    tracker = make_tracker("was berchem open op 3 november 2025", entities=counter("berchem"))
    assert "ligt al achter ons" in run_action(ActionAnswerOpeningDays(), tracker).text


def test_linkeroever_is_redirected(clock):
    answer = run_action(
        ActionAnswerOpeningDays(),
        make_tracker("linkeroever open?", entities=counter("linkeroever")),
    )
    assert "Linkeroever ontvangt tijdelijk geen bezoekers" in answer.text
    assert "Antwerpen-Centrum, Berchem, Borgerhout of Merksem" in answer.text
    assert "openbaar vervoer" in answer.text


def test_overview_without_counter(clock):
    answer = run_action(ActionAnswerOpeningDays(), make_tracker("wanneer zijn de loketten open"))
    assert answer.texts[0] == "Alle stadsloketten werken enkel op afspraak."
    assert (
        "Antwerpen-Centrum, Berchem, Borgerhout, Deurne, Ekeren, Hoboken, Merksem en Wilrijk: open van maandag tot en met vrijdag."
        in answer.texts
    )
    assert any("Berendrecht" in t and "dinsdag of woensdag" in t for t in answer.texts)
    assert any("Linkeroever ontvangt tijdelijk geen bezoekers" in t for t in answer.texts)


def test_a_typed_payload_with_an_unknown_counter_changes_nothing(clock):
    tracker = make_tracker("/ask_opening_days", slots={"counter": "<script>alert(1)</script>" * 10})
    answer = run_action(ActionAnswerOpeningDays(), tracker)
    assert answer.responses == ["unknown_counter"]
    assert answer.events == []
    echoed = answer.text.split("'")[1]
    assert echoed == ("<script>alert(1)</script>" * 2)[:40]


def test_a_list_valued_slot_is_read(clock):
    tracker = make_tracker("berchem of deurne", slots={"counter": ["deurne", "berchem"]})
    assert "Het loket Deurne" in run_action(ActionAnswerOpeningDays(), tracker).text


# --- which counter --------------------------------------------------------------------------


def test_which_counter_for_linkeroever_residents(clock):
    answer = run_action(
        ActionAnswerWhichCounter(),
        make_tracker(
            "ik woon op linkeroever", intent="ask_which_counter", entities=counter("linkeroever")
        ),
    )
    assert "Antwerpen-Centrum, Berchem, Borgerhout of Merksem" in answer.text
    assert "niet alleen in dat van je eigen district" in answer.text


def test_which_counter_without_counter_mentions_redirect_and_any_counter(clock):
    answer = run_action(
        ActionAnswerWhichCounter(),
        make_tracker("naar welk loket moet ik", intent="ask_which_counter"),
    )
    assert answer.responses == ["counter_redirected", "any_counter"]
    assert "Linkeroever" not in answer.texts[1]
    assert "Berendrecht" in answer.texts[1]


# --- products -----------------------------------------------------------------------------


def test_eid_needs_a_visit_and_lists_what_to_bring(clock):
    answer = run_action(
        ActionAnswerProductChannel(),
        make_tracker("eid aanvragen", intent="ask_product_channel", entities=product("eid")),
    )
    assert (
        "zelf naar het loket komen, want bij de aanvraag worden je vingerafdrukken genomen"
        in answer.text
    )
    assert "bankkaart" in answer.text and "pasfoto van hoogstens 6 maanden oud" in answer.text
    assert "gratis levering aan huis" in answer.text
    assert "medische redenen" in answer.text
    assert "vanaf 12 jaar" in answer.text and "'identiteit'" in answer.text


@pytest.mark.parametrize(
    "product_id", ["strafregister", "woonst", "gezinssamenstelling", "geboorteakte"]
)
def test_certificates_online_or_by_phone(clock, product_id):
    answer = run_action(
        ActionAnswerProductChannel(),
        make_tracker("x", intent="ask_product_channel", entities=product(product_id)),
    )
    assert "hoef je niet naar het loket" in answer.text
    assert "online" in answer.text and "03 22 11 333" in answer.text


def test_pin_puk_by_phone_only(clock):
    answer = run_action(
        ActionAnswerProductChannel(),
        make_tracker("pincode", intent="ask_product_channel", entities=product("pin_puk")),
    )
    assert answer.responses == ["product_remote_phone"]
    assert "03 22 11 333" in answer.text


def test_change_of_address_has_a_legal_deadline(clock):
    answer = run_action(
        ActionAnswerProductChannel(),
        make_tracker("verhuizen", intent="ask_product_channel", entities=product("adreswijziging")),
    )
    assert "je regelt het online" in answer.text
    assert "binnen 8 werkdagen" in answer.text


def test_kids_id_needs_the_child(clock):
    answer = run_action(
        ActionAnswerProductChannel(),
        make_tracker("kids id", intent="ask_product_channel", entities=product("kids_id")),
    )
    assert "je kind" in answer.text


def test_without_product_the_list_of_visit_products(clock):
    answer = run_action(
        ActionAnswerProductChannel(), make_tracker("welke documenten", intent="ask_product_channel")
    )
    assert answer.responses == ["products_overview"]
    visit_part = answer.text.split("Zonder bezoek")[0]
    for name in (
        "elektronische identiteitskaart (eID)",
        "Kids-ID",
        "paspoort",
        "rijbewijs",
        "wettiging van handtekening",
    ):
        assert name in visit_part
    assert "strafregister" not in visit_part


def test_unknown_product_from_a_payload(clock):
    answer = run_action(
        ActionAnswerProductChannel(),
        make_tracker(
            "/ask_product_channel",
            intent="ask_product_channel",
            slots={"product": "bouwvergunning"},
        ),
    )
    assert answer.responses == ["unknown_product"]


def test_home_delivery_per_product(clock):
    yes = run_action(
        ActionAnswerHomeDelivery(),
        make_tracker("x", intent="ask_home_delivery", entities=product("rijbewijs")),
    )
    assert "gratis levering aan huis" in yes.text
    no = run_action(
        ActionAnswerHomeDelivery(),
        make_tracker("x", intent="ask_home_delivery", entities=product("woonst")),
    )
    assert "Levering aan huis is er niet voor een attest van woonst." in no.text
    assert "online aan of telefonisch" in no.text


def test_home_delivery_overview(clock):
    answer = run_action(
        ActionAnswerHomeDelivery(), make_tracker("levering aan huis?", intent="ask_home_delivery")
    )
    assert (
        "elektronische identiteitskaart (eID), Kids-ID, paspoort (reispas) en rijbewijs"
        in answer.text
    )


# --- general --------------------------------------------------------------------------------


def test_service_changes_list_every_announcement_fact(clock, catalogue):
    answer = run_action(
        ActionAnswerServiceChanges(),
        make_tracker("wat is er veranderd", intent="ask_service_changes"),
    )
    assert "donderdag 12 november 2020" in answer.text
    for change in catalogue.changes:
        assert change.text in answer.text


def test_appointment_required(clock):
    answer = run_action(
        ActionAnswerAppointmentRequired(),
        make_tracker("moet ik een afspraak maken", intent="ask_appointment_required"),
    )
    assert answer.texts[0].startswith("Ja. Sinds donderdag 12 november 2020")
    assert "03 22 11 333" in answer.texts[1]


@pytest.mark.parametrize(
    "action", [ActionAnswerContact(), ActionAnswerHumanHandoff()]
)
def test_contact_centre_number(clock, action):
    answer = run_action(action, make_tracker("x", intent="ask_contact"))
    assert "stedelijk contactcenter op 03 22 11 333" in answer.text


def test_inform_routes_by_entity(clock):
    by_product = run_action(
        ActionAnswerInform(),
        make_tracker("paspoort", intent="inform", entities=product("paspoort")),
    )
    assert by_product.responses[0] == "product_visit"
    by_counter = run_action(
        ActionAnswerInform(), make_tracker("deurne", intent="inform", entities=counter("deurne"))
    )
    assert by_counter.responses == ["opening_weekly"]
    nothing = run_action(ActionAnswerInform(), make_tracker("ja maar", intent="inform"))
    assert nothing.responses == ["ask_rephrase"]


# --- fallback -------------------------------------------------------------------------------


def test_first_miss_offers_likely_topics_as_buttons(clock):
    tracker = make_tracker(
        "loket berchem dinges", intent="nlu_fallback", entities=counter("berchem")
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "ask_opening_days", "confidence": 0.44},
        {"name": "ask_which_counter", "confidence": 0.30},
    ]
    tracker.events = [{"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}}]
    answer = run_action(ActionClarify(), tracker)
    assert answer.responses == ["clarify"]
    buttons = answer.buttons()
    assert buttons[0] == {
        "title": "Wanneer is een loket open?",
        "payload": '/ask_opening_days{"counter": "berchem"}',
    }
    assert buttons[1]["payload"] == '/ask_which_counter{"counter": "berchem"}'
    assert len(buttons) == 3


def test_second_miss_gives_the_contact_centre(clock):
    answer = run_action(ActionClarify(), tracker_fixture("two_misses"))
    assert answer.responses == ["clarify_contact"]
    assert "03 22 11 333" in answer.text


# --- facts follow the catalogue -------------------------------------------------------------


def test_when_the_measures_end_the_appointment_wording_goes(clock, tmp_path, monkeypatch):
    import yaml

    from service_catalogue import DEFAULT_PATH

    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["measures"]["valid_until"] = "2021-06-30"
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("STADSLOKET_CATALOGUE", str(path))

    opening = run_action(ActionAnswerOpeningDays(), make_tracker("wilrijk?", entities=counter("wilrijk")))
    assert opening.text == "Het loket Wilrijk is open van maandag tot en met vrijdag."
    required = run_action(
        ActionAnswerAppointmentRequired(), make_tracker("afspraak nodig?", intent="ask_appointment_required")
    )
    assert required.texts[0] == "Nee, een afspraak is op dit moment niet nodig."


def test_the_action_server_serves_every_action_of_the_domain():
    import yaml
    from rasa_sdk.executor import ActionExecutor

    from tests.conftest import ROOT

    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(executor.actions) == set(domain["actions"])


def test_the_domain_and_the_action_server_know_the_same_actions():
    """A custom action missing on either side only shows up in a conversation otherwise."""
    import yaml
    from rasa_sdk.executor import ActionExecutor

    domain = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain["actions"]) == set(executor.actions)
