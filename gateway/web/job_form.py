"""The job form's fields turned into the scheduler service's own shapes (`JobIn`, `JobPatch`):
text to numbers, dates and a wall-clock time, blank to "none". Whether a schedule makes sense
is the service's to say (gateway.jobs.service)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from gateway.core.errors import UserError
from gateway.jobs.models import JobDefinition
from gateway.jobs.service import JobIn, JobPatch
from gateway.web.forms import struct_from_form

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OPTIONAL = ("end_date", "month_day", "connector_id", "weekdays")
"""Fields a blank form field sets to none (an edit clears them)."""


def _time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"not a time of day (HH:MM): {text!r}", where="time_of_day") from None


def _params(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise UserError(f"not JSON: {exc.msg} at line {exc.lineno}", where="params") from None
    if not isinstance(value, dict):
        raise UserError("the parameters are a JSON object ({...})", where="params")
    return value


def _fields(form: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in form.items()
            if k in JobIn.__struct_fields__ and k not in ("params", "enabled")}
    if "time_of_day" in data:
        data["time_of_day"] = _time(str(data["time_of_day"]))
    if "weekdays" in data and not isinstance(data["weekdays"], list):
        data["weekdays"] = [data["weekdays"]]
    data["params"] = _params(str(form.get("params") or "{}"))
    data["enabled"] = form.get("enabled") == "on"
    return data


def job_in(form: dict[str, Any]) -> JobIn:
    """A new job from the form (`form_fields` output)."""
    return struct_from_form(_fields(form), JobIn)


def job_patch(form: dict[str, Any]) -> JobPatch:
    """An edit from the form: every field on it, blank optional ones as none."""
    data = _fields(form)
    for name in OPTIONAL:
        data.setdefault(name, None)
    data.pop("kind", None)
    return struct_from_form(data, JobPatch)


def pattern_words(job: JobDefinition) -> str:
    """'every 2 weeks on Mon, Thu at 09:30' for the list (the words only; the rule is the
    service's)."""
    unit = {"minutes": "minute", "hourly": "hour", "daily": "day", "weekly": "week",
            "monthly": "month", "yearly": "year"}.get(job.pattern, job.pattern)
    text = f"every {unit}" if job.every == 1 else f"every {job.every} {unit}s"
    if job.pattern == "weekly" and job.weekdays:
        text += " on " + ", ".join(WEEKDAYS[d] for d in sorted(job.weekdays))
    if job.pattern in ("monthly", "yearly") and job.month_day:
        text += f" on day {job.month_day}"
    if job.pattern not in ("minutes", "hourly"):
        text += " at " + job.time_of_day.strftime("%H:%M")
    return text
