"""Checks the action server's answers against Rasa's schema without re-checking the schema.

Rasa 3.6 validates every action server response with `jsonschema.validate(response, schema)`,
which first validates the *schema* against the draft 2020-12 meta-schema, on every call. Profiling
the served assistant (`make bench-profile`) showed that meta-schema check taking about a third of
the Rasa server's CPU time per message. Here the schema is checked once and one validator is
reused; each response is still validated against the same schema, and an invalid one still fails
with the same ValidationError and message.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

from jsonschema import exceptions, validators
from rasa.shared.constants import DOCS_BASE_URL

ADVICE = (
    ". Failed to validate Action server response from API, make sure your response from the "
    "Action endpoint is valid. For more information about the format visit {docs}/custom-actions"
)


@lru_cache(maxsize=None)
def _validator():
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, at the first action call
    return cls(schema)


def validate_action_result(self, result: Dict[str, Any]) -> bool:
    """Drop-in for RemoteAction._validate_action_result (same outcome, schema checked once)."""
    error = exceptions.best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += ADVICE.format(docs=DOCS_BASE_URL)
        raise error
    return True


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result
