"""Which words the assistant knows: the training data's and the Dutch lexicon's."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Iterable, Optional

from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.term_matching import normalise, simple_tokens


def training_words(training_data: TrainingData, outside_entities: Iterable[str] = ()) -> set:
    """Normalised words of the training examples; words inside the named entity types left out."""
    skip = set(outside_entities)
    words = set()
    for example in training_data.intent_examples:
        text = example.get(TEXT) or ""
        spans = [(e["start"], e["end"]) for e in example.get(ENTITIES, []) if e["entity"] in skip]
        for token in simple_tokens(text):
            if not any(token.start < end and start < token.end for start, end in spans):
                words.add(normalise(token.text))
    return words


COLLOQUIAL_WORDS = Path(__file__).with_name("colloquial_words.txt")


def colloquial_words() -> set:
    lines = COLLOQUIAL_WORDS.read_text(encoding="utf-8").splitlines()
    return {normalise(line) for line in lines if line.strip() and not line.startswith("#")}


def spacy_lexicon(model: Optional[SpacyModel]) -> Optional[Callable[[str], bool]]:
    """Dutch words known to the spaCy pipeline's lemma table (its word forms and its lemmas),
    plus the colloquial Flemish words that table lacks."""
    return _lexicon_of(model.model) if model is not None else None


@functools.lru_cache(maxsize=2)
def _lexicon_of(nlp) -> Optional[Callable[[str], bool]]:
    # Built once per loaded pipeline and shared by the components that ask for it.
    if not nlp.has_pipe("lemmatizer"):
        return None
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup", None)
    if table is None:
        return None
    words = set(table.values()) | colloquial_words()
    return lambda form: form in table or form in words
