"""Reads of the batch side: which hours were loaded, and each region-hour's plays and top N."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg

from dashboard_api.reconciliation.compare import BatchHour

_LOADED = """
SELECT interval_start FROM chart_loads
WHERE kind = 'hourly' AND interval_start >= $1 AND interval_start < $2
"""
_PLAYS = """
SELECT region, hour, sum(plays)::bigint AS plays FROM plays_hourly
WHERE region = ANY($1::text[]) AND hour >= $2 AND hour < $3
GROUP BY region, hour
"""
_TOP = """
SELECT region, "timestamp" AS hour, song_id, plays FROM top_songs_hourly
WHERE region = ANY($1::text[]) AND "timestamp" >= $2 AND "timestamp" < $3 AND rank <= $4
ORDER BY region, "timestamp", rank
"""


async def batch_hours(
    pool: asyncpg.Pool, regions: list[str], start: datetime, end: datetime, top_n: int
) -> dict[tuple[str, datetime], BatchHour]:
    """Per (region, hour) in ``[start, end)`` whose hourly load ran: its plays and top N by rank."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        # One snapshot: a load that lands between the reads cannot pair one hour's total with another's top.
        loaded = [r["interval_start"] for r in await conn.fetch(_LOADED, start, end)]
        plays = {(r["region"], r["hour"]): r["plays"] for r in await conn.fetch(_PLAYS, regions, start, end)}
        tops: dict[tuple[str, datetime], list[dict[str, Any]]] = defaultdict(list)
        for r in await conn.fetch(_TOP, regions, start, end, top_n):
            tops[r["region"], r["hour"]].append({"song_id": r["song_id"], "plays": r["plays"]})
    return {
        (region, hour): BatchHour(plays.get((region, hour), 0), tops.get((region, hour), []))
        for hour in loaded
        for region in regions
    }
