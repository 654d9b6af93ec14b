"""The practice texts (texts.nl.yml) and a fact's source as staff read it."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict

import yaml

from service_catalogue.model import Source

TEXTS_FILE = Path(__file__).with_name("texts.nl.yml")


@functools.lru_cache(maxsize=1)
def texts() -> Dict[str, Any]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def render(*path: str, **values: Any) -> str:
    node: Any = texts()
    for part in path:
        node = node[part]
    return node.format_map(values)


def source_label(source: Source) -> str:
    """'bron A6', 'aanname B3', or 'aanname' for an assumption without a B-number."""
    if not source.assumption:
        return render("source_authoritative", ref=source.ref)
    if source.ref:
        return render("source_assumption", ref=source.ref)
    return render("source_assumption_plain")
