"""How the two servers are started, shared by scripts/serve.sh (through endpoints.yml), the
tests and the bench: the action server's command, its shared secret, and the endpoints file
that tells Rasa where the action server is, with that secret, and where conversations go."""
from __future__ import annotations

import secrets
import sys
from typing import List

from serving.action_server import TOKEN_ENV

ENDPOINTS_TEMPLATE = """\
action_endpoint:
  url: "{action_url}/webhook"
  headers:
    Authorization: Bearer ${{{token_env}}}
tracker_store:
  type: serving.conversation_store.ConversationStore
"""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def action_server_command(port: int) -> List[str]:
    return [sys.executable, "-m", "serving.action_server", "--actions", "actions", "--port", str(port)]


def endpoints_yaml(action_url: str) -> str:
    return ENDPOINTS_TEMPLATE.format(action_url=action_url.rstrip("/"), token_env=TOKEN_ENV)
