"""Fire times come from the definition alone, so every node computes the same ones."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.jobs.schedule import Plan

UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
       second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_every_15_minutes_floors_to_the_grid():
    plan = Plan("minutes", 15, dt.date(2026, 11, 1), dt.time(0, 0), None, "UTC")
    assert plan.last_fire(at(2026, 11, 23, 10, 44, 59)) == at(2026, 11, 23, 10, 30)
    assert plan.last_fire(at(2026, 11, 23, 10, 45)) == at(2026, 11, 23, 10, 45)
    assert plan.next_fire(at(2026, 11, 23, 10, 45)) == at(2026, 11, 23, 11, 0)


def test_hourly_in_a_zone():
    plan = Plan("hourly", 1, dt.date(2026, 11, 1), dt.time(0, 5), None, "America/New_York")
    assert plan.last_fire(at(2026, 11, 23, 15, 4)) == at(2026, 11, 23, 14, 5)


def test_daily_at_two_in_the_morning_local_time_across_dst():
    plan = Plan("daily", 1, dt.date(2026, 10, 1), dt.time(2, 0), None, "America/New_York")
    # EDT (UTC-4) before 1 Nov 2026, EST (UTC-5) after
    assert plan.last_fire(at(2026, 10, 31, 12, 0)) == at(2026, 10, 31, 6, 0)
    assert plan.last_fire(at(2026, 11, 23, 12, 0)) == at(2026, 11, 23, 7, 0)
    # just before the local 02:00 fire the previous day's fire is the last one
    assert plan.last_fire(at(2026, 11, 23, 6, 59)) == at(2026, 11, 22, 7, 0)


def test_weekly_every_two_weeks():
    plan = Plan("weekly", 2, dt.date(2026, 11, 2), dt.time(6, 0), None, "UTC")
    assert plan.last_fire(at(2026, 11, 20, 0, 0)) == at(2026, 11, 16, 6, 0)
    assert plan.next_fire(at(2026, 11, 20, 0, 0)) == at(2026, 11, 30, 6, 0)


def test_before_start_and_after_end_nothing_fires():
    plan = Plan("daily", 1, dt.date(2026, 11, 10), dt.time(1, 0), dt.date(2026, 11, 12), "UTC")
    assert plan.last_fire(at(2026, 11, 9, 23, 0)) is None
    assert plan.next_fire(at(2026, 11, 9, 23, 0)) == at(2026, 11, 10, 1, 0)
    assert plan.last_fire(at(2026, 11, 12, 5, 0)) == at(2026, 11, 12, 1, 0)
    assert plan.last_fire(at(2026, 11, 14, 5, 0)) is None
    assert plan.next_fire(at(2026, 11, 12, 5, 0)) is None


def test_bad_definitions_are_refused():
    with pytest.raises(ValueError, match="pattern"):
        Plan("fortnightly", 1, dt.date(2026, 1, 1), dt.time(0, 0), None, "UTC")
    with pytest.raises(ValueError, match="weekdays"):
        Plan("daily", 1, dt.date(2026, 1, 1), dt.time(0, 0), None, "UTC", weekdays=[1])
    with pytest.raises(ValueError, match="weekdays"):
        Plan("weekly", 1, dt.date(2026, 1, 1), dt.time(0, 0), None, "UTC", weekdays=[7])
    with pytest.raises(ValueError, match="month_day"):
        Plan("monthly", 1, dt.date(2026, 1, 1), dt.time(0, 0), None, "UTC", month_day=32)
    with pytest.raises(ValueError, match="end date"):
        Plan("daily", 1, dt.date(2026, 1, 2), dt.time(0, 0), dt.date(2026, 1, 1), "UTC")
    with pytest.raises(ValueError, match="every"):
        Plan("daily", 0, dt.date(2026, 1, 1), dt.time(0, 0), None, "UTC")
