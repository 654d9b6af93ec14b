"""Conversations: the conversation tests' pass rate, and the turns a citizen needs to book.

The test stories are run by `rasa test core` on the served model. The turns are counted on the
served assistant itself, from "I want an appointment" to the reference code, in the two ways
people book: everything in one sentence, or answering question by question, clicking the first
offered button whenever there is one (as a hurried user on the widget would).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import List, Optional

from bench import ROOT
from bench.client import say
from bench.servers import MODEL, Served, run_rasa
from bench.throughput import CODE, CONTACT_QUESTION, NAME, NAME_QUESTION, booking_wish, plan_slots

STORIES = ROOT / "tests" / "stories"
MAX_TURNS = 15


def story_tests(workdir: Path) -> dict:
    out = workdir / "stories"
    run_rasa(["test", "core", "--model", str(MODEL), "--stories", str(STORIES), "--out", str(out)],
             cwd=ROOT, log=workdir / "stories.log")
    report = json.loads((out / "story_report.json").read_text())
    stories = report.get("conversation_accuracy", {})
    return {
        "method": (
            f"`rasa test core` with the served model on {STORIES.relative_to(ROOT)}: a story "
            "passes when every predicted action is the written one."
        ),
        "stories": stories.get("total"),
        "stories_passed": stories.get("correct"),
        "pass_rate": round(stories["accuracy"], 4) if "accuracy" in stories else None,
        "action_accuracy": round(report["accuracy"], 4) if "accuracy" in report else None,
    }


def _next_message(reply_messages: List[dict], contact: str) -> Optional[str]:
    """What a hurried citizen answers: the first button, else the name or contact asked for."""
    for message in reply_messages:
        if message.get("buttons"):
            return message["buttons"][0]["payload"]
    text = "\n".join(m.get("text") or "" for m in reply_messages)
    if NAME_QUESTION in text:
        return NAME
    if CONTACT_QUESTION in text:
        return contact
    return None


def _count(served: Served, sender: str, first: str, contact: str) -> dict:
    message, turns, transcript = first, 0, []
    while message is not None and turns < MAX_TURNS:
        reply = say(served.url, sender, message)
        turns += 1
        transcript.append({"user": message, "bot": reply.text})
        if reply.error:
            return {"turns": turns, "booked": False, "error": reply.error, "transcript": transcript}
        if CODE.search(reply.text):
            return {"turns": turns, "booked": True, "transcript": transcript}
        message = _next_message(reply.messages, contact)
    return {"turns": turns, "booked": False, "error": "no reference code", "transcript": transcript}


def booking_turns(served: Served) -> dict:
    one_sentence = booking_wish(plan_slots(1)[0])
    stamp = dt.datetime.now().strftime("%H%M%S")
    results = {
        "everything_in_one_sentence": _count(served, f"turns-one-{stamp}", one_sentence,
                                              "burger.een@example.be"),
        "question_by_question": _count(served, f"turns-steps-{stamp}", "Ik wil een afspraak maken",
                                        "burger.twee@example.be"),
    }
    return {
        "method": (
            "User turns on the served assistant from the first message to the reply with a "
            "reference code. One sentence: document, counter, day and hour at once, then name, "
            "e-mail and 'ja'. Question by question: 'Ik wil een afspraak maken', then the first "
            "offered button at every question that has buttons, the name and an e-mail address "
            f"where asked ({MAX_TURNS} turns at most)."
        ),
        **results,
    }
