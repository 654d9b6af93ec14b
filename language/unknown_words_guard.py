"""Rasa NLU component: a message made mostly of unknown words is not understood.

DIET spreads its confidence over the intents it knows, so "xqzt vlorp" can come out as `affirm`
at 0.9. When fewer than `min_known_share` of a message's words occur in the training data or the
Dutch lexicon (and it names no counter or product), this component sets the intent confidence to
zero, so that the FallbackClassifier after it asks what was meant instead of guessing.
Messages of a single word are left alone (see `min_words`).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.lexicon import spacy_lexicon, training_words
from language.term_matching import normalise, simple_tokens

VOCABULARY_FILE = "vocabulary.json"


def known_share(words: List[str], is_known: Callable[[str], bool]) -> float:
    return sum(1 for w in words if is_known(w)) / len(words) if words else 1.0


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True, model_from="SpacyNLP"
)
class UnknownWordsGuard(GraphComponent):
    @staticmethod
    def required_components() -> List[type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # One-word messages are left to DIET: its character n-grams read "okido" or "jawel",
        # which no lexicon here lists, better than a word count can.
        return {"min_known_share": 0.5, "min_words": 2}

    def __init__(
        self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, vocabulary=()
    ) -> None:
        self.min_known_share = config["min_known_share"]
        self.min_words = config["min_words"]
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = set(vocabulary)
        self._lexicon: Optional[Callable[[str], bool]] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UnknownWordsGuard":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "UnknownWordsGuard":
        with model_storage.read_from(resource) as directory:
            vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData, model: Optional[SpacyModel] = None) -> Resource:
        self.vocabulary = training_words(training_data)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(self.vocabulary), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def is_known(self, word: str) -> bool:
        return word in self.vocabulary or (self._lexicon is not None and self._lexicon(word))

    def process(self, messages: List[Message], model: Optional[SpacyModel] = None) -> List[Message]:
        self._lexicon = spacy_lexicon(model)
        for message in messages:
            intent = message.get(INTENT)
            if not intent or message.get(ENTITIES):
                continue
            words = [normalise(t.text) for t in simple_tokens(message.get(TEXT) or "")]
            words = [w for w in words if len(w) > 1 and not w.isdigit()]
            if len(words) >= self.min_words and known_share(words, self.is_known) < self.min_known_share:
                message.set(INTENT, {**intent, "confidence": 0.0}, add_to_output=True)
                ranking = message.get(INTENT_RANKING_KEY) or []
                message.set(
                    INTENT_RANKING_KEY,
                    [{**item, "confidence": 0.0} for item in ranking],
                    add_to_output=True,
                )
        return messages
