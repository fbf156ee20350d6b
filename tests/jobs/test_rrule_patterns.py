"""Every pattern over years of fires, checked against the calendar itself, across daylight
saving in two zones (New York and Sydney, whose changes fall in opposite halves of the year)."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.jobs.schedule import Plan

UTC = dt.UTC
ZONES = ("America/New_York", "Australia/Sydney")


def walk(plan: Plan, start: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """All fires in [start, until) by stepping next_fire, the way `jobs list` shows them."""
    out = []
    fire = plan.next_fire(start - dt.timedelta(microseconds=1))
    while fire is not None and fire < until:
        out.append(fire)
        fire = plan.next_fire(fire)
    return out


def exists(wall: dt.datetime, zone: ZoneInfo) -> bool:
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def test_daily_0230_keeps_its_wall_time_for_three_years_in_two_zones():
    for tz in ZONES:
        zone = ZoneInfo(tz)
        plan = Plan("daily", 1, dt.date(2026, 1, 1), dt.time(2, 30), None, tz)
        fires = walk(plan, dt.datetime(2025, 12, 31, tzinfo=UTC),
                     dt.datetime(2029, 1, 1, tzinfo=UTC))
        local = [f.astimezone(zone) for f in fires]
        days = [d.date() for d in local]
        assert days[0] == dt.date(2026, 1, 1)
        assert all(b - a == dt.timedelta(days=1) for a, b in zip(days, days[1:], strict=False))
        gaps = 0
        for d in local:
            wall = dt.datetime.combine(d.date(), dt.time(2, 30))
            if exists(wall, zone):
                assert d.time() == dt.time(2, 30), (tz, d)
            else:  # the spring-forward day: the clock jumps past 02:30, the job runs at 03:30
                gaps += 1
                assert d.time() == dt.time(3, 30), (tz, d)
        assert gaps == 3, tz


def test_the_day_after_the_spring_change_in_new_york_is_at_0230():
    """The bug the issue reports: the fire after 8 March 2026 was shown an hour off."""
    plan = Plan("daily", 1, dt.date(2026, 3, 1), dt.time(2, 30), None, "America/New_York")
    after_gap = plan.next_fire(dt.datetime(2026, 3, 8, 8, 0, tzinfo=UTC))
    assert after_gap == dt.datetime(2026, 3, 9, 6, 30, tzinfo=UTC)  # 02:30 EDT


def test_fall_back_runs_once_at_the_first_0130():
    plan = Plan("daily", 1, dt.date(2026, 10, 1), dt.time(1, 30), None, "America/New_York")
    fires = walk(plan, dt.datetime(2026, 10, 31, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC))
    assert fires == [dt.datetime(2026, 10, 31, 5, 30, tzinfo=UTC),
                     dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT, the first one
                     dt.datetime(2026, 11, 2, 6, 30, tzinfo=UTC)]


def test_monthly_on_the_31st_falls_on_each_months_last_day():
    for tz in ZONES:
        zone = ZoneInfo(tz)
        plan = Plan("monthly", 1, dt.date(2026, 1, 1), dt.time(9, 0), None, tz, month_day=31)
        fires = walk(plan, dt.datetime(2025, 12, 1, tzinfo=UTC),
                     dt.datetime(2031, 1, 1, tzinfo=UTC))
        expected = [dt.date(y, m, calendar.monthrange(y, m)[1])
                    for y in range(2026, 2031) for m in range(1, 13)]
        assert [f.astimezone(zone).date() for f in fires] == expected
        assert {f.astimezone(zone).time() for f in fires} == {dt.time(9, 0)}


def test_monthly_every_three_months_on_the_15th_with_an_end():
    plan = Plan("monthly", 3, dt.date(2026, 2, 15), dt.time(8, 0), dt.date(2027, 2, 15), "UTC")
    fires = walk(plan, dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2030, 1, 1, tzinfo=UTC))
    assert [f.date() for f in fires] == [dt.date(2026, 2, 15), dt.date(2026, 5, 15),
                                        dt.date(2026, 8, 15), dt.date(2026, 11, 15),
                                        dt.date(2027, 2, 15)]


def test_yearly_on_29_february_runs_on_the_28th_in_common_years():
    plan = Plan("yearly", 1, dt.date(2028, 2, 29), dt.time(7, 0), None, "America/New_York")
    fires = walk(plan, dt.datetime(2028, 1, 1, tzinfo=UTC), dt.datetime(2037, 1, 1, tzinfo=UTC))
    zone = ZoneInfo("America/New_York")
    assert [f.astimezone(zone).date() for f in fires] == [
        dt.date(y, 2, 29 if calendar.isleap(y) else 28) for y in range(2028, 2037)]


def test_weekly_on_chosen_weekdays_every_two_weeks_across_dst():
    tz = "Australia/Sydney"
    zone = ZoneInfo(tz)
    start = dt.date(2026, 1, 5)  # a Monday
    plan = Plan("weekly", 2, start, dt.time(18, 0), None, tz, weekdays=[0, 2, 4])
    fires = walk(plan, dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2028, 1, 1, tzinfo=UTC))
    local = [f.astimezone(zone) for f in fires]
    expected = [start + dt.timedelta(days=d) for d in range(0, 365 * 2)
                if (start + dt.timedelta(days=d)).weekday() in (0, 2, 4)
                and (d // 7) % 2 == 0 and (start + dt.timedelta(days=d)).year < 2028]
    assert [d.date() for d in local] == expected
    assert {d.time() for d in local} == {dt.time(18, 0)}


def test_hourly_counts_elapsed_hours_across_dst():
    plan = Plan("hourly", 1, dt.date(2026, 3, 7), dt.time(0, 5), None, "America/New_York")
    fires = walk(plan, dt.datetime(2026, 3, 7, 5, 0, tzinfo=UTC),
                 dt.datetime(2026, 3, 10, 5, 0, tzinfo=UTC))
    assert len(fires) == 72
    assert all(b - a == dt.timedelta(hours=1) for a, b in zip(fires, fires[1:], strict=False))


def test_minutes_far_from_the_start_are_quick_and_on_the_grid():
    plan = Plan("minutes", 7, dt.date(2020, 1, 1), dt.time(0, 3), None, "UTC")
    now = dt.datetime(2026, 11, 23, 10, 44, 59, tzinfo=UTC)
    last = plan.last_fire(now)
    assert last is not None and last <= now
    assert (last - dt.datetime(2020, 1, 1, 0, 3, tzinfo=UTC)) % dt.timedelta(minutes=7) == \
        dt.timedelta(0)
    assert plan.next_fire(now) == last + dt.timedelta(minutes=7)


patterns = st.sampled_from(["minutes", "hourly", "daily", "weekly", "monthly", "yearly"])
instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2029, 12, 31),
                        timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(pattern=patterns, every=st.integers(1, 5), tz=st.sampled_from(ZONES), now=instants,
       hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45]))
def test_last_and_next_fire_bracket_now_and_agree(pattern, every, tz, now, hour, minute):
    """Stateless: last_fire(now) <= now < next_fire(now), and no fire lies between them."""
    plan = Plan(pattern, every, dt.date(2025, 12, 20), dt.time(hour, minute), None, tz)
    last, nxt = plan.last_fire(now), plan.next_fire(now)
    assert nxt is not None and nxt > now
    assert last is not None and last <= now
    assert plan.next_fire(last) == nxt
    assert plan.last_fire(nxt - dt.timedelta(microseconds=1)) == last
