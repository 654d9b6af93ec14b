#!/usr/bin/env bash
# Starts the action server (127.0.0.1:5055), the Rasa server (5005: REST, socket.io and any messaging
# channel whose variables are set) and the chat page (8080) in the foreground; Ctrl-C stops all.
set -euo pipefail
BIN=${BIN:-.venv/bin}
MODEL=${MODEL:-models/stadsloket.tar.gz}
WEB=${WEB:-build/web}
PAGE_PORT=${PAGE_PORT:-8080}
# At DEBUG, Rasa logs every slot value, names and contact details included: keep INFO or above.
export LOG_LEVEL=${LOG_LEVEL:-INFO}
# The secret Rasa shows the action server (endpoints.yml); a new one each start unless given.
if [ -z "${STADSLOKET_ACTION_TOKEN:-}" ]; then
  STADSLOKET_ACTION_TOKEN=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
fi
export STADSLOKET_ACTION_TOKEN

"$BIN/python" -m channels.credentials build/credentials.yml
# The action server listens on 127.0.0.1 only and requires the secret (serving/action_server.py).
"$BIN/python" -m serving.action_server --actions actions --port 5055 &
actions_pid=$!
"$BIN/python" -m http.server "$PAGE_PORT" --bind 127.0.0.1 --directory "$WEB" > /dev/null 2>&1 &
page_pid=$!
trap 'kill "$actions_pid" "$page_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT INT TERM

echo "Starting the assistant."
echo "  chat page:    http://localhost:$PAGE_PORT"
echo "  REST channel: http://localhost:5005/webhooks/rest/webhook"
echo "  staff page:   http://localhost:5005/staff (accounts: make staff-user NAME=... ROLE=trainee|teamlead)"
# `python -m serving run` is `rasa run` with the project's server fixes (serving/).
"$BIN/python" -m serving run --model "$MODEL" --port 5005 --endpoints endpoints.yml \
  --credentials build/credentials.yml
