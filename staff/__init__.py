"""The staff side: counter staff sign in on a page served by the Rasa server (never exposed to the
internet) to practise with the assistant playing a citizen.

accounts (who may sign in, with which role) -> sign_in (sessions, CSRF, slowing guessers down) ->
practice (scenarios from the catalogue, answers checked, rounds stored) -> pages (the routes).
"""
