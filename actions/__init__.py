"""The action server's package: answers from the service catalogue (and, later, bookings).

rasa-sdk imports every module of this package and registers the Action subclasses it finds.
"""
