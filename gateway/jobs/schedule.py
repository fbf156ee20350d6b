"""When a job fires, computed from its definition alone.

Every node computes the same fire time for "now", so the fire can be claimed by a row insert.
Daily and weekly steps are counted in wall-clock time of the practice's zone, so a 02:00 job
stays at 02:00 across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

STEP_SECONDS = {"minutes": 60, "hourly": 3600, "daily": 86400, "weekly": 7 * 86400}


class Plan:
    """The schedule of one definition."""

    def __init__(self, pattern: str, every: int, start_date: dt.date, time_of_day: dt.time,
                 end_date: dt.date | None, tz: str) -> None:
        if pattern not in STEP_SECONDS:
            raise ValueError(f"pattern must be one of {', '.join(STEP_SECONDS)}, not {pattern!r}")
        if every < 1:
            raise ValueError("every must be at least 1")
        self.step = dt.timedelta(seconds=STEP_SECONDS[pattern] * every)
        self.zone = ZoneInfo(tz)
        self.anchor = dt.datetime.combine(start_date, time_of_day)  # naive wall clock
        self.end = dt.datetime.combine(end_date, dt.time.max) if end_date else None
        self.wall_clock = pattern in ("daily", "weekly")

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _aware(self, wall: dt.datetime) -> dt.datetime:
        return wall.replace(tzinfo=self.zone).astimezone(dt.UTC)

    def last_fire(self, now: dt.datetime) -> dt.datetime | None:
        """The latest scheduled fire at or before `now` (UTC), or None before the start or
        after the end."""
        if self.wall_clock:
            local_now = self._local(now)
            if local_now < self.anchor:
                return None
            k = (local_now - self.anchor) // self.step
            wall = self.anchor + k * self.step
            if self.end and wall > self.end:
                return None
            fire = self._aware(wall)
            return fire if fire <= now else self._aware(wall - self.step) if k > 0 else None
        anchor = self._aware(self.anchor)
        if now < anchor:
            return None
        fire = anchor + ((now - anchor) // self.step) * self.step
        if self.end and self._local(fire) > self.end:
            return None
        return fire

    def next_fire(self, now: dt.datetime) -> dt.datetime | None:
        """The first scheduled fire strictly after `now`."""
        last = self.last_fire(now)
        if last is None:
            start = self._aware(self.anchor)
            return start if start > now else None
        if self.wall_clock:
            wall = self._local(last) + self.step
            nxt = self._aware(wall)
        else:
            nxt = last + self.step
        if self.end and self._local(nxt) > self.end:
            return None
        return nxt
