"""The song catalog in the lake: one Parquet file the simulator writes and the hourly ETL joins on.

Declared here once, with Arrow type names (``pa.schema(SONGS_COLUMNS)`` builds the schema), so the
writer and the reader cannot drift apart and this package needs no pyarrow.
"""

from __future__ import annotations

SONGS_KEY = "catalog/songs/songs.parquet"

SONGS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("song_id", "string"),
    ("title", "string"),
    ("artist", "string"),
    ("genre", "string"),
    ("release_year", "int32"),
    ("duration_ms", "int64"),
)
