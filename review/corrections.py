"""A wrong turn a reviewer marked, from the staff page to the training data and the tests.

1. The staff page writes each correction as a small masked YAML file under var/review/ (`save`):
   the citizen's message as the transcript shows it, how the assistant read it, the right intent.
2. `make import-review` (`python -m review.corrections import`) turns every file there into an
   NLU example in data/nlu/reviewed.yml and a conversation test in tests/stories/test_reviewed.yml,
   then moves the file to var/review/imported/. The next `make train` learns the example; every
   `make test` after that checks that the message is read right and answered by the rule's action.

Masked values become neutral stand-ins ("[e-mail]" becomes naam@voorbeeld.be): a classifier
learns from the shape of a sentence, and no real person ends up in the training data.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from language.term_matching import TermMatcher, simple_tokens
from privacy import masking
from service_catalogue import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
FOLDER_ENV = "STADSLOKET_REVIEW_DIR"
FOLDER = ROOT / "var" / "review"
NLU_FILE = Path("data/nlu/reviewed.yml")
STORIES_FILE = Path("tests/stories/test_reviewed.yml")
MAX_TEXT = 500

STAND_INS = {
    masking.EMAIL: "naam@voorbeeld.be",
    masking.PHONE: "0470 00 00 00",
    masking.NATIONAL_NUMBER: "00.00.00-000.00",
    masking.CODE: "ABC234",
    masking.LINK: "de link uit de mail",
    masking.NAME: "Jan Peeters",
    masking.NUMBER: "123456789",
    "[contact]": "naam@voorbeeld.be",
}


class CorrectionRefused(ValueError):
    """Not a correction that can become training data (unknown intent, empty or payload text)."""


@dataclass
class Correction:
    conversation: str
    message: str  # masked, as the transcript shows it
    read_as: Optional[str]
    confidence: Optional[float]
    intent: str
    note: str = ""


def domain_intents(root: Path = ROOT) -> List[str]:
    return list(yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))["intents"])


def check(correction: Correction, intents: List[str]) -> Correction:
    text = " ".join((correction.message or "").split())
    if not text or text.startswith("/") or len(text) > MAX_TEXT:
        raise CorrectionRefused("only a typed message of at most 500 characters can be a training example")
    if correction.intent not in intents:
        raise CorrectionRefused(f"'{correction.intent}' is not an intent of the domain")
    return Correction(correction.conversation, text, correction.read_as, correction.confidence, correction.intent,
                      " ".join((correction.note or "").split())[:MAX_TEXT])


def folder() -> Path:
    return Path(os.environ.get(FOLDER_ENV) or FOLDER)


def save(correction: Correction, into: Optional[Path] = None, now: Optional[dt.datetime] = None) -> Path:
    """Writes one correction (already masked) as YAML; a second mark of the same message replaces it."""
    into = into or folder()
    into.mkdir(parents=True, exist_ok=True)
    key = re.sub(r"[^0-9a-f]", "", correction.conversation)[:12]
    digest = hashlib.sha256(correction.message.encode("utf-8")).hexdigest()[:8]
    path = into / f"{key}-{digest}.yml"
    body = {"correction": {**correction.__dict__, "marked_at": (now or dt.datetime.now()).isoformat(timespec="seconds")}}
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load(path: Path) -> Correction:
    data = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("correction") or {}
    fields = {k: data.get(k) for k in ("conversation", "message", "read_as", "confidence", "intent", "note")}
    return Correction(**{k: ("" if v is None and k in ("conversation", "message", "intent", "note") else v)
                         for k, v in fields.items()})


def training_text(masked: str) -> str:
    text = masked
    for placeholder, stand_in in STAND_INS.items():
        text = text.replace(placeholder, stand_in)
    return text.replace("[", "(").replace("]", ")")  # a bracket would read as an entity annotation


def annotated(text: str, matcher: TermMatcher) -> str:
    """The example with the catalogue's counters and products annotated, as data/nlu/ has them."""
    out, last = [], 0
    for match in sorted(matcher.find(simple_tokens(text)), key=lambda m: m.start):
        body = json.dumps({"entity": match.entity, "value": match.value}, ensure_ascii=False)
        out.append(text[last:match.start] + f"[{text[match.start:match.end]}]{body}")
        last = match.end
    return "".join(out) + text[last:]


def answering_action(intent: str, root: Path = ROOT) -> Optional[str]:
    """The action a rule runs right after `intent` outside a form, if one rule says so."""
    for path in sorted((root / "data" / "rules").glob("*.yml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []:
            steps = rule.get("steps") or []
            if rule.get("condition") or len(steps) != 2 or steps[0].get("intent") != intent:
                continue
            if "action" in steps[1]:
                return steps[1]["action"]
    return None


def _known_examples(root: Path) -> set:
    known = set()
    for path in (root / "data" / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in (block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    known.add(_plain(line.strip()[2:]))
    return known


def _plain(example: str) -> str:
    return re.sub(r"\[([^\]]+)\]\{[^}]+\}", r"\1", example).strip().lower()


def _append_example(path: Path, intent: str, example: str) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    blocks: List[Dict] = (data or {}).get("nlu") or []
    block = next((b for b in blocks if b.get("intent") == intent), None)
    if block is None:
        block = {"intent": intent, "examples": ""}
        blocks.append(block)
    block["examples"] = (block["examples"] or "") + f"- {example}\n"
    _write_yaml(path, "# Examples from reviewed conversations (make import-review); masked values are stand-ins.\n",
                {"version": "3.1", "nlu": blocks})


def _append_story(path: Path, name: str, example: str, intent: str, action: Optional[str]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    stories: List[Dict] = (data or {}).get("stories") or []
    steps: List[Dict] = [{"user": example, "intent": intent}]
    if action:
        steps.append({"action": action})
    stories.append({"story": name, "steps": steps})
    _write_yaml(path, "# Conversation tests from reviewed conversations (make import-review).\n",
                {"version": "3.1", "stories": stories})


class _Literal(str):
    pass


class _Dumper(yaml.SafeDumper):
    """Examples as a block (`examples: |`), the way data/nlu/ writes them."""


_Dumper.add_representer(_Literal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                                                                 style="|"))


def _write_yaml(path: Path, header: str, data: Dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for block in data.get("nlu") or []:
        block["examples"] = _Literal(block["examples"])
    path.write_text(header + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000),
                    encoding="utf-8")


def import_all(source: Optional[Path] = None, root: Path = ROOT) -> List[Tuple[Path, str]]:
    """Imports every correction in `source`; returns (file, what happened) for each."""
    source = source or folder()
    intents = domain_intents(root)
    matcher = TermMatcher.from_catalogue(load_catalogue())
    known = _known_examples(root)
    done = []
    for path in sorted(source.glob("*.yml")):
        try:
            correction = check(load(path), intents)
        except CorrectionRefused as refused:
            done.append((path, f"refused: {refused}"))
            (source / "refused").mkdir(exist_ok=True)
            path.rename(source / "refused" / path.name)  # kept for the reviewer, not tried again
            continue
        example = annotated(training_text(correction.message), matcher)
        if _plain(example) in known:
            done.append((path, "already in the training data"))
        else:
            _append_example(root / NLU_FILE, correction.intent, example)
            name = f"reviewed {path.stem}: {correction.read_as or 'unread'} -> {correction.intent}"
            _append_story(root / STORIES_FILE, name, example, correction.intent, answering_action(correction.intent, root))
            known.add(_plain(example))
            done.append((path, f"imported as {correction.intent}"))
        imported = source / "imported"
        imported.mkdir(exist_ok=True)
        path.rename(imported / path.name)
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review.corrections")
    parser.add_argument("command", choices=["import"])
    parser.add_argument("--folder", type=Path, default=None, help=f"default ${FOLDER_ENV} or var/review")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to add to (for trying it on a copy)")
    args = parser.parse_args(argv)
    done = import_all(args.folder, args.root)
    for path, what in done:
        print(f"{path.name}: {what}")
    if not done:
        print(f"no corrections in {args.folder or folder()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
