"""Idempotent PostgreSQL loads: each replaces exactly one interval's rows in one transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pyarrow as pa
from psycopg.types.json import Jsonb
from topsongs_core.settings import PostgresSettings

from topsongs_charts.rollup import region_totals

_TOP_COLUMNS = ["region", "song", "plays", "rank", "song_id", "artist", "genre"]


def _rows(table: pa.Table, columns: list[str]) -> list[tuple]:
    return list(zip(*(table[c].to_pylist() for c in columns), strict=True))


def load_hourly(settings: PostgresSettings, hour: datetime, per_song: pa.Table, top: pa.Table) -> None:
    """Replace one hour of `plays_hourly` and `top_songs_hourly`, and record the load."""
    with psycopg.connect(settings.dsn()) as conn, conn.transaction():
        conn.execute("DELETE FROM plays_hourly WHERE hour = %s", (hour,))
        conn.execute('DELETE FROM top_songs_hourly WHERE "timestamp" = %s', (hour,))
        with conn.cursor().copy("COPY plays_hourly (region, hour, song_id, plays) FROM STDIN") as copy:
            for region, song_id, plays in _rows(per_song, ["region", "song_id", "plays"]):
                copy.write_row((region, hour, song_id, plays))
        conn.cursor().executemany(
            'INSERT INTO top_songs_hourly (region, "timestamp", song, plays, rank, song_id, artist,'
            " genre) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(r[0], hour, *r[1:]) for r in _rows(top, _TOP_COLUMNS)],
        )
        _record(conn, "hourly", hour, hour + timedelta(hours=1), per_song)


def load_daily(
    settings: PostgresSettings, start: datetime, per_song: pa.Table, top: pa.Table, *, complete: bool = True
) -> None:
    """Replace one day of `top_songs_daily`, and record the load (``complete=False``: the day so far)."""
    with psycopg.connect(settings.dsn()) as conn, conn.transaction():
        conn.execute("DELETE FROM top_songs_daily WHERE date = %s", (start.date(),))
        conn.cursor().executemany(
            "INSERT INTO top_songs_daily (region, date, song, plays, rank, song_id, artist, genre)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(r[0], start.date(), *r[1:]) for r in _rows(top, _TOP_COLUMNS)],
        )
        _record(conn, "daily", start, start + timedelta(days=1), per_song, complete=complete)


def region_status(previous: dict | None, plays: dict[str, int]) -> dict[str, dict[str, int]]:
    """Each region's plays now, at the first load, and how many later loads changed them."""
    if previous is None:
        return {r: {"plays": n, "first_plays": n, "restatements": 0} for r, n in sorted(plays.items())}
    status = {}
    for region in sorted(set(previous) | set(plays)):
        before = previous.get(region, {"plays": 0, "first_plays": 0, "restatements": 0})
        now = plays.get(region, 0)
        status[region] = {
            "plays": now,
            "first_plays": before["first_plays"],
            "restatements": before["restatements"] + (now != before["plays"]),
        }
    return status


def _record(
    conn: psycopg.Connection,
    kind: str,
    start: datetime,
    end: datetime,
    per_song: pa.Table,
    *,
    complete: bool = True,
) -> None:
    plays = region_totals(per_song)
    row = conn.execute(
        "SELECT by_region, complete FROM chart_loads WHERE kind = %s AND interval_start = %s FOR UPDATE",
        (kind, start),
    ).fetchone()
    # A day so far grows as its hours close: only changes after its first complete load are restatements.
    status = region_status(row[0] if row and row[1] and complete else None, plays)
    conn.execute(
        "INSERT INTO chart_loads (kind, interval_start, interval_end, plays, regions, by_region, complete)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kind, interval_start) DO UPDATE SET"
        " interval_end = EXCLUDED.interval_end, plays = EXCLUDED.plays,"
        " regions = EXCLUDED.regions, by_region = EXCLUDED.by_region, loaded_at = now(),"
        " first_loaded_at = CASE WHEN chart_loads.complete THEN chart_loads.first_loaded_at ELSE now() END,"
        " complete = EXCLUDED.complete",
        (kind, start, end, sum(plays.values()), len(plays), Jsonb(status), complete),
    )


def loaded_hours(settings: PostgresSettings, start: datetime, end: datetime) -> set[datetime]:
    """Hours in [start, end) whose hourly load is recorded."""
    with psycopg.connect(settings.dsn()) as conn:
        rows = conn.execute(
            "SELECT interval_start FROM chart_loads WHERE kind = 'hourly'"
            " AND interval_start >= %s AND interval_start < %s",
            (start, end),
        ).fetchall()
    return {r[0] for r in rows}


def hourly_plays(
    settings: PostgresSettings, start: datetime, end: datetime
) -> dict[datetime, dict[str, int]]:
    """Per hour in [start, end) with a recorded hourly load, its plays per region (regions with plays)."""
    with psycopg.connect(settings.dsn()) as conn:
        rows = conn.execute(
            "SELECT interval_start, by_region FROM chart_loads WHERE kind = 'hourly'"
            " AND interval_start >= %s AND interval_start < %s",
            (start, end),
        ).fetchall()
    return {hour: {r: s["plays"] for r, s in status.items() if s["plays"]} for hour, status in rows}


def hours_ahead_of_their_day(settings: PostgresSettings, start: datetime, end: datetime) -> set[datetime]:
    """Hours in [start, end) whose hourly load is newer than their UTC day's daily load, or whose
    day has none: loads the day's chart does not include yet."""
    with psycopg.connect(settings.dsn()) as conn:
        rows = conn.execute(
            "SELECT h.interval_start FROM chart_loads h LEFT JOIN chart_loads d"
            " ON d.kind = 'daily' AND d.interval_start = date_trunc('day', h.interval_start, 'UTC')"
            " WHERE h.kind = 'hourly' AND h.interval_start >= %s AND h.interval_start < %s"
            " AND (d.loaded_at IS NULL OR d.loaded_at < h.loaded_at)",
            (start, end),
        ).fetchall()
    return {r[0] for r in rows}


def daily_complete(settings: PostgresSettings, day: date) -> bool:
    """Whether the day's own run has loaded its complete chart."""
    with psycopg.connect(settings.dsn()) as conn:
        row = conn.execute(
            "SELECT complete FROM chart_loads WHERE kind = 'daily' AND interval_start = %s",
            (datetime.combine(day, time(), UTC),),
        ).fetchone()
    return bool(row and row[0])


def incomplete_days(settings: PostgresSettings, ended_after: datetime, ended_by: datetime) -> list[date]:
    """Days ending in (``ended_after``, ``ended_by``] whose chart is still the day so far, oldest first."""
    with psycopg.connect(settings.dsn()) as conn:
        rows = conn.execute(
            "SELECT interval_start FROM chart_loads WHERE kind = 'daily' AND NOT complete"
            " AND interval_end > %s AND interval_end <= %s ORDER BY interval_start",
            (ended_after, ended_by),
        ).fetchall()
    return [datetime.fromtimestamp(r[0].timestamp(), UTC).date() for r in rows]


def hourly_totals(settings: PostgresSettings, day: date) -> dict[str, int]:
    """Sum of `plays_hourly` per region over one UTC day."""
    with psycopg.connect(settings.dsn()) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        rows = conn.execute(
            "SELECT region, sum(plays)::bigint FROM plays_hourly"
            " WHERE hour >= %s::date AND hour < %s::date + 1 GROUP BY region",
            (day, day),
        ).fetchall()
    return dict(rows)


def delete_day(settings: PostgresSettings, day: date) -> None:
    """Remove every chart row, load record and event_id claim of one UTC day (for purges and test
    clean-up; files of the day still in the lake are claimed again by the next ETL)."""
    with psycopg.connect(settings.dsn()) as conn, conn.transaction():
        conn.execute("SET LOCAL TIME ZONE 'UTC'")
        window = ">= %s::date AND {0} < %s::date + 1"
        for table, column in (
            ("plays_hourly", "hour"),
            ("top_songs_hourly", '"timestamp"'),
            ("chart_loads", "interval_start"),
            ("play_claims", "hour"),
            ("claimed_files", "hour"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {column} {window.format(column)}", (day, day))
        conn.execute("DELETE FROM top_songs_daily WHERE date = %s", (day,))
