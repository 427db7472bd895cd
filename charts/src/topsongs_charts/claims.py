"""One event_id, one play: every id belongs to the hour of its first copy to arrive in the lake.

Before an hour's ETL, the raw files not claimed yet are read in arrival order (the Spark log's
commit order) and each of their event_ids is claimed for its file's hour unless an earlier file
claimed it (`play_claims`, first insert kept). The ETL then reads only claimed files and drops the
rows whose id another hour claimed. A later copy sits in a new file of its own hour, which makes
that hour stale; its restatement drops the copy, so nothing is counted twice across hours.

Claims are kept while a copy may still be accepted: ingest refuses a `played_at` older than the
horizon, so the claims of hours past it (plus a margin for the lake's lag) are pruned; the list of
claimed files stays (one row per file), so those files are never claimed again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pyarrow.compute as pc

from topsongs_charts.lake import Lake
from topsongs_charts.locks import claims_lock
from topsongs_charts.raw import files_in_arrival_order, hour_of
from topsongs_charts.settings import ChartsSettings


def claim_new_files(settings: ChartsSettings, lake: Lake) -> dict[str, int]:
    """Claim the event_ids of every raw file not claimed yet, oldest arrival first; returns every
    raw key with its arrival rank."""
    dataset = settings.lake.plays_path
    with claims_lock(settings), psycopg.connect(settings.postgres.dsn()) as conn:
        done = {r[0] for r in conn.execute("SELECT key FROM claimed_files WHERE dataset = %s", (dataset,))}
        order = files_in_arrival_order(lake, dataset, honour_spark_log=settings.honour_spark_log)
        for key in (k for k in order if k not in done):
            hour = hour_of(key)
            if hour is None:
                continue
            ids = pc.unique(lake.read_parquet(key, columns=["event_id"])["event_id"]).drop_null()
            with conn.transaction():
                conn.execute("CREATE TEMP TABLE IF NOT EXISTS new_ids (event_id text) ON COMMIT DELETE ROWS")
                with conn.cursor().copy("COPY new_ids (event_id) FROM STDIN") as copy:
                    for event_id in ids.to_pylist():
                        copy.write_row((event_id,))
                conn.execute(
                    "INSERT INTO play_claims (dataset, event_id, hour) SELECT %s, event_id, %s FROM new_ids"
                    " ON CONFLICT DO NOTHING",
                    (dataset, hour),
                )
                conn.execute(
                    "INSERT INTO claimed_files (dataset, key, hour) VALUES (%s, %s, %s)", (dataset, key, hour)
                )
    return {key: rank for rank, key in enumerate(order)}


def claimed_files(settings: ChartsSettings, hour: datetime) -> set[str]:
    """The raw files of ``hour`` whose event_ids are claimed."""
    with psycopg.connect(settings.postgres.dsn()) as conn:
        rows = conn.execute(
            "SELECT key FROM claimed_files WHERE dataset = %s AND hour = %s", (settings.lake.plays_path, hour)
        ).fetchall()
    return {r[0] for r in rows}


def claimed_elsewhere(settings: ChartsSettings, hour: datetime, event_ids: list[str]) -> set[str]:
    """Those of ``event_ids`` whose first copy belongs to another hour."""
    with psycopg.connect(settings.postgres.dsn()) as conn:
        rows = conn.execute(
            "SELECT event_id FROM play_claims WHERE dataset = %s AND event_id = ANY(%s) AND hour <> %s",
            (settings.lake.plays_path, event_ids, hour),
        ).fetchall()
    return {r[0] for r in rows}


def prune_claims(settings: ChartsSettings, now: datetime) -> tuple[datetime, int]:
    """Delete the claims of hours no copy can reach any more; returns the cut-off and the rows deleted."""
    cutoff = now - settings.contract.max_event_age - settings.claims_kept_past_horizon
    cutoff = cutoff.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    with claims_lock(settings), psycopg.connect(settings.postgres.dsn()) as conn:
        deleted = conn.execute(
            "DELETE FROM play_claims WHERE dataset = %s AND hour < %s", (settings.lake.plays_path, cutoff)
        ).rowcount
    return cutoff, deleted
