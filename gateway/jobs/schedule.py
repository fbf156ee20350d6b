"""When a job fires, computed from its definition alone with dateutil's rrule.

Every node computes the same fire time for "now", so the fire can be claimed by a row insert.
Daily, weekly, monthly and yearly fires are wall-clock times in the practice's zone (a 02:30
job stays at 02:30 across daylight-saving changes; on the spring-forward day, when 02:30 does
not exist, it fires when the clock jumps, 03:30; on the fall-back day it fires once, the first
time 01:30 comes). Minutes and hourly fires count elapsed time from the first fire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule

FREQUENCIES = {
    "minutes": rrule.MINUTELY,
    "hourly": rrule.HOURLY,
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "monthly": rrule.MONTHLY,
    "yearly": rrule.YEARLY,
}
WALL_CLOCK = ("daily", "weekly", "monthly", "yearly")
ELAPSED_STEP = {"minutes": dt.timedelta(minutes=1), "hourly": dt.timedelta(hours=1)}
# the widest daylight-saving jump a wall-clock time can move by (Lord Howe is 30 min, most 1 h)
DST_MARGIN = dt.timedelta(hours=3)


def by_rules(pattern: str, start_date: dt.date, weekdays: Sequence[int] | None,
             month_day: int | None) -> dict[str, Any]:
    """The rrule BY* parts of a pattern; monthly and yearly keep the end-of-month rule: a day
    the month lacks (the 31st in a 30-day month, 29 February) falls on the month's last day."""
    if weekdays and pattern != "weekly":
        raise ValueError("weekdays are only for the weekly pattern")
    if month_day is not None and pattern not in ("monthly", "yearly"):
        raise ValueError("month_day is only for the monthly and yearly patterns")
    if pattern == "weekly":
        days = sorted(set(weekdays or [start_date.weekday()]))
        if any(d < 0 or d > 6 for d in days):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return {"byweekday": days}
    if pattern not in ("monthly", "yearly"):
        return {}
    day = month_day if month_day is not None else start_date.day
    if not 1 <= day <= 31:
        raise ValueError("month_day must be 1 to 31")
    rules: dict[str, Any] = {"bymonthday": day}
    if day > 28:  # the latest of 28..day the month has
        rules = {"bymonthday": tuple(range(28, day + 1)), "bysetpos": -1}
    if pattern == "yearly":
        rules["bymonth"] = start_date.month
    return rules


def practice_today(tz: str) -> dt.date:
    """Today in the practice's time zone: the default start date of a new job. A schedule is
    read in that zone, so the server's (UTC) date can lie in the practice's future, and an
    hourly job started then would not fire until the practice's midnight."""
    return dt.datetime.now(ZoneInfo(tz)).date()


class Plan:
    """The schedule of one definition."""

    def __init__(self, pattern: str, every: int, start_date: dt.date, time_of_day: dt.time,
                 end_date: dt.date | None, tz: str, *, weekdays: Sequence[int] | None = None,
                 month_day: int | None = None) -> None:
        if pattern not in FREQUENCIES:
            raise ValueError(f"pattern must be one of {', '.join(FREQUENCIES)}, not {pattern!r}")
        if every < 1:
            raise ValueError("every must be at least 1")
        if end_date is not None and end_date < start_date:
            raise ValueError("the end date is before the start date")
        self.pattern, self.every = pattern, every
        self.zone = ZoneInfo(tz)
        self.start = dt.datetime.combine(start_date, time_of_day.replace(tzinfo=None))
        self.end = dt.datetime.combine(end_date, dt.time.max) if end_date else None
        self.wall_clock = pattern in WALL_CLOCK
        self.rule: rrule.rrule | None = None
        if self.wall_clock:
            self.rule = rrule.rrule(
                FREQUENCIES[pattern], interval=every, dtstart=self.start, until=self.end,
                cache=False, **by_rules(pattern, start_date, weekdays, month_day))
        else:
            by_rules(pattern, start_date, weekdays, month_day)  # refuses weekdays / month_day

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _aware(self, wall: dt.datetime) -> dt.datetime:
        return wall.replace(tzinfo=self.zone, fold=0).astimezone(dt.UTC)

    def _elapsed_rule(self, near: dt.datetime) -> rrule.rrule:
        """Minutes/hourly fires as an rrule in UTC, started on the grid a step or two before
        `near` so rrule need not walk from the first fire (same grid, same fires)."""
        first = self._aware(self.start)
        step = ELAPSED_STEP[self.pattern] * self.every
        skip = max(0, (near - first) // step - 2)
        until = self._aware(self.end) if self.end else None
        return rrule.rrule(FREQUENCIES[self.pattern], interval=self.every,
                           dtstart=first + skip * step, until=until, cache=False)

    def last_fire(self, now: dt.datetime) -> dt.datetime | None:
        """The latest scheduled fire at or before `now` (UTC); None before the first, and
        None once the end date is past (a node down on the last day does not run it late)."""
        if self.end is not None and self._local(now) > self.end:
            return None
        if self.rule is None:
            fire: dt.datetime | None = self._elapsed_rule(now).before(now, inc=True)
            return fire.astimezone(dt.UTC) if fire else None
        wall = self.rule.before(self._local(now) + DST_MARGIN, inc=True)
        while wall is not None and self._aware(wall) > now:
            wall = self.rule.before(wall)
        return self._aware(wall) if wall is not None else None

    def next_fire(self, now: dt.datetime) -> dt.datetime | None:
        """The first scheduled fire strictly after `now`, or None after the last."""
        if self.rule is None:
            fire: dt.datetime | None = self._elapsed_rule(now).after(now)
            return fire.astimezone(dt.UTC) if fire else None
        wall = self.rule.after(self._local(now) - DST_MARGIN)
        while wall is not None and self._aware(wall) <= now:
            wall = self.rule.after(wall)
        return self._aware(wall) if wall is not None else None

    def fires(self, after: dt.datetime, count: int) -> list[dt.datetime]:
        """The next `count` fires after `after` (for listings)."""
        out: list[dt.datetime] = []
        moment: dt.datetime | None = after
        while moment is not None and len(out) < count:
            moment = self.next_fire(moment)
            if moment is not None:
                out.append(moment)
        return out
