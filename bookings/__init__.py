"""Appointments at the city counters: reference codes, contact details, free slots and storage.

Plain Python on purpose (no Rasa imports): the action server, the staff command line
(`python -m bookings`) and the tests all use the same code.
"""
