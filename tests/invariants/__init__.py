"""Invariant suites: money rules over random sequences, kill -9 mid import and post."""
