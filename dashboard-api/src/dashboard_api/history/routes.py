"""``/api/regions``, ``/api/top/hourly``, ``/api/top/daily`` and ``/api/trend``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Response

from dashboard_api.choices import Region
from dashboard_api.deps import Charts, Settings
from dashboard_api.errors import HISTORY_BUSY, VALIDATION
from dashboard_api.history import queries
from dashboard_api.history.cache import Rows
from dashboard_api.history.models import ChartStatus, DailyChart, HourlyChart, Regions, Trend
from dashboard_api.history.params import Day, Hour, SongId, TrendWindow

router = APIRouter(prefix="/api", tags=["history"])

# A final chart changes only when late plays restate it: caches may keep it for a minute.
CLOSED = "public, max-age=60"
OPEN = "no-cache"


def _cache(response: Response, end: datetime, filled: bool) -> None:
    closed = end <= datetime.now(UTC) and filled
    response.headers["Cache-Control"] = CLOSED if closed else OPEN


def _computed(rows: Rows) -> bool:
    """A trend whose every hour is computed (none open or pending)."""
    return all(r["plays"] is not None for r in rows)


def status_of(end: datetime, loaded: bool, restatements: int) -> ChartStatus:
    """open → pending → final → restated, as docs/api.md defines them (``loaded``: completely)."""
    if not loaded:
        return "open" if end > datetime.now(UTC) else "pending"
    return "restated" if restatements else "final"


def _chart(rows: Rows, end: datetime) -> dict[str, Any]:
    """Entries and finality from one read of ``queries.top_hourly``/``top_daily``."""
    load: dict[str, Any] = rows[0] if rows else {"as_of": None, "restatements": 0, "late_plays": 0}
    return {
        "entries": queries.entries(rows),
        "status": status_of(end, bool(rows) and load["complete"], load["restatements"]),
        "as_of": load["as_of"],
        "restatements": load["restatements"],
        "late_plays": load["late_plays"],
    }


@router.get("/regions", response_model=Regions)
async def regions(settings: Settings, response: Response) -> Regions:
    """Regions the charts cover."""
    response.headers["Cache-Control"] = CLOSED
    return Regions(regions=list(settings.contract.regions))


@router.get("/top/hourly", response_model=HourlyChart, responses={422: VALIDATION, 503: HISTORY_BUSY})
async def top_hourly(charts: Charts, response: Response, region: Region, hour: Hour) -> dict[str, object]:
    """The authoritative top songs of one region and UTC hour (empty until its load ran)."""
    end = hour + timedelta(hours=1)
    rows = await charts.read(
        queries.top_hourly,
        end,
        region,
        hour,
        filled=queries.charted,
        stamps=queries.chart_stamps("hourly", hour),
    )
    _cache(response, end, queries.charted(rows))
    return {"region": region, "hour": hour, **_chart(rows, end)}


@router.get("/top/daily", response_model=DailyChart, responses={422: VALIDATION, 503: HISTORY_BUSY})
async def top_daily(
    charts: Charts,
    response: Response,
    region: Region,
    day: Day,
) -> dict[str, object]:
    """The authoritative top songs of one region and UTC day (empty until its load ran)."""
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    rows = await charts.read(
        queries.top_daily,
        end,
        region,
        start,
        filled=queries.charted,
        stamps=queries.chart_stamps("daily", start),
    )
    _cache(response, end, queries.charted(rows))
    return {"region": region, "date": day, **_chart(rows, end)}


@router.get("/trend", response_model=Trend, responses={422: VALIDATION, 503: HISTORY_BUSY})
async def trend(
    charts: Charts, response: Response, region: Region, song_id: SongId, window: TrendWindow
) -> Response:
    """Plays per hour of one song in ``[from, to)``, one point per hour: 0 when a computed hour has
    none, null while the hour is open or pending."""
    async with charts.heavy():  # up to 366 days: at most DASHBOARD_HISTORY_HEAVY_QUERIES at once
        rows = await charts.read(
            queries.trend,
            window[1],
            region,
            song_id,
            *window,
            filled=_computed,
            stamps=queries.trend_stamps,
        )
        points = [
            {
                "hour": r["hour"],
                "plays": r["plays"],
                "status": status_of(r["hour"] + timedelta(hours=1), r["loaded"], r["restatements"]),
            }
            for r in rows
        ]
        _cache(response, window[1], _computed(rows))
        # Encoded here, in the slot, by orjson: up to 8,784 points, which response_model's
        # validation took ~10x as long to encode (same JSON; the Trend model documents it).
        body = orjson.dumps({"region": region, "song_id": song_id, "points": points}, option=orjson.OPT_UTC_Z)
        return Response(
            body, media_type="application/json", headers={"Cache-Control": response.headers["Cache-Control"]}
        )
