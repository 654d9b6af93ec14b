"""The Rasa server as we serve it: `python -m serving run ...` is `rasa run ...` with the
project's server-side fixes applied first (see action_response_check)."""
