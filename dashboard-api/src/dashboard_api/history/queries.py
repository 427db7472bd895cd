"""Parameterised reads of the chart tables (asyncpg, read-only role)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg

from dashboard_api.history.load_times import Stamp

# What each row of a chart read holds: its interval's load record for ``{region}``, and one entry.
_COLUMNS = """l.loaded_at AS as_of, l.complete,
       coalesce((l.by_region -> {region} ->> 'restatements')::int, 0) AS restatements,
       coalesce((l.by_region -> {region} ->> 'plays')::bigint
                - (l.by_region -> {region} ->> 'first_plays')::bigint, 0) AS late_plays,
       t.rank, t.song_id, t.song AS title, t.artist, t.plays"""

# One read per chart: its load record and its rows, so status and entries always agree. No row at
# all means the interval was never loaded; a loaded interval without plays gives one row of NULLs.
# A daily load that is not `complete` holds the day so far (the hours loaded until then).
_CHART = """
SELECT {columns}
FROM chart_loads l LEFT JOIN {table} t ON t.region = $3 AND t.{column} = $4
WHERE l.kind = $1 AND l.interval_start = $2
ORDER BY t.rank
"""
_HOURLY = _CHART.format(columns=_COLUMNS.format(region="$3"), table="top_songs_hourly", column='"timestamp"')
_DAILY = _CHART.format(columns=_COLUMNS.format(region="$3"), table="top_songs_daily", column="date")

# The same rows for many intervals and regions in one statement (a start's warm-up).
_CHARTS = """
SELECT l.interval_start, r.region, {columns}
FROM chart_loads l CROSS JOIN unnest($3::text[]) AS r(region)
LEFT JOIN {table} t ON t.region = r.region AND t.{column} = {interval}
WHERE l.kind = $1 AND l.interval_start = ANY($2::timestamptz[])
ORDER BY l.interval_start, r.region, t.rank
"""
_MANY = {
    "hourly": _CHARTS.format(
        columns=_COLUMNS.format(region="r.region"),
        table="top_songs_hourly",
        column='"timestamp"',
        interval="l.interval_start",
    ),
    # Sessions run in UTC (the pool's TimeZone), so this is the interval's UTC date.
    "daily": _CHARTS.format(
        columns=_COLUMNS.format(region="r.region"),
        table="top_songs_daily",
        column="date",
        interval="l.interval_start::date",
    ),
}
_ENTRY = ("rank", "song_id", "title", "artist", "plays")


_TREND_STATUS = """
SELECT h.hour, CASE WHEN l.loaded_at IS NULL THEN NULL ELSE coalesce(p.plays, 0) END AS plays,
       l.loaded_at IS NOT NULL AS loaded, l.loaded_at AS as_of,
       coalesce((l.by_region -> $1 ->> 'restatements')::int, 0) AS restatements
FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 hour', interval '1 hour') AS h(hour)
LEFT JOIN plays_hourly p ON p.region = $1 AND p.song_id = $2 AND p.hour = h.hour
LEFT JOIN chart_loads l ON l.kind = 'hourly' AND l.interval_start = h.hour
ORDER BY h.hour
"""


async def top_hourly(pool: asyncpg.Pool, region: str, hour: datetime) -> list[dict]:
    """The load record and chart rows of one region and hour, by rank (empty: never loaded)."""
    return [dict(r) for r in await pool.fetch(_HOURLY, "hourly", hour, region, hour)]


async def top_daily(pool: asyncpg.Pool, region: str, start: datetime) -> list[dict]:
    """The load record and chart rows of one region and UTC day, by rank (empty: never loaded)."""
    return [dict(r) for r in await pool.fetch(_DAILY, "daily", start, region, start.date())]


async def charts(
    pool: asyncpg.Pool, kind: str, starts: list[datetime], regions: list[str]
) -> dict[tuple[str, datetime], list[dict]]:
    """``top_hourly``/``top_daily`` rows (by ``kind``) of every loaded interval of ``starts`` in every
    region, keyed by (region, interval start), in one statement."""
    found: dict[tuple[str, datetime], list[dict]] = {}
    for r in await pool.fetch(_MANY[kind], kind, starts, regions):
        row = dict(r)
        found.setdefault((row.pop("region"), row.pop("interval_start")), []).append(row)
    return found


def charted(rows: list[dict]) -> bool:
    """A complete chart with entries. One loaded without plays may yet be filled by a restatement (a
    backfill's plays reach the lake after the day's first run): it is re-read like one not loaded yet,
    and so is the day so far."""
    return bool(entries(rows)) and rows[0]["complete"]


def entries(rows: list[dict]) -> list[dict]:
    """The chart entries of ``top_hourly``/``top_daily`` rows."""
    return [{k: r[k] for k in _ENTRY} for r in rows if r["rank"] is not None]


async def trend(pool: asyncpg.Pool, region: str, song_id: str, start: datetime, end: datetime) -> list[dict]:
    """Plays per hour of one song in ``[start, end)``: 0 in a loaded hour without plays, None in an
    hour not loaded yet; ``loaded`` and ``restatements`` tell its status, ``as_of`` its load."""
    return [dict(r) for r in await pool.fetch(_TREND_STATUS, region, song_id, start, end)]


def chart_stamps(kind: str, start: datetime) -> Callable[[list[dict]], list[Stamp]]:
    """The load a ``top_hourly``/``top_daily`` read saw: its interval and `as_of` (None: not loaded)."""
    return lambda rows: [((kind, start), rows[0]["as_of"] if rows else None)]


def trend_stamps(rows: list[dict]) -> list[Stamp]:
    """The loads a ``trend`` read saw: every hour and its `as_of`."""
    return [(("hourly", r["hour"]), r["as_of"]) for r in rows]
