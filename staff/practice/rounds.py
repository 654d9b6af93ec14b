"""A practice round: scenarios one by one, the trainee's answer checked, at most one follow-up
question per scenario, the reasons shown, and a score per topic at the end.

State lives in the practice_rounds row (staff/store.py), so a round survives a restart and any
Rasa replica can carry on with it. Only verdicts are stored, never the text a trainee typed.
"""
from __future__ import annotations

import random
from dataclasses import asdict
from typing import Any, Dict, List, Optional

from service_catalogue import schedule
from service_catalogue.model import Catalogue
from staff.practice import facts as F
from staff.practice.answer_check import AnswerChecker, Outcome
from staff.practice.scenarios import MIXED, ROUND_SIZE, Scenario, pick_round, snapshot, topics
from staff.practice.wording import render, texts
from staff.store import StaffStore

MAX_ANSWER_CHARS = 2000


def _fact_to_dict(fact: F.Fact) -> Dict[str, Any]:
    found = asdict(fact)
    found["expect"] = [[k, list(v) if isinstance(v, tuple) else v] for k, v in fact.expect]
    return found


def _fact_from_dict(data: Dict[str, Any]) -> F.Fact:
    expect = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in data["expect"])
    return F.Fact(data["fact_id"], data["subject"], data["statement"], data["source"], data["fingerprint"], expect)


def _scenario_to_dict(s: Scenario) -> Dict[str, Any]:
    return {
        "kind": s.kind, "topic": s.topic, "subject": s.subject,
        "day": s.day.isoformat() if s.day else None, "message": s.message,
        "facts": [_fact_to_dict(f) for f in s.facts],
    }


def changed_for(store: StaffStore, trainee: str, current: Dict[str, str]) -> List[str]:
    """Fact keys whose catalogue data changed since the trainee last practised them.

    A key counts against the last round that drilled it; a key never drilled counts against the
    trainee's last round. A trainee with no round yet has nothing "changed".
    """
    past = sorted(store.rounds_of(trainee), key=lambda r: r["id"])
    if not past:
        return []
    reference: Dict[str, str] = {}
    for done in past:
        drilled = {_fact_from_dict(f).key for s in done["state"]["scenarios"] for f in s["facts"]}
        for key, value in done["snapshot"].items():
            if key in drilled or key not in reference:
                reference[key] = value
    return sorted(key for key, value in current.items() if reference.get(key) != value)


def start(
    store: StaffStore,
    catalogue: Catalogue,
    trainee: str,
    team: str,
    topic: str,
    rng: Optional[random.Random] = None,
    size: int = ROUND_SIZE,
) -> int:
    if topic != MIXED and topic not in topics():
        raise ValueError(f"unknown topic {topic!r}")
    today = schedule.today(catalogue)
    current = snapshot(catalogue, today)
    favour = changed_for(store, trainee, current)
    chosen = pick_round(catalogue, today, topic, rng or random.Random(), favour=favour, size=size)
    state = {
        "scenarios": [_scenario_to_dict(s) for s in chosen],
        "favoured": favour,
        "position": 0,
        "follow_up": None,  # the fact key the citizen asked about
        "verdicts": [{} for _ in chosen],  # per scenario: fact key -> [outcome, after follow-up]
        "last_feedback": None,
    }
    return store.add_round(trainee, team, topic, current, state)


def _facts(scenario: Dict[str, Any]) -> List[F.Fact]:
    return [_fact_from_dict(f) for f in scenario["facts"]]


class StaleAnswer(Exception):
    """The answer was given to a question that is no longer the round's current one."""


def step(found: Dict[str, Any]) -> str:
    """Names the question on screen ("2" or "2:bring:eid" for a follow-up), for the answer form."""
    state = found["state"]
    return f'{state["position"]}:{state["follow_up"] or ""}'.rstrip(":")


def answer(
    store: StaffStore, checker: AnswerChecker, round_id: int, trainee: str, text: str, answered_step: Optional[str] = None
) -> Dict[str, Any]:
    """Checks one answer to the question `answered_step` (None: the current one); returns the
    round's new state. StaleAnswer when that question was answered already (another tab)."""
    found = store.round(round_id)
    if not found or found["trainee"] != trainee or found["finished_at"] is not None:
        raise LookupError("no open round of this trainee")
    if answered_step is not None and answered_step != step(found):
        raise StaleAnswer()
    state = found["state"]
    position = state["position"]
    scenario = state["scenarios"][position]
    facts = _facts(scenario)
    verdicts = state["verdicts"][position]
    text = (text or "")[:MAX_ANSWER_CHARS]
    follow_up = state["follow_up"]
    if follow_up is None:
        for verdict in checker.check(text, facts):
            verdicts[verdict.fact.key] = [verdict.outcome.value, False]
        missed = [f for f in facts if verdicts[f.key][0] == Outcome.MISSED.value]
        asking = next((f for f in missed if f.fact_id in texts()["follow_up"]), None)
        if asking is not None:
            state["follow_up"] = asking.key
            state["last_feedback"] = None
            if not store.save_round(round_id, found["version"], state, False, []):
                raise StaleAnswer()
            return state
    else:
        still_missed = [f for f in facts if verdicts[f.key][0] == Outcome.MISSED.value]
        for verdict in checker.check(text, still_missed, asked=follow_up.split(":")[0]):
            if verdict.outcome is not Outcome.MISSED:
                verdicts[verdict.fact.key] = [verdict.outcome.value, True]
        state["follow_up"] = None
    state["last_feedback"] = {"position": position, "verdicts": verdicts}
    new_results = [
        {
            "trainee": found["trainee"], "team": found["team"],
            "scenario": f'{scenario["kind"]}:{scenario["subject"]}',
            "fact_key": f.key, "fact_id": f.fact_id, "topic": f.topic,
            "outcome": verdicts[f.key][0], "after_follow_up": verdicts[f.key][1],
        }
        for f in facts
    ]
    state["position"] = position + 1
    finished = state["position"] >= len(state["scenarios"])
    if not store.save_round(round_id, found["version"], state, finished, new_results):
        raise StaleAnswer()
    return state


def view(found: Dict[str, Any]) -> Dict[str, Any]:
    """What the page shows of a round: the last feedback, the citizen's next words, the score."""
    state = found["state"]
    scenarios = state["scenarios"]
    shown: Dict[str, Any] = {"round_id": found["id"], "total": len(scenarios), "position": state["position"], "step": step(found)}
    feedback = state.get("last_feedback")
    if feedback:
        scenario = scenarios[feedback["position"]]
        shown["feedback"] = {
            "number": feedback["position"] + 1,
            "message": scenario["message"],
            "facts": [
                {
                    "statement": fact.statement, "source": fact.source,
                    "outcome": feedback["verdicts"][fact.key][0],
                    "label": render("verdict", feedback["verdicts"][fact.key][0]),
                    "after_follow_up": feedback["verdicts"][fact.key][1],
                }
                for fact in _facts(scenario)
            ],
        }
    if state["position"] < len(scenarios):
        scenario = scenarios[state["position"]]
        shown["number"] = state["position"] + 1
        shown["citizen"] = scenario["message"]
        if state["follow_up"]:
            fact_id = state["follow_up"].split(":")[0]
            shown["follow_up"] = texts()["follow_up"][fact_id]
    else:
        shown["score"] = score(state)
    return shown


def score(state: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Per topic: facts hit and facts asked, in the order of the topics list."""
    per_topic: Dict[str, List[int]] = {}
    for scenario, verdicts in zip(state["scenarios"], state["verdicts"]):
        for fact in _facts(scenario):
            if fact.key in verdicts:
                counts = per_topic.setdefault(fact.topic, [0, 0])
                counts[0] += verdicts[fact.key][0] == Outcome.HIT.value
                counts[1] += 1
    names = topics()
    return [
        {"topic": topic, "label": names[topic], "hit": counts[0], "asked": counts[1],
         "percent": round(100 * counts[0] / counts[1]) if counts[1] else 0}
        for topic, counts in sorted(per_topic.items(), key=lambda kv: list(names).index(kv[0]))
    ]
