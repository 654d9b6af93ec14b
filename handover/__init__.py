"""Handing a citizen over to a person in the same chat: the queue, delivery to the channel, pausing."""
