"""Validate, de-duplicate and enrich one hour of raw plays with the song catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa
from topsongs_core.catalog import SONGS_COLUMNS

from topsongs_charts.engine import query

# The song catalog's columns as the simulator writes them to the lake.
CATALOG_SCHEMA = pa.schema(SONGS_COLUMNS)
CATALOG_COLUMNS = CATALOG_SCHEMA.names

_VALID = """
    event_id IS NOT NULL AND event_id <> '' AND song_id IS NOT NULL AND song_id <> ''
    AND region IN (SELECT unnest($regions)) AND played_at >= $start AND played_at < $end
    AND (ms_played IS NULL OR ms_played >= 0)
"""

# PostgreSQL text cannot hold NUL, which ingest refuses since 2026-12 (a 422 naming the field) but
# accepted before: such a play already in Kafka is charted with U+FFFD in its place, and counted.
_NUL_COLUMNS = ("song_id", "title", "artist")
_REPAIRED = " OR ".join(f"coalesce(contains({c}, chr(0)), false)" for c in _NUL_COLUMNS)
_REPLACED = ", ".join(f"replace({c}, chr(0), chr(65533)) AS {c}" for c in _NUL_COLUMNS)

_ENRICH = f"""
WITH valid AS (
    SELECT * REPLACE ({_REPLACED}), {_REPAIRED} AS repaired FROM raw WHERE {_VALID}
    -- A replayed Kafka batch or a re-written file yields the same event twice: keep one, the first
    -- to arrive when the files' arrival is known (docs/api.md, "One event_id, one play").
    QUALIFY row_number() OVER (
        PARTITION BY event_id ORDER BY {{arrival}}played_at, region, song_id, user_id, title) = 1
)
SELECT v.event_id, v.song_id,
       coalesce(c.title, v.title) AS title, coalesce(c.artist, v.artist) AS artist,
       c.genre, CAST(c.release_year AS INTEGER) AS release_year,
       CAST(c.duration_ms AS BIGINT) AS duration_ms,
       v.user_id, v.region, v.played_at, v.ms_played, v.device, v.schema_version,
       c.song_id IS NOT NULL AS in_catalog, v.repaired
FROM valid v LEFT JOIN catalog c ON c.song_id = v.song_id
ORDER BY v.region, v.played_at, v.event_id
"""


@dataclass
class Enriched:
    """The enriched rows of an hour and what happened to the others."""

    table: pa.Table
    rows_in: int
    invalid: int
    duplicates: int
    unknown_songs: dict[str, int] = field(default_factory=dict)
    # Plays kept whose song_id, title or artist held a NUL (replaced by U+FFFD).
    nul_replaced: int = 0

    @property
    def rows_out(self) -> int:
        """Rows kept."""
        return self.table.num_rows


def enrich_hour(raw: pa.Table, catalog: pa.Table, hour: datetime, regions: tuple[str, ...]) -> Enriched:
    """Drop invalid rows, keep one row per event_id, join the catalog (unknown songs are kept)."""
    start, end = hour, hour + timedelta(hours=1)
    params = {"regions": list(regions), "start": start, "end": end}
    tables = {"raw": raw, "catalog": catalog.select(CATALOG_COLUMNS)}
    valid = query(f"SELECT count(*) AS n FROM raw WHERE {_VALID}", tables, params)["n"][0].as_py()
    arrival = "arrival, " if "arrival" in raw.column_names else ""
    enriched = query(_ENRICH.format(arrival=arrival), tables, params)
    known = enriched["in_catalog"].to_pylist()
    unknown: dict[str, int] = {}
    for song_id, in_catalog in zip(enriched["song_id"].to_pylist(), known, strict=True):
        if not in_catalog:
            unknown[song_id] = unknown.get(song_id, 0) + 1
    return Enriched(
        table=enriched.drop_columns(["in_catalog", "repaired"]),
        rows_in=raw.num_rows,
        invalid=raw.num_rows - valid,
        duplicates=valid - enriched.num_rows,
        unknown_songs=dict(sorted(unknown.items())),
        nul_replaced=sum(enriched["repaired"].to_pylist()),
    )
