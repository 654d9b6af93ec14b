"""Practice mode: the assistant plays a citizen in scenarios made from the service catalogue, and
checks a trainee's free Dutch answer for the facts that scenario needs.

facts (what there is to know, with its source and a fingerprint to notice changes) -> scenarios
(a citizen's situation and message) -> answer_check (which facts an answer got) -> rounds (a
round of scenarios, follow-up questions, the score) -> progress (rounds stored for the team lead).
Nothing here books or reads the booking tables.
"""
