"""Measuring the assistant's understanding: used by the tests (thresholds) and benchmarks (reports)."""
