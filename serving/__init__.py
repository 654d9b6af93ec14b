"""The Rasa server as we serve it: `python -m serving run ...` is `rasa run ...` with the
project's fixes and guards installed first, and `python -m serving.action_server` is the action
server behind a shared secret.

- action_response_check: the action answers' schema checked once (found by profiling);
- message_guard, rate_limits, http_guard: limits on what one message or client can do;
- action_calls: an action server that is down or hangs gets an answer within seconds;
- conversation_store: conversations on disk, and errors said instead of hidden.
"""


def install() -> None:
    from serving import action_calls, action_response_check, conversation_store, http_guard, message_guard

    action_response_check.install()
    action_calls.install()
    conversation_store.install()
    http_guard.install()
    message_guard.install()
