"""Rasa NLU component: three kinds of message that DIET cannot be trusted with, recognised by
rule after it and given their own intent.

- **Another language.** py3langid over a fixed set of languages; a message counts as another
  language only with at least `min_words` words, a probability of at least `min_probability`
  and fewer than `max_dutch_share` of its words in the Dutch lexicon. Short messages and the
  words Dutch speakers borrow ("merci", "ok", "sorry") therefore stay Dutch. Intent
  `other_language`, entity `language` (ISO 639-1).
- **A lost or stolen document.** A word for losing or theft with an identity or travel document
  of the catalogue: intent `report_lost_document` (the product stays as the entity).
- **A document named in a message DIET cannot place** (out of scope, or unsure): a question
  about that document (`inform`, as a bare document name is), since the catalogue knows it ("wat moet ik doen
  om mij hier in te schrijven?" names the change of address).
- **A lost reference code** (no document named: a lost PIN letter is a document): a look-up (`check_appointment`), whose form then
  sends the citizen to the contact centre at once, even where DIET could not choose between
  looking up, moving and cancelling.
- **A fact the catalogue does not hold** (price, processing time, validity, accessibility,
  parking, opening hours by the hour, address, how to pay): intent `ask_unknown_fact`, entity
  `fact_aspect`. Asked together with a lost document, the lost document wins: it is what the
  citizen needs first.

The rules are plain functions (`detect_language`, `lost_document`, `unknown_fact_aspect`),
tested on their own; the component only applies them.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language.appointment_phrases import says_code_lost, says_reference_code_lost
from language.lexicon import spacy_lexicon
from language.term_matching import normalise, simple_tokens

# The intents these rules set; they have a few training examples only (tests/test_nlu_data.py).
RULE_INTENTS = {"other_language", "report_lost_document", "ask_unknown_fact"}
LANGUAGES = ["nl", "en", "fr", "de", "es", "it", "pt", "tr", "pl", "ar", "ro", "ru", "uk"]
LOST_PRODUCTS = {"eid", "kids_id", "paspoort", "rijbewijs"}

_LOST = re.compile(
    r"\b(kwijt\w*|verlor\w*|verlies\w*|verliez\w*|gestolen|gepikt|ontvreemd\w*|diefstal|"
    r"inbraak|ingebroken|beroofd|overval\w*|zakkenroller\w*|weg\s*gegeven)\b"
)
_ASPECTS: List[Tuple[str, "re.Pattern"]] = [
    ("price", re.compile(r"\b(kost|kosten|kostte|prijs|prijzen|tarief|tarieven|euro|hoeveel (moet ik )?betalen|"
                         r"hoeveel betaal|(wat|hoeveel) (moet|moeten) (ik|je|we) (\w+ )?betalen)\b|€")),
    ("payment", re.compile(r"\b(bancontact|cash|contant\w*|payconiq|(met|via) (de |een |mijn )?(bank)?kaart "
                           r"(betalen|afrekenen)|hoe (kan ik )?betalen)\b")),
    ("duration", re.compile(r"\b(hoe ?lang duurt|hoeveel tijd|wachttijd\w*|levertijd\w*|doorlooptijd\w*|"
                            r"hoeveel dagen|hoeveel weken|wanneer (is|zal|krijg)\w*\b.{0,40}\b(klaar|thuis|geleverd))\b")),
    ("validity", re.compile(r"\b(geldig|geldigheid\w*|vervaldatum|hoe ?lang blijft)\b")),
    ("access", re.compile(r"\b(rolstoel\w*|rolwagen\w*|toegankelijk\w*|lift|drempel\w*|mindervalide\w*|rollator)\b")),
    ("parking", re.compile(r"\b(parkeer\w*|parking\w*|parkeren)\b")),
    ("hours", re.compile(r"\b(openingsu\w+|openingstijd\w*|middagpauze)\b|"
                         r"\b(hoe laat|welke uren|om hoeveel uur|welk uur)\b.{0,40}\b(open|opent|dicht|sluit\w*|gesloten)\b|"
                         r"\b(open|opent|sluit\w*|dicht)\b.{0,30}\b(hoe laat|welk uur|welke uren)\b")),
    ("address", re.compile(r"\b(adres van (het |de |den |dat |dit )?(stads)?loket|waar ligt|"
                           r"waar (is|zit|vind ik|bevindt zich|ligt) (het|dat|den|de|dit) (stads)?(loket|gebouw|districtshuis)|"
                           r"waar (moet|mag) (ik|we) (precies |juist )(zijn|naartoe|heen)|"
                           r"(welk|het|hun) adres\b|adres\b.{0,40}\b(loket|districtshuis|gebouw|gps)|"
                           r"(loket|districtshuis)\b.{0,30}\badres\b|gps|welke tram|welke bus|routebeschrijving|"
                           r"hoe (geraak|kom|rij) (ik|je|we)\b.{0,20}\b(naar|er|daar))\b")),
]


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


def _words(text: str) -> List[str]:
    return [w for w in (normalise(t.text) for t in simple_tokens(text)) if w.isalpha() and len(w) > 1]


def detect_language(
    text: str,
    is_dutch: Callable[[str], bool],
    min_words: int = 4,
    min_probability: float = 0.95,
    max_dutch_share: float = 0.4,
) -> Optional[str]:
    """The language of a message that is clearly not Dutch, else None."""
    words = _words(text)
    letters = [w for w in text.split() if any(c.isalpha() for c in w)]
    if len(letters) < min_words:
        return None
    language, probability = _identifier().classify(text)
    if language == "nl" or probability < min_probability:
        return None
    if words and sum(1 for w in words if is_dutch(w)) / len(words) >= max_dutch_share:
        return None
    return language


def lost_document(text: str, products: List[str]) -> bool:
    """A lost or stolen identity or travel document (the product named by the entity)."""
    return bool(LOST_PRODUCTS.intersection(products)) and bool(_LOST.search(text.lower()))


# A price or an opening hour is only ours to answer when the question is about the counters: "hoe
# laat sluit de dierentuin" stays out of scope.
_COUNTER_TOPIC = re.compile(r"\b(stadsloket\w*|loket\w*|balie|districtshuis\w*|afspraak|afspraken)\b")


def unknown_fact_aspect(text: str, names_something: bool = False) -> Optional[str]:
    """The aspect asked about, when the question is about the counters or something of the
    catalogue (`names_something`: a counter or product was found in it)."""
    lowered = " ".join(text.lower().split())
    if not names_something and not _COUNTER_TOPIC.search(lowered):
        return None
    for aspect, pattern in _ASPECTS:
        if pattern.search(lowered):
            return aspect
    return None


UNPLACED_INTENTS = {"out_of_scope", "nlu_fallback"}
# These start the look-up form, which hears a lost code itself and keeps what the citizen wanted.
LOOKUP_INTENTS = {"check_appointment", "cancel_appointment", "reschedule_appointment"}


def about_a_known_document(intent: Dict[str, Any], entities: List[Dict[str, Any]]) -> bool:
    """Out of scope or unsure, yet naming exactly one document of the catalogue and no counter."""
    products = {e.get("value") for e in entities if e.get("entity") == "product"}
    counters = [e for e in entities if e.get("entity") == "counter"]
    return intent.get("name") in UNPLACED_INTENTS and len(products) == 1 and not counters


def _entity(name: str, value: str, text: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(text), "extractor": "MessageRules"}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP"
)
class MessageRules(GraphComponent):
    @staticmethod
    def required_components() -> List[type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_words": 4, "min_probability": 0.95, "max_dutch_share": 0.4}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MessageRules":
        return cls(config)

    def process_training_data(self, training_data: TrainingData, model: Optional[SpacyModel] = None) -> TrainingData:
        return training_data

    def process(self, messages: List[Message], model: Optional[SpacyModel] = None) -> List[Message]:
        lexicon = spacy_lexicon(model) or (lambda word: False)
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):  # buttons and typed intents are left alone
                continue
            entities = list(message.get(ENTITIES) or [])
            products = [e["value"] for e in entities if e.get("entity") == "product"]
            language = detect_language(
                text, lexicon, self.config["min_words"], self.config["min_probability"],
                self.config["max_dutch_share"],
            )
            if language:
                self._set(message, "other_language", entities + [_entity("language", language, text)])
            elif lost_document(text, products):
                self._set(message, "report_lost_document", entities)
            elif (says_reference_code_lost(text) and (message.get(INTENT) or {}).get("name") not in LOOKUP_INTENTS) or (
                    says_code_lost(text) and not products
                    and (message.get(INTENT) or {}).get("name") in UNPLACED_INTENTS):
                self._set(message, "check_appointment", entities)
            else:
                named = any(e.get("entity") in ("product", "counter") for e in entities)
                aspect = unknown_fact_aspect(text, named)
                if aspect:
                    self._set(message, "ask_unknown_fact", entities + [_entity("fact_aspect", aspect, text)])
                elif about_a_known_document(message.get(INTENT) or {}, entities):
                    self._set(message, "inform", entities)
        return messages

    @staticmethod
    def _set(message: Message, intent: str, entities: List[Dict[str, Any]]) -> None:
        ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != intent]
        message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + ranking, add_to_output=True)
        message.set(ENTITIES, entities, add_to_output=True)
