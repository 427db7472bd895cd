"""``/api/regions``, ``/api/top/hourly``, ``/api/top/daily`` and ``/api/trend``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query, Request, Response

from dashboard_api.history import queries
from dashboard_api.history.models import DailyChart, HourlyChart, Regions, Trend
from dashboard_api.history.params import Hour, Region, SongId, TrendWindow
from dashboard_api.settings import DashboardSettings

router = APIRouter(prefix="/api", tags=["history"])

# A closed interval's chart only changes when someone re-runs its load, which is rare.
CLOSED = "public, max-age=3600"
CLOSED_TREND = "public, max-age=300"
OPEN = "no-cache"


def _pool(request: Request) -> asyncpg.Pool:
    return request.state.history_pool


Pool = Annotated[asyncpg.Pool, Depends(_pool)]


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
async def top_hourly(pool: Pool, response: Response, region: Region, hour: Hour) -> HourlyChart:
    """The authoritative top songs of one region and UTC hour (empty until its load ran)."""
    entries = await queries.top_hourly(pool, region, hour)
    _cache(response, hour + timedelta(hours=1), bool(entries))
    return HourlyChart(region=region, hour=hour, entries=entries)  # type: ignore[arg-type]


@router.get("/top/daily", response_model=DailyChart)
async def top_daily(
    pool: Pool,
    response: Response,
    region: Region,
    day: Annotated[date, Query(alias="date", description="UTC day", examples=["2025-04-23"])],
) -> DailyChart:
    """The authoritative top songs of one region and UTC day (empty until its load ran)."""
    entries = await queries.top_daily(pool, region, day)
    _cache(response, datetime.combine(day + timedelta(days=1), time(), UTC), bool(entries))
    return DailyChart(region=region, date=day, entries=entries)  # type: ignore[arg-type]


@router.get("/trend", response_model=Trend)
async def trend(
    pool: Pool, response: Response, region: Region, song_id: SongId, window: TrendWindow
) -> Trend:
    """Plays per hour of one song in ``[from, to)``, one point per hour (0 when none)."""
    points = await queries.trend(pool, region, song_id, *window)
    _cache(response, window[1], True, CLOSED_TREND)
    return Trend(region=region, song_id=song_id, points=points)  # type: ignore[arg-type]
