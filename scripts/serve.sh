#!/usr/bin/env bash
# Starts the action server (5055) and the Rasa server (5005) in the foreground; Ctrl-C stops both.
set -euo pipefail
BIN=${BIN:-.venv/bin}
MODEL=${MODEL:-models/stadsloket.tar.gz}
# At DEBUG, Rasa logs every slot value, names and contact details included: keep INFO or above.
export LOG_LEVEL=${LOG_LEVEL:-INFO}

"$BIN/rasa" run actions --actions actions --port 5055 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null; wait "$actions_pid" 2>/dev/null || true' EXIT INT TERM

echo "Starting the assistant: REST channel at http://localhost:5005/webhooks/rest/webhook"
"$BIN/rasa" run --model "$MODEL" --port 5005 --endpoints endpoints.yml \
  --credentials credentials.yml
