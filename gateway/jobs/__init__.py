"""Scheduled jobs: definitions, one-run-per-fire across nodes, run history, APScheduler wiring."""
