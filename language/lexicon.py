"""Which words the assistant knows: the training data's and the Dutch lexicon's."""
from __future__ import annotations

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


def spacy_lexicon(model: Optional[SpacyModel]) -> Optional[Callable[[str], bool]]:
    """Dutch words known to the spaCy pipeline's lemma table (its word forms and its lemmas)."""
    if model is None or not model.model.has_pipe("lemmatizer"):
        return None
    table = model.model.get_pipe("lemmatizer").lookups.get_table("lemma_lookup", None)
    if table is None:
        return None
    lemmas = set(table.values())
    return lambda form: form in table or form in lemmas
