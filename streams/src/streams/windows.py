"""Chart windows on the wall clock: rolling N minutes ending with the current minute, and the current hour."""

from __future__ import annotations

from datetime import UTC, datetime


def window_minutes(name: str, now: float) -> tuple[int, int]:
    """``[start, end)`` in epoch minutes of window ``name`` (``"5m"``, ``"60m"``, ``"hour"``) at ``now``."""
    current = int(now // 60)
    if name == "hour":
        start = current - current % 60
        return start, start + 60
    length = int(name.removesuffix("m"))
    return current + 1 - length, current + 1


def iso_minute(minute: int) -> str:
    """ISO 8601 UTC with ``Z`` of an epoch minute."""
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_hour(hour: int) -> str:
    """ISO 8601 UTC with ``Z`` of an epoch hour."""
    return iso_minute(hour * 60)


def iso_now(now: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
