"""Plays for a chosen hour, the brute-force chart oracle over them (by event_id), and what the chart
tables hold, for the tests that compare the batch charts with it."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import psycopg
from topsongs_core.settings import PostgresSettings

REGIONS = ("US", "GB", "BR")
HOUR = timedelta(hours=1)


def play(rng: random.Random, songs: list, hour: datetime) -> dict[str, object]:
    """One play of a catalog song (popular ones more often) at a random second of ``hour``."""
    return play_at(rng, songs, hour + timedelta(seconds=rng.randrange(3600)))


def play_at(rng: random.Random, songs: list, played_at: datetime) -> dict[str, object]:
    """One play of a catalog song (popular ones more often) in a random region at ``played_at``."""
    song = rng.choices(songs, [1 / (i + 1) for i in range(len(songs))])[0]
    return {
        "event_id": str(uuid.uuid4()),
        "song_id": song.song_id,
        "title": song.title,
        "artist": song.artist,
        "user_id": f"u-{rng.randrange(500)}",
        "region": rng.choice(REGIONS),
        "played_at": played_at.isoformat(),
    }


def oracle_hour(
    sent: list[dict[str, object]], hour: datetime, regions: tuple[str, ...] = REGIONS
) -> dict[str, list[tuple[str, int]]]:
    """Per region, every song's plays in ``hour`` (each event_id once), by plays desc then song_id."""
    counts: Counter[tuple[str, str]] = Counter()
    for e in {e["event_id"]: e for e in sent}.values():
        at = datetime.fromisoformat(str(e["played_at"]))
        if hour <= at < hour + HOUR:
            counts[str(e["region"]), str(e["song_id"])] += 1
    return {
        r: sorted(((s, n) for (reg, s), n in counts.items() if reg == r), key=lambda kv: (-kv[1], kv[0]))
        for r in regions
    }


def oracle_day(sent: list[dict[str, object]], day: date) -> dict[str, list[tuple[str, int]]]:
    """Per region, every song's plays on ``day`` (UTC), by plays desc then song_id."""
    start = datetime.combine(day, time(), UTC)
    total: dict[str, Counter[str]] = {r: Counter() for r in REGIONS}
    for h in range(24):
        for region, songs in oracle_hour(sent, start + h * HOUR).items():
            total[region].update(dict(songs))
    return {r: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for r, c in total.items()}


def plays_hourly(
    pg: PostgresSettings, hour: datetime, regions: tuple[str, ...] = REGIONS
) -> dict[str, list[tuple[str, int]]]:
    """Every song's plays per region (plays_hourly), by plays desc then song_id."""
    query = (
        "SELECT region, song_id, plays FROM plays_hourly WHERE hour = %s ORDER BY region, plays DESC, song_id"
    )
    return _per_region(pg, query, hour, regions)


def top_songs_hourly(
    pg: PostgresSettings, hour: datetime, regions: tuple[str, ...] = REGIONS
) -> dict[str, list[tuple[str, int]]]:
    """The hour's chart per region (top_songs_hourly) as (song_id, plays), by rank."""
    query = 'SELECT region, song_id, plays FROM top_songs_hourly WHERE "timestamp" = %s ORDER BY region, rank'
    return _per_region(pg, query, hour, regions)


def _per_region(
    pg: PostgresSettings, query: str, hour: datetime, regions: tuple[str, ...]
) -> dict[str, list[tuple[str, int]]]:
    """``query``'s (region, song_id, plays) rows for ``hour``, per region, in the query's order."""
    with psycopg.connect(pg.dsn()) as conn:
        rows = conn.execute(query, (hour,)).fetchall()
    return {r: [(s, n) for reg, s, n in rows if reg == r] for r in regions}
