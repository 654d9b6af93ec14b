"""Reads Rasa NLU YAML files into examples with entity spans, and writes them back."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Tuple, Union

import yaml

ANNOTATION = re.compile(r"\[([^\]]+)\]\{([^}]+)\}")


@dataclass
class Entity:
    entity: str
    value: str
    start: int
    end: int


@dataclass
class Example:
    intent: str
    text: str
    entities: List[Entity] = field(default_factory=list)

    def segments(self) -> List[Tuple[str, Union[Entity, None]]]:
        """The text cut into plain pieces and entity pieces, in order."""
        pieces, position = [], 0
        for entity in sorted(self.entities, key=lambda e: e.start):
            pieces.append((self.text[position : entity.start], None))
            pieces.append((self.text[entity.start : entity.end], entity))
            position = entity.end
        pieces.append((self.text[position:], None))
        return [(text, entity) for text, entity in pieces if text or entity]

    def to_markdown(self) -> str:
        out = []
        for text, entity in self.segments():
            if entity is None:
                out.append(text)
            else:
                body = json.dumps(
                    {"entity": entity.entity, "value": entity.value}, ensure_ascii=False
                )
                out.append(f"[{text}]{body}")
        return "".join(out)


def parse_line(intent: str, line: str) -> Example:
    text, entities, position = [], [], 0
    length = 0
    for match in ANNOTATION.finditer(line):
        before = line[position : match.start()]
        text.append(before)
        length += len(before)
        body = json.loads("{" + match.group(2) + "}")
        surface = match.group(1)
        entities.append(
            Entity(body["entity"], str(body.get("value", surface)), length, length + len(surface))
        )
        text.append(surface)
        length += len(surface)
        position = match.end()
    text.append(line[position:])
    return Example(intent, "".join(text), entities)


def read_examples(path: Path) -> List[Example]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    examples = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(parse_line(block["intent"], line[2:].strip()))
    return examples


def write_examples(examples: List[Example], path: Path) -> None:
    by_intent = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(example.to_markdown())
    blocks = [
        {"intent": intent, "examples": "".join(f"- {line}\n" for line in lines)}
        for intent, lines in by_intent.items()
    ]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(
        yaml.safe_dump(
            {"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False, width=200
        ),
        encoding="utf-8",
    )
