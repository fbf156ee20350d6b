"""Job definitions and their runs.

A run is claimed by inserting `(job_id, fire_time)`: the unique constraint lets exactly one
gateway node do each scheduled fire, however many nodes share the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, PracticeScoped

PATTERNS = ("minutes", "hourly", "daily", "weekly", "monthly", "yearly")


class JobDefinition(PracticeScoped, Base):
    """What to run and when: every `every` minutes/hours/days/weeks/months/years from
    `start_date` at `time_of_day` (practice time zone), until `end_date` (inclusive) or for ever;
    weekly on `weekdays` (0 = Monday), monthly/yearly on `month_day` (end-of-month rule)."""

    __tablename__ = "job_definitions"
    __table_args__ = (UniqueConstraint("practice_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(60))
    connector_id: Mapped[int | None] = mapped_column(ForeignKey("connectors.id"))
    pattern: Mapped[str] = mapped_column(String(20))  # PATTERNS
    every: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[dt.date] = mapped_column()
    time_of_day: Mapped[dt.time] = mapped_column(Time, default=dt.time(0, 0))
    end_date: Mapped[dt.date | None] = mapped_column()
    weekdays: Mapped[list[int] | None] = mapped_column(JSON)
    month_day: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(default=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class JobRun(Keyed, Base):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_id", "fire_time"),)

    job_id: Mapped[int] = mapped_column(ForeignKey("job_definitions.id"), index=True)
    fire_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule / manual
    node: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running / ok / failed
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
