"""The Dutch language layer: the spaCy pipeline and catalogue-driven entity matching."""
