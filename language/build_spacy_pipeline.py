"""Builds the Dutch spaCy pipeline that Rasa's SpacyNLP loads, and packages it.

No Dutch spaCy model can be downloaded here, so the pipeline starts from `spacy.blank("nl")`:
Dutch tokenisation, a lookup lemmatizer (its table comes from spacy-lookups-data at build time and
is stored in the pipeline), and an entity ruler whose patterns are the catalogue's names for
counters and products. The pipeline is packaged so that the name in the trained Rasa model
(`nl_stadsloket`) loads wherever the model is served.

Usage: python -m language.build_spacy_pipeline OUTPUT_DIR
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import spacy

from service_catalogue import DEFAULT_PATH, load_catalogue
from service_catalogue.model import Catalogue

PIPELINE_NAME = "stadsloket"  # packaged as nl_stadsloket


def ruler_patterns(catalogue: Catalogue) -> list:
    patterns = []
    for label, entries in (("counter", catalogue.counters), ("product", catalogue.products)):
        for entry in entries.values():
            for name in sorted({entry.name, entry.id, *entry.aliases}):
                patterns.append({"label": label, "pattern": name.lower(), "id": entry.id})
    return patterns


def build(catalogue: Catalogue) -> "spacy.language.Language":
    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()
    ruler.add_patterns(ruler_patterns(catalogue))
    digest = hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()[:12]
    nlp.meta.update(
        {
            "name": PIPELINE_NAME,
            "version": "1.0.0",
            "description": f"Dutch blank pipeline with lookup lemmas and catalogue entities ({digest})",
            "author": "Antwerp city-counter assistant",
            "license": "MIT",
        }
    )
    return nlp


def main(output_dir: str) -> None:
    nlp = build(load_catalogue())
    target = Path(output_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    print(f"spaCy pipeline written to {target} ({', '.join(nlp.pipe_names)})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
