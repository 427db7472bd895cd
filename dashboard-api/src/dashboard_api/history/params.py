"""Validated query parameters of the history endpoints (bad values → 422 naming the field)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from dashboard_api.errors import invalid

MAX_TREND_SPAN = timedelta(days=366)

# The exact forms the parameters accept, published as their OpenAPI patterns: a calendar date of the
# years 1900-2199 (leap days included; the bounds keep every "+1 hour/day" far from datetime's
# limits), ISO 8601 times, an optional Z or whole-hour offset (none means UTC).
_YEAR = r"(?:19|2[01])\d{2}"
_LEAP = r"(?:(?:19|2[01])(?:0[48]|[2468][048]|[13579][26])|2000)"
DATE = (
    rf"{_YEAR}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    rf"|{_LEAP}-02-29"
)
_HOURS = r"(?:[01]\d|2[0-3])"
_OFFSET = rf"(?:Z|[+-]{_HOURS}:00)?"
HOUR = rf"^(?:{DATE})T{_HOURS}:00(?::00(?:\.0{{1,6}})?)?{_OFFSET}$"
INSTANT = rf"^(?:{DATE})T{_HOURS}:[0-5]\d(?::[0-5]\d(?:\.\d{{1,6}})?)?{_OFFSET}$"


def _matching(pattern: str, example: str) -> tuple[BeforeValidator, WithJsonSchema]:
    """Accept only strings matching ``pattern``; publish it, with ``example``, as the parameter's schema."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not compiled.match(value):
            raise ValueError(f"must look like {example}")
        return value

    return BeforeValidator(check), WithJsonSchema(
        {"type": "string", "pattern": pattern, "examples": [example]}
    )


def _utc(value: datetime) -> datetime:
    # The contract speaks UTC; a timestamp without an offset is read as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Hour = Annotated[
    datetime,
    Query(
        description="Start of an hour, ISO 8601 (UTC unless an offset says otherwise)",
        examples=["2025-04-23T14:00Z"],
    ),
    *_matching(HOUR, "2025-04-23T14:00Z"),
    AfterValidator(_utc),
]
Day = Annotated[
    date,
    Query(alias="date", description="UTC day (1900-2199)", examples=["2025-04-23"]),
    *_matching(f"^(?:{DATE})$", "2025-04-23"),
]
# No NUL: PostgreSQL's text cannot hold one, so no stored song has it (the query would fail).
SongId = Annotated[str, Query(min_length=1, max_length=128, pattern="^[^\x00]+$", examples=["s-001"])]
Instant = Annotated[datetime, *_matching(INSTANT, "2025-04-23T14:30Z"), AfterValidator(_utc)]


async def trend_window(
    from_: Annotated[
        Instant,
        Query(
            alias="from",
            description="Inclusive start, rounded down to its hour",
            examples=["2025-04-23T00:00Z"],
        ),
    ],
    to: Annotated[
        Instant,
        Query(
            description=f"Exclusive end, rounded up to its hour: after `from`, at most {MAX_TREND_SPAN.days} "
            "days later (else 422 naming `to`)",
            examples=["2025-04-24T00:00Z"],
        ),
    ],
) -> tuple[datetime, datetime]:
    """Hour-aligned ``[from, to)``: `from` rounds down, `to` rounds up to whole hours."""
    start = from_.replace(minute=0, second=0, microsecond=0)
    end = to.replace(minute=0, second=0, microsecond=0)
    if end < to:
        end += timedelta(hours=1)
    if end <= start:
        raise invalid("to", "must be after from", to.isoformat())
    if end - start > MAX_TREND_SPAN:
        raise invalid("to", f"the span may be at most {MAX_TREND_SPAN.days} days", to.isoformat())
    return start, end


TrendWindow = Annotated[tuple[datetime, datetime], Depends(trend_window)]
