"""``/api/regions``, ``/api/top/hourly``, ``/api/top/daily`` and ``/api/trend``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query, Request, Response

from dashboard_api.history import queries
from dashboard_api.history.cache import ChartCache, Rows
from dashboard_api.history.models import DailyChart, HourlyChart, Regions, Trend
from dashboard_api.history.params import Hour, Region, SongId, TrendWindow
from dashboard_api.settings import DashboardSettings

router = APIRouter(prefix="/api", tags=["history"])

# A closed interval's chart only changes when someone re-runs its load, which is rare.
CLOSED = "public, max-age=3600"
CLOSED_TREND = "public, max-age=300"
OPEN = "no-cache"


class Reader:
    """Chart reads through the in-process cache, falling back to the read-only pool."""

    def __init__(self, request: Request) -> None:
        self.pool: asyncpg.Pool = request.state.history_pool
        self.cache: ChartCache = request.state.history_cache

    async def read(self, query: Callable[..., Awaitable[Rows]], end: datetime, *args: object) -> Rows:
        """Rows of ``query(pool, *args)`` for an interval ending at ``end``."""
        closed = end <= datetime.now(UTC)
        return await self.cache.read((query.__name__, *args), closed, lambda: query(self.pool, *args))


async def _reader(request: Request) -> Reader:
    return Reader(request)


Charts = Annotated[Reader, Depends(_reader)]


def _cache(response: Response, end: datetime, filled: bool, closed_policy: str = CLOSED) -> None:
    closed = end <= datetime.now(UTC) and filled
    response.headers["Cache-Control"] = closed_policy if closed else OPEN


@router.get("/regions", response_model=Regions)
async def regions(request: Request, response: Response) -> Regions:
    """Regions the charts cover."""
    settings: DashboardSettings = request.state.settings
    response.headers["Cache-Control"] = CLOSED
    return Regions(regions=list(settings.contract.regions))


@router.get("/top/hourly", response_model=HourlyChart)
async def top_hourly(charts: Charts, response: Response, region: Region, hour: Hour) -> dict[str, object]:
    """The authoritative top songs of one region and UTC hour (empty until its load ran)."""
    end = hour + timedelta(hours=1)
    entries = await charts.read(queries.top_hourly, end, region, hour)
    _cache(response, end, bool(entries))
    return {"region": region, "hour": hour, "entries": entries}


@router.get("/top/daily", response_model=DailyChart)
async def top_daily(
    charts: Charts,
    response: Response,
    region: Region,
    day: Annotated[date, Query(alias="date", description="UTC day", examples=["2025-04-23"])],
) -> dict[str, object]:
    """The authoritative top songs of one region and UTC day (empty until its load ran)."""
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    entries = await charts.read(queries.top_daily, end, region, day)
    _cache(response, end, bool(entries))
    return {"region": region, "date": day, "entries": entries}


@router.get("/trend", response_model=Trend)
async def trend(
    charts: Charts, response: Response, region: Region, song_id: SongId, window: TrendWindow
) -> dict[str, object]:
    """Plays per hour of one song in ``[from, to)``, one point per hour (0 when none)."""
    points = await charts.read(queries.trend, window[1], region, song_id, *window)
    _cache(response, window[1], True, CLOSED_TREND)
    return {"region": region, "song_id": song_id, "points": points}
