"""Validated query parameters of the history endpoints (bad values → 422 naming the field)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator

from dashboard_api.settings import DashboardSettings

MAX_TREND_SPAN = timedelta(days=366)


def invalid(field: str, message: str, value: object) -> RequestValidationError:
    """A 422 in FastAPI's usual shape for one query parameter."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


def _utc(value: datetime) -> datetime:
    # The contract speaks UTC; a timestamp without an offset is read as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _on_the_hour(value: datetime) -> datetime:
    value = _utc(value)
    if value.minute or value.second or value.microsecond:
        raise ValueError("must be on the hour, e.g. 2025-04-23T14:00Z")
    return value


async def _region(
    request: Request,
    region: Annotated[str, Query(description="Region code, one of GET /api/regions", examples=["US"])],
) -> str:
    settings: DashboardSettings = request.state.settings
    if region not in settings.contract.regions:
        raise invalid("region", f"must be one of {', '.join(settings.contract.regions)}", region)
    return region


Region = Annotated[str, Depends(_region)]
Hour = Annotated[
    datetime,
    Query(description="Start of a UTC hour, ISO 8601", examples=["2025-04-23T14:00Z"]),
    AfterValidator(_on_the_hour),
]
Day = Annotated[date, Query(alias="date", description="UTC day", examples=["2025-04-23"])]
SongId = Annotated[str, Query(min_length=1, max_length=128, examples=["s-001"])]
Instant = Annotated[datetime, AfterValidator(_utc)]


async def trend_window(
    from_: Annotated[Instant, Query(alias="from", description="Inclusive start (UTC)")],
    to: Annotated[Instant, Query(description="Exclusive end (UTC)")],
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
