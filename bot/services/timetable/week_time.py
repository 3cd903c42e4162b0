"""Weekly times: the next local day-and-hour, ISO weeks, and the spread of due times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def next_occurrence(weekday: int, hour: int, after: datetime, zone: ZoneInfo) -> datetime:
    """The first local `weekday` (0 = Monday) at `hour`:00 strictly after `after`, in UTC."""
    local = after.astimezone(zone)
    for days_ahead in range(8):
        day = local.date() + timedelta(days=days_ahead)
        if day.weekday() != weekday:
            continue
        candidate = datetime.combine(day, time(hour), zone)
        if candidate > local:
            return candidate.astimezone(UTC)
    raise AssertionError("a weekday always occurs within eight days")


def iso_week(moment: datetime, zone: ZoneInfo) -> str:
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def spread_offset(user_id: int, window_seconds: int) -> int:
    """A stable per-user offset in [0, window], so 07:00 is a ramp, not a burst."""
    if window_seconds <= 0:
        return 0
    return (user_id * 2654435761) % (window_seconds + 1)


def from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
