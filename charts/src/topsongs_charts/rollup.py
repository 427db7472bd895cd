"""Plays per song and top-N charts from the enriched lake."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.dataset as pads

from topsongs_charts.engine import query
from topsongs_charts.lake import Lake

ROLLUP_COLUMNS = ["region", "song_id", "title", "artist", "genre"]

_SONG_PLAYS = """
SELECT region, song_id, coalesce(min(title), song_id) AS song, coalesce(min(artist), '') AS artist,
       min(genre) AS genre, count(*) AS plays
FROM plays GROUP BY region, song_id
"""

_TOP = """
SELECT region, song_id, song, artist, genre, plays,
       row_number() OVER (PARTITION BY region ORDER BY plays DESC, song_id) AS rank
FROM song_plays QUALIFY rank <= $n
ORDER BY region, rank
"""


def read_enriched(lake: Lake, keys: Iterable[str]) -> pa.Table:
    """The rollup columns of the given enriched files, read in parallel."""
    paths = [lake.path(k) for k in keys]
    if not paths:
        schema = pa.schema([(c, pa.string()) for c in ROLLUP_COLUMNS])
        return schema.empty_table()
    dataset = pads.dataset(paths, filesystem=lake.fs, format="parquet")
    return dataset.to_table(columns=ROLLUP_COLUMNS)


def song_plays(plays: pa.Table) -> pa.Table:
    """Plays of every song per region."""
    return query(_SONG_PLAYS, {"plays": plays})


def top_songs(per_song: pa.Table, n: int) -> pa.Table:
    """The top ``n`` per region; ties by plays descending, then song_id ascending."""
    return query(_TOP, {"song_plays": per_song}, {"n": n})


def region_totals(per_song: pa.Table) -> dict[str, int]:
    """Total plays per region."""
    totals: dict[str, int] = {}
    for region, plays in zip(per_song["region"].to_pylist(), per_song["plays"].to_pylist(), strict=True):
        totals[region] = totals.get(region, 0) + plays
    return totals
