"""Runs the realistic conversation set (tests/conversations/realistic.yml) against a served
assistant over its REST channel and scores each case on what the reply must and must not say.

The set was written by a separate writer who never opened data/; it is never trained on nor
tuned against. Each case is a new conversation; the checks apply to the reply to its last turn
(texts and button titles), case-insensitively.

    python -m evaluation.realistic http://localhost:5005 [--out reports/realistic.json]
"""
from __future__ import annotations

import argparse
import json
import urllib.request
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "conversations" / "realistic.yml"


@dataclass
class Result:
    id: str
    category: str
    said: str
    reply: str
    missing: List[List[str]] = field(default_factory=list)  # must-groups with no hit
    forbidden: List[str] = field(default_factory=list)  # must_not phrases found

    @property
    def passed(self) -> bool:
        return not self.missing and not self.forbidden


def load_cases(path: Path = CASES) -> list:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]


def reply_text(messages: list) -> str:
    parts = []
    for message in messages:
        parts.append(message.get("text") or "")
        parts += [button.get("title") or "" for button in message.get("buttons") or []]
    return "\n".join(p for p in parts if p)


def say(base_url: str, sender: str, text: str, timeout: float = 60) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    request = urllib.request.Request(f"{base_url}/webhooks/rest/webhook", body,
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return reply_text(json.loads(response.read() or b"[]"))


def judge(case: dict, reply: str) -> Result:
    lowered = reply.lower()
    missing = [group for group in case.get("must") or [] if not any(p.lower() in lowered for p in group)]
    forbidden = [p for p in case.get("must_not") or [] if p.lower() in lowered]
    return Result(case["id"], case["category"], case["turns"][-1]["say"], reply, missing, forbidden)


def run(base_url: str, cases: Optional[list] = None) -> List[Result]:
    results = []
    for case in cases if cases is not None else load_cases():
        sender = f"realistic-{case['id']}-{uuid.uuid4().hex[:6]}"
        reply = ""
        for turn in case["turns"]:
            reply = say(base_url, sender, turn["say"])
        results.append(judge(case, reply))
    return results


def summary(results: List[Result]) -> dict:
    per_category = Counter(r.category for r in results)
    passed = Counter(r.category for r in results if r.passed)
    return {
        "passed": sum(passed.values()),
        "cases": len(results),
        "rate": round(sum(passed.values()) / len(results), 3) if results else 0.0,
        "per_category": {c: f"{passed[c]}/{n}" for c, n in sorted(per_category.items())},
        "failures": [dict(asdict(r), passed=False) for r in results if not r.passed],
    }


def describe_failure(result: Result) -> str:
    why = [f"missing one of {group}" for group in result.missing]
    why += [f"must not say {phrase!r}" for phrase in result.forbidden]
    return f"[{result.id}] {result.said}\n  -> {result.reply!r}\n  ({'; '.join(why)})"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.realistic")
    parser.add_argument("url")
    parser.add_argument("--out", default=str(ROOT / "reports" / "realistic.json"))
    args = parser.parse_args()
    results = run(args.url.rstrip("/"))
    report = summary(results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    for result in results:
        if not result.passed:
            print(describe_failure(result))
    print(f"{report['passed']}/{report['cases']} passed ({report['rate']:.1%}); {report['per_category']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
