"""Rasa NLU component: counter and product entities from the catalogue's names.

Exact names are found by the spaCy pipeline's entity ruler (patterns generated from the catalogue);
this component keeps those, then lets the TermMatcher find mistyped names in the rest of the
message. Values are always catalogue ids. The matcher (names and the training data's ordinary
words) is stored in the trained model, so serving needs no catalogue file.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.lexicon import spacy_lexicon, training_words
from language.term_matching import Match, TermMatcher, Token, simple_tokens
from service_catalogue import load_catalogue

ENTITY_TYPES = ("counter", "product")
MATCHER_FILE = "term_matcher.json"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True, model_from="SpacyNLP"
)
class CatalogueEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def required_components() -> List[type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        matcher: Optional[TermMatcher] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.matcher = matcher

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CatalogueEntityExtractor":
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "CatalogueEntityExtractor":
        with model_storage.read_from(resource) as directory:
            data = json.loads((directory / MATCHER_FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, TermMatcher.from_dict(data))

    def train(self, training_data: TrainingData, model: Optional[SpacyModel] = None) -> Resource:
        # `model` is wired in by Rasa for every component fed by SpacyNLP; training needs no doc.
        self.matcher = TermMatcher.from_catalogue(
            load_catalogue(), training_words(training_data, outside_entities=ENTITY_TYPES)
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MATCHER_FILE).write_text(
                json.dumps(self.matcher.to_dict(), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process(self, messages: List[Message], model: Optional[SpacyModel] = None) -> List[Message]:
        is_word = spacy_lexicon(model)
        for message in messages:
            found = self.entities_of(message, is_word)
            if found:
                entities = message.get(ENTITIES, [])[:] + found
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def entities_of(
        self, message: Message, is_word: Optional[Callable[[str], bool]] = None
    ) -> List[Dict[Text, Any]]:
        text = message.get(TEXT)
        if not text or self.matcher is None:
            return []
        doc = message.get(SPACY_DOCS[TEXT])
        exact: List[Match] = []
        if doc is not None:
            tokens = [Token(t.text, t.idx, t.idx + len(t.text), t.lemma_) for t in doc]
            exact = [
                Match(ent.label_, ent.ent_id_, ent.start_char, ent.end_char, 0)
                for ent in doc.ents
                if ent.label_ in ENTITY_TYPES and ent.ent_id_
            ]
        else:
            tokens = simple_tokens(text)
        fuzzy = self.matcher.find(tokens, taken=[(m.start, m.end) for m in exact], is_word=is_word)
        return [self._entity(match, text) for match in sorted(exact + fuzzy, key=lambda m: m.start)]

    def _entity(self, match: Match, text: str) -> Dict[Text, Any]:
        return self.add_extractor_name(
            [
                {
                    "entity": match.entity,
                    "value": match.value,
                    "start": match.start,
                    "end": match.end,
                    "confidence_entity": match.confidence,
                    "text": text[match.start : match.end],
                }
            ]
        )[0]
