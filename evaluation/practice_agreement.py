"""How often the practice answer checker agrees with a person's grades.

`python -m evaluation.practice_agreement [file]` prints agreement per fact decision and per whole
answer, and every disagreement. The graded files (tests/practice/) were written and graded by
writers who did not see the checker; graded_answers_round3.yml, the default, is held out (never
read to tune the checker).
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from service_catalogue import load_catalogue
from service_catalogue.model import Catalogue
from staff.practice import facts as F
from staff.practice.answer_check import AnswerChecker

HELD_OUT = Path("tests/practice/graded_answers_round3.yml")
# The writer's names for kinds and facts, which predate the generic ones.
KINDS = {"linkeroever_redirect": "redirected_counter", "berendrecht_day": "limited_days", "address_change": "deadline_product"}
FACT_IDS = {"berendrecht_open_day": "open_day", "berendrecht_alternation": "days_rule"}
TODAY = dt.date(2026, 11, 30)  # a fixed Monday, so that grades of "this week" stay true


def _day_in_week(parity: str, weekday: str) -> dt.date:
    index = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag").index(weekday)
    day = TODAY
    while True:
        week = day.isocalendar()[1]
        if (week % 2 == 0) == (parity == "even") and day.weekday() == index:
            return day
        day += dt.timedelta(days=1)


def scenario_facts(catalogue: Catalogue, spec: Dict) -> Dict[str, F.Fact]:
    """The facts of one graded item's scenario, by the writer's fact id."""
    kind = KINDS.get(spec["kind"], spec["kind"])
    product = catalogue.products.get(spec.get("product", ""))
    found: List = []
    if kind == "redirected_counter":
        counter = catalogue.counters["linkeroever"]
        found = [F.redirect_counters(catalogue, counter, TODAY), F.appointment_only(catalogue)]
    elif kind == "limited_days":
        counter = catalogue.counters["berendrecht"]
        asked = _day_in_week(spec["week"], spec["asked"])
        found = [F.open_day(catalogue, counter, asked), F.days_rule(catalogue, counter, TODAY), F.any_counter(catalogue, counter)]
    elif kind == "remote_product":
        found = [F.no_visit(catalogue, product), F.online(catalogue, product), F.phone_number(catalogue, product)]
    elif kind == "visit_product":
        found = [F.appointment_only(catalogue), F.bring(catalogue, product), F.home_delivery(catalogue, product)]
    elif kind == "lost_or_stolen":
        found = [F.police_report(catalogue, product), F.appointment_only(catalogue), F.bring(catalogue, product)]
    elif kind == "home_visit":
        found = [F.home_visit(catalogue, product)]
    elif kind == "deadline_product":
        product = catalogue.products["adreswijziging"]
        found = [F.online(catalogue, product), F.legal_deadline(catalogue, product)]
    facts = {f.fact_id: f for f in found if f is not None}
    return facts


@dataclass
class Agreement:
    decisions: int
    agreed: int
    answers: int
    answers_agreed: int
    disagreements: List[Tuple[str, str, str, str]]

    @property
    def per_fact(self) -> float:
        return self.agreed / self.decisions if self.decisions else 0.0

    @property
    def per_answer(self) -> float:
        return self.answers_agreed / self.answers if self.answers else 0.0


def measure(path: Path, catalogue: Catalogue = None) -> Agreement:
    catalogue = catalogue or load_catalogue()
    checker = AnswerChecker(catalogue)
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    result = Agreement(0, 0, 0, 0, [])
    for item in items:
        facts = scenario_facts(catalogue, item["scenario"])
        grades = {FACT_IDS.get(k, k): v for k, v in item["grades"].items()}
        missing = set(grades) - set(facts)
        if missing:
            raise ValueError(f"{item['scenario']}: no fact for {sorted(missing)}")
        verdicts = {v.fact.fact_id: v.outcome.value for v in checker.check(item["answer"], [facts[k] for k in grades])}
        all_agree = True
        for fact_id, grade in grades.items():
            result.decisions += 1
            if verdicts[fact_id] == grade:
                result.agreed += 1
            else:
                all_agree = False
                result.disagreements.append((item["answer"], fact_id, grade, verdicts[fact_id]))
        result.answers += 1
        result.answers_agreed += all_agree
    return result


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HELD_OUT
    result = measure(path)
    print(f"{path}: {result.answers} answers, {result.decisions} fact decisions")
    print(f"agreement per fact decision: {result.agreed}/{result.decisions} = {result.per_fact:.3f}")
    print(f"answers graded exactly alike: {result.answers_agreed}/{result.answers} = {result.per_answer:.3f}")
    for answer, fact_id, grade, verdict in result.disagreements:
        print(f"- {fact_id}: person {grade}, checker {verdict}: {answer}")


if __name__ == "__main__":
    main()
