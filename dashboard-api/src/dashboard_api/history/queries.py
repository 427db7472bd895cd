"""Parameterised reads of the chart tables (asyncpg, read-only role)."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

_ENTRY = (
    "SELECT rank, song_id, song, artist, plays FROM {table} WHERE region = $1 AND {column} = $2 ORDER BY rank"
)
_HOURLY = _ENTRY.format(table="top_songs_hourly", column='"timestamp"')
_DAILY = _ENTRY.format(table="top_songs_daily", column="date")


async def top_hourly(pool: asyncpg.Pool, region: str, hour: datetime) -> list[dict]:
    """The stored chart of one region and hour, by rank."""
    return [dict(r) for r in await pool.fetch(_HOURLY, region, hour)]


async def top_daily(pool: asyncpg.Pool, region: str, day: date) -> list[dict]:
    """The stored chart of one region and UTC day, by rank."""
    return [dict(r) for r in await pool.fetch(_DAILY, region, day)]


async def trend(pool: asyncpg.Pool, region: str, song_id: str, start: datetime, end: datetime) -> list[dict]:
    """Plays per hour of one song in ``[start, end)``: 0 in a loaded hour without plays, None in an
    hour not loaded yet; ``loaded`` and ``restatements`` tell its status."""
    return [dict(r) for r in await pool.fetch(_TREND_STATUS, region, song_id, start, end)]


_LOAD = """
SELECT loaded_at AS as_of,
       coalesce((by_region -> $3 ->> 'restatements')::int, 0) AS restatements,
       coalesce((by_region -> $3 ->> 'plays')::bigint - (by_region -> $3 ->> 'first_plays')::bigint, 0)
           AS late_plays
FROM chart_loads WHERE kind = $1 AND interval_start = $2
"""
_TREND_STATUS = """
SELECT h.hour, CASE WHEN l.loaded_at IS NULL THEN NULL ELSE coalesce(p.plays, 0) END AS plays,
       l.loaded_at IS NOT NULL AS loaded,
       coalesce((l.by_region -> $1 ->> 'restatements')::int, 0) AS restatements
FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 hour', interval '1 hour') AS h(hour)
LEFT JOIN plays_hourly p ON p.region = $1 AND p.song_id = $2 AND p.hour = h.hour
LEFT JOIN chart_loads l ON l.kind = 'hourly' AND l.interval_start = h.hour
ORDER BY h.hour
"""


async def chart_load(pool: asyncpg.Pool, kind: str, start: datetime, region: str) -> list[dict]:
    """The load record of one interval as seen by one region (no row: never loaded)."""
    return [dict(r) for r in await pool.fetch(_LOAD, kind, start, region)]
