"""Booking confirmations leave the assistant by e-mail (with a calendar file) or SMS through these transports."""
