"""ISO 8601 in UTC with a ``Z`` suffix: the one timestamp format of every message and report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Precision = Literal["seconds", "milliseconds"]


def iso_z(moment: datetime | float, timespec: Precision = "milliseconds") -> str:
    """``moment`` (aware datetime or epoch seconds) as ``2025-04-23T14:29:00.123Z``, truncated."""
    at = datetime.fromtimestamp(moment, UTC) if isinstance(moment, int | float) else moment.astimezone(UTC)
    return at.isoformat(timespec=timespec).replace("+00:00", "Z")
