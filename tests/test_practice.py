"""Practice mode without a server: scenarios from a small catalogue, the answer checker on answers
of every kind, changed facts drilled first, rounds stored without answer texts, purge."""
from __future__ import annotations

import copy
import datetime as dt
import random
import re
from pathlib import Path

import pytest
import yaml

from evaluation.practice_agreement import measure
from service_catalogue.loader import DEFAULT_PATH
from service_catalogue.model import Catalogue
from staff import __main__ as staff_cli
from staff.practice import facts as F
from staff.practice import rounds
from staff.practice.answer_check import AnswerChecker, Outcome
from staff.practice.scenarios import MIXED, phrase, pick_round, situations, snapshot
from staff.practice.wording import texts
from staff.store import StaffStore, utcnow, rounds as rounds_table
from tests.test_booking_store import database_url  # noqa: F401  (a fixture)

TODAY = dt.date(2026, 11, 30)
GRADED = Path(__file__).parent / "practice"
HELD_OUT = GRADED / "graded_answers_round3.yml"


def small_catalogue(change=None) -> Catalogue:
    """Three counters and four products of the real catalogue; `change` edits the raw data."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["counters"] = {k: raw["counters"][k] for k in ("linkeroever", "berchem", "berendrecht", "antwerpen-centrum", "borgerhout", "merksem")}
    raw["products"] = {k: raw["products"][k] for k in ("eid", "paspoort", "strafregister", "pin_puk", "adreswijziging")}
    raw = copy.deepcopy(raw)
    if change:
        change(raw)
    return Catalogue.parse_obj(raw)


@pytest.fixture
def store(database_url):
    """The practice tables on SQLite and on PostgreSQL (the bookings' database fixture)."""
    found = StaffStore(database_url)
    yield found
    found.close()


def test_every_scenario_has_its_facts_with_a_source():
    catalogue = small_catalogue()
    found = situations(catalogue, TODAY, random.Random(0))
    kinds = {s.kind for s in found}
    assert kinds == {"redirected_counter", "limited_days", "remote_product", "visit_product",
                     "delivery_question", "lost_or_stolen", "home_visit", "deadline_product"}
    for s in found:
        assert s.facts, s.kind
        for fact in s.facts:
            assert fact.statement and fact.source.split()[0] in ("bron", "aanname"), fact
    by_key = {f"{s.kind}:{s.subject}": {f.fact_id for f in s.facts} for s in found}
    assert by_key["redirected_counter:linkeroever"] == {"redirect_counters", "appointment_only"}
    assert by_key["limited_days:berendrecht"] == {"open_day", "days_rule", "any_counter"}
    assert by_key["remote_product:strafregister"] == {"no_visit", "online", "phone_number"}
    assert by_key["remote_product:pin_puk"] == {"no_visit", "phone_number"}  # by phone only
    assert by_key["lost_or_stolen:eid"] == {"police_report", "appointment_only", "bring"}
    assert by_key["deadline_product:adreswijziging"] == {"no_visit", "online", "legal_deadline"}


def test_the_open_day_follows_the_iso_week_of_the_asked_day():
    catalogue = small_catalogue()
    berendrecht = catalogue.counters["berendrecht"]
    even_tuesday, odd_tuesday = dt.date(2026, 12, 1), dt.date(2026, 12, 8)  # ISO weeks 49 and 50
    assert F.open_day(catalogue, berendrecht, odd_tuesday).expected("open_weekdays") == ("dinsdag",)
    assert F.open_day(catalogue, berendrecht, even_tuesday).expected("open_weekdays") == ("woensdag",)
    assert "niet op dinsdag 1 december" in F.open_day(catalogue, berendrecht, even_tuesday).statement


def test_each_kind_has_at_least_three_phrasings_and_they_vary():
    for kind, lines in texts()["citizen"].items():
        assert len(lines) >= 3, kind
    catalogue = small_catalogue()
    messages = {s.message for seed in range(8) for s in pick_round(catalogue, TODAY, MIXED, random.Random(seed), size=8)}
    assert len(messages) >= 30
    assert not any("{" in m or "(reispas)" in m for m in messages)


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Ge moet nie langskomen, da kan online of via 03 22 11 333.", {"no_visit": "hit", "online": "hit", "phone_number": "hit"}),
        ("Bel efkes naar 't contactcenter op 03/221.13.33", {"no_visit": "hit", "online": "missed", "phone_number": "hit"}),
        ("Daarvoor moet ge nen afsrpaak maken aan het loket.", {"no_visit": "wrong", "online": "missed", "phone_number": "missed"}),
        ("Dat kan niet online, bel 03 22 11 334", {"no_visit": "hit", "online": "wrong", "phone_number": "wrong"}),
        ("", {"no_visit": "missed", "online": "missed", "phone_number": "missed"}),
        ("Het regent vandaag in Antwerpen.", {"no_visit": "missed", "online": "missed", "phone_number": "missed"}),
    ],
)
def test_answers_about_a_document_without_a_visit(answer, expected):
    catalogue = small_catalogue()
    product = catalogue.products["strafregister"]
    facts = [F.no_visit(catalogue, product), F.online(catalogue, product), F.phone_number(catalogue, product)]
    verdicts = {v.fact.fact_id: v.outcome.value for v in AnswerChecker(catalogue).check(answer, facts)}
    assert verdicts == expected


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Ge kunt naar Berchem, Borgehout of Merksem, wel op afspraak he.", {"redirect_counters": "hit", "appointment_only": "hit"}),
        ("Omdat ge op Linkeroever woont, moet ge naar 't centrum of Berchem. Binnenlopen gaat nie.", {"redirect_counters": "hit", "appointment_only": "hit"}),
        ("Kom maar naar Linkeroever, zonder afspraak.", {"redirect_counters": "wrong", "appointment_only": "wrong"}),
        ("Ga naar Berchem.", {"redirect_counters": "missed", "appointment_only": "missed"}),
        ("Linkeroever neemt nu geen afspraken, ge kunt terecht in Berchem of Merksem.",
         {"redirect_counters": "hit", "appointment_only": "missed"}),
    ],
)
def test_answers_about_a_redirected_counter(answer, expected):
    catalogue = small_catalogue()
    facts = [F.redirect_counters(catalogue, catalogue.counters["linkeroever"], TODAY), F.appointment_only(catalogue)]
    verdicts = {v.fact.fact_id: v.outcome.value for v in AnswerChecker(catalogue).check(answer, facts)}
    assert verdicts == expected


def test_bring_needs_half_of_the_items_and_not_the_document_itself():
    catalogue = small_catalogue()
    fact = F.bring(catalogue, catalogue.products["eid"])
    checker = AnswerChecker(catalogue)
    assert checker.check("Voor een nieuwe eID maakt ge een afspraak.", [fact])[0].outcome is Outcome.MISSED
    assert checker.check("Breng uw oude id, een pasfto en uw bankkaart mee.", [fact])[0].outcome is Outcome.HIT
    assert checker.check("Niet vergeten: pasfoto en bankkaart!", [fact])[0].outcome is Outcome.HIT


@pytest.mark.parametrize("graded", sorted(GRADED.glob("graded_answers_*.yml")), ids=lambda p: p.stem)
def test_the_checker_agrees_with_the_human_grades(graded):
    """Each file was written and graded by a separate writer who never saw the checker; the last
    one (HELD_OUT) was never read to tune it, the others are kept as regression sets."""
    result = measure(graded)
    assert result.answers >= (40 if graded == HELD_OUT else 20)
    assert result.per_fact >= 0.90, result.disagreements


def test_a_changed_fact_is_drilled_first_in_the_next_rounds(store):
    before = small_catalogue()
    rng = random.Random(5)
    first = rounds.start(store, before, "an", "centrum", "aanvragen", rng)
    store.save_round(first, 0, store.round(first)["state"], True, [])
    assert rounds.changed_for(store, "an", snapshot(before, TODAY)) == []

    def redirect_ends(raw):
        raw["counters"]["linkeroever"]["redirect"]["valid_until"] = dt.date(2027, 3, 31)

    after = small_catalogue(redirect_ends)
    changed = rounds.changed_for(store, "an", snapshot(after, TODAY))
    assert changed == ["redirect_counters:linkeroever"]
    for seed in range(5):  # whatever the topic and the draw
        chosen = pick_round(after, TODAY, MIXED, random.Random(seed), favour=changed)
        assert chosen[0].kind == "redirected_counter"
        assert "tot en met woensdag 31 maart 2027" in chosen[0].facts[0].statement

    def pin_online(raw):
        raw["products"]["pin_puk"]["remote"]["online"] = True

    assert "online:pin_puk" in rounds.changed_for(store, "an", snapshot(small_catalogue(pin_online), TODAY))


def test_a_round_stores_verdicts_but_never_the_answer_text(store):
    catalogue = small_catalogue()
    round_id = rounds.start(store, catalogue, "an", "centrum", MIXED, random.Random(2), size=2)
    checker = AnswerChecker(catalogue)
    secret = "geheim-antwoord-xyz"
    for _ in range(4):
        if store.round(round_id)["finished_at"]:
            break
        rounds.answer(store, checker, round_id, "an", f"Maak een afspraak {secret}")
    found = store.round(round_id)
    assert found["finished_at"] is not None
    shown = rounds.view(found)
    assert sum(row["asked"] for row in shown["score"]) == len(store.results_of(trainee="an"))
    with store.engine.connect() as conn:
        dump = "\n".join(str(row) for table in ("practice_rounds", "practice_results") for row in conn.exec_driver_sql(f"SELECT * FROM {table}"))
    assert secret not in dump
    with pytest.raises(LookupError):
        rounds.answer(store, checker, round_id, "bart", "ander mans ronde")


def _finish(store, catalogue, round_id, trainee="an", text="weet ik niet"):
    checker = AnswerChecker(catalogue)
    while not store.round(round_id)["finished_at"]:
        rounds.answer(store, checker, round_id, trainee, text)


def test_purge_deletes_rounds_past_the_retention(store, monkeypatch, capsys):
    catalogue = small_catalogue()
    old = rounds.start(store, catalogue, "an", "centrum", MIXED, random.Random(1), size=1)
    _finish(store, catalogue, old)
    recent = rounds.start(store, catalogue, "an", "centrum", MIXED, random.Random(1), size=1)
    _finish(store, catalogue, recent)
    kept = [r for r in store.results_of(trainee="an") if r["round_id"] == recent]
    assert kept
    with store.engine.begin() as conn:
        conn.execute(rounds_table.update().where(rounds_table.c.id == old).values(started_at=utcnow() - dt.timedelta(days=400)))
    monkeypatch.setattr(staff_cli, "StaffStore", lambda: store)
    assert staff_cli.main(["purge-practice"]) == 0
    assert "1 oefenrondes" in capsys.readouterr().out
    assert store.round(old) is None and store.round(recent) is not None
    assert store.results_of(trainee="an") == kept


@pytest.mark.parametrize("topic", [MIXED, "loketten", "aanvragen", "verlies", "thuis"])
def test_every_topic_gives_a_full_round(topic):
    for catalogue in (small_catalogue(), Catalogue.parse_obj(yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8")))):
        for seed in range(3):
            chosen = pick_round(catalogue, TODAY, topic, random.Random(seed))
            assert len(chosen) == 5
            if topic != MIXED:  # the topic first, as far as the catalogue has situations of it
                available = sum(s.topic == topic for s in situations(catalogue, TODAY, random.Random(seed)))
                assert sum(s.topic == topic for s in chosen) == min(5, available), [s.kind for s in chosen]


def test_every_phrasing_reads_right_with_every_person_and_document():
    catalogue = Catalogue.parse_obj(yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8")))
    wrong = re.compile(r"\b(ik (heeft|gaat|komt|is)|mijn (vrouw|man|zoon|dochter) (heb|ga|kom|ben)\b)|\{|\}|\(|uit mijn", re.I)
    for situation in situations(catalogue, TODAY, random.Random(0)):
        lines = texts()["citizen"][situation.kind]
        for line in range(len(lines)):
            for person in texts()["people"]:
                message = phrase(situation, random.Random(0), line=line, person=person)
                assert not wrong.search(message), message
    kids = [s for s in situations(catalogue, TODAY, random.Random(0)) if s.kind == "visit_product" and s.subject == "kids_id"][0]
    for seed in range(20):
        message = phrase(kids, random.Random(seed), line=1)
        assert message.startswith(("Mijn zoon", "Mijn dochter")), message  # a Kids-ID is for a child


def test_a_round_survives_long_odd_answers_and_a_second_tab(store):
    catalogue = small_catalogue()
    round_id = rounds.start(store, catalogue, "an", "centrum", MIXED, random.Random(3), size=2)
    checker = AnswerChecker(catalogue)
    first_step = rounds.step(store.round(round_id))
    rounds.answer(store, checker, round_id, "an", "afspraak\x00\x07 " * 20_000, answered_step=first_step)
    after = store.round(round_id)
    assert after["version"] == 1
    # The same question answered again from a tab that still shows it: refused, nothing changes.
    with pytest.raises(rounds.StaleAnswer):
        rounds.answer(store, checker, round_id, "an", "nog eens", answered_step=first_step)
    assert store.round(round_id)["state"] == after["state"]
    _finish(store, catalogue, round_id)
    asked = sum(len(s["facts"]) for s in store.round(round_id)["state"]["scenarios"])
    assert len(store.results_of(trainee="an")) == asked
