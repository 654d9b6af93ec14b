"""The action server's package: answers from the service catalogue (and, later, bookings).

rasa-sdk imports every module of this package and registers the Action subclasses it finds.
Reading the catalogue here makes a bad catalogue stop the action server at start-up, with a
message naming the field, instead of failing a citizen's first question.
"""
from service_catalogue import load_catalogue

load_catalogue()
