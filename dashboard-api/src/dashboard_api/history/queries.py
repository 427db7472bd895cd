"""Parameterised reads of the chart tables (asyncpg, read-only role)."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

_ENTRY = (
    "SELECT rank, song_id, song, artist, plays FROM {table} WHERE region = $1 AND {column} = $2 ORDER BY rank"
)
_HOURLY = _ENTRY.format(table="top_songs_hourly", column='"timestamp"')
_DAILY = _ENTRY.format(table="top_songs_daily", column="date")
_TREND = """
SELECT h.hour, coalesce(p.plays, 0) AS plays
FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 hour', interval '1 hour') AS h(hour)
LEFT JOIN plays_hourly p ON p.region = $1 AND p.song_id = $2 AND p.hour = h.hour
ORDER BY h.hour
"""


async def top_hourly(pool: asyncpg.Pool, region: str, hour: datetime) -> list[dict]:
    """The stored chart of one region and hour, by rank."""
    return [dict(r) for r in await pool.fetch(_HOURLY, region, hour)]


async def top_daily(pool: asyncpg.Pool, region: str, day: date) -> list[dict]:
    """The stored chart of one region and UTC day, by rank."""
    return [dict(r) for r in await pool.fetch(_DAILY, region, day)]


async def trend(pool: asyncpg.Pool, region: str, song_id: str, start: datetime, end: datetime) -> list[dict]:
    """Plays per hour of one song in ``[start, end)``; hours without plays count 0."""
    return [dict(r) for r in await pool.fetch(_TREND, region, song_id, start, end)]
