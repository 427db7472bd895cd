"""UTC hour and day intervals as the DAGs hand them over."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def as_hour(value: datetime) -> datetime:
    """A UTC datetime that must fall exactly on the hour."""
    if value.tzinfo is None:
        raise ValueError(f"{value} has no time zone")
    hour = datetime.fromtimestamp(value.timestamp(), UTC)
    if hour.minute or hour.second or hour.microsecond:
        raise ValueError(f"{value} is not on the hour")
    return hour


def day_hours(day: date) -> list[datetime]:
    """The 24 UTC hours of a day."""
    start = datetime.combine(day, time(), UTC)
    return [start + timedelta(hours=h) for h in range(24)]
