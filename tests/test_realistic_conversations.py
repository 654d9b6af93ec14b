"""The realistic set (tests/conversations/realistic.yml) through the served assistant.

Written by a separate writer who never opened data/, never trained on and never tuned against.
At least 90 % of its cases must pass; every failure is printed with the reply it got, and the
figures go to reports/realistic.json.
"""
from __future__ import annotations

import json

import pytest

from evaluation.realistic import describe_failure, load_cases, run, summary
from tests.conftest import ROOT, RasaServer

pytestmark = pytest.mark.model
THRESHOLD = 0.90


@pytest.fixture(scope="module")
def served(action_server, tmp_path_factory):
    server = RasaServer(action_server, tmp_path_factory.mktemp("realistic"), ROOT / "credentials.yml")
    yield server
    server.stop()


def test_the_set_is_large_and_covers_every_kind():
    cases = load_cases()
    assert len(cases) >= 60 and len({c["id"] for c in cases}) == len(cases)
    assert {"lost_or_stolen", "two_questions", "other_language", "unknown_fact", "new_resident",
            "lost_code", "leave_form"} <= {c["category"] for c in cases}
    assert all(c.get("must") or c.get("must_not") for c in cases)


def answered_well(served, cases, report_name: str) -> None:
    """Runs the cases, writes the figures to reports/, prints every failure, asserts the rate."""
    results = run(served.url, cases)
    report = summary(results)
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / report_name).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    for result in results:
        if not result.passed:
            print(describe_failure(result))
    print(f"{report['passed']}/{report['cases']} passed; {report['per_category']}")
    assert report["rate"] >= THRESHOLD, f"{report['rate']:.1%} < {THRESHOLD:.0%}; failures printed above"


def test_realistic_messages_are_answered_well(served):
    answered_well(served, load_cases(), "realistic.json")


BOOKING_LIFE = ROOT / "tests" / "conversations" / "booking_life.yml"


def test_the_booking_life_set_is_answered_well(served):
    """Lost codes, counter addresses and households (tests/conversations/booking_life.yml), by a
    second separate writer who never opened data/; figures to reports/booking_life.json."""
    cases = load_cases(BOOKING_LIFE)
    assert {"lost_code", "counter_address", "household"} <= {c["category"] for c in cases}
    answered_well(served, cases, "booking_life.json")
