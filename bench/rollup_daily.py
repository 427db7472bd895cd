"""Daily rollup over N plays (default 10 million): DuckDB (the batch engine) vs pyarrow compute.

Generates one day of enriched partitions (24 hours x regions) with the real ETL publisher, in the
S3 store under a private prefix and in a local folder, then times the daily rollup (read the day's
enriched files, count plays per region and song, take the top 10) with each engine.

    uv run python bench/rollup_daily.py [--plays 10000000] [--regions 10] [--songs 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date

import pyarrow as pa
import pyarrow.fs as pafs
from topsongs_charts import synthetic
from topsongs_charts.enrich import enrich_hour
from topsongs_charts.etl import enriched_key, publish_hour
from topsongs_charts.intervals import day_hours
from topsongs_charts.lake import Lake
from topsongs_charts.rollup import ROLLUP_COLUMNS, read_enriched, song_plays, top_songs
from topsongs_charts.settings import ChartsSettings
from topsongs_core.settings import DEFAULT_REGIONS

DAY = date(2039, 12, 31)
TOP_N = 10


def duckdb_rollup(plays: pa.Table) -> list[tuple]:
    """The production path: DuckDB SQL over the Arrow table."""
    top = top_songs(song_plays(plays), TOP_N)
    return list(
        zip(top["region"].to_pylist(), top["song_id"].to_pylist(), top["plays"].to_pylist(), strict=True)
    )


def pyarrow_rollup(plays: pa.Table) -> list[tuple]:
    """Baseline: pyarrow's hash aggregation and sort, top N sliced per region."""
    counts = plays.group_by(["region", "song_id"]).aggregate([("song_id", "count"), ("title", "min")])
    ordered = counts.sort_by(
        [("region", "ascending"), ("song_id_count", "descending"), ("song_id", "ascending")]
    )
    rows = zip(*(ordered[c].to_pylist() for c in ("region", "song_id", "song_id_count")), strict=True)
    top: list[tuple] = []
    seen: dict[str, int] = {}
    for region, song_id, n in rows:
        if seen.get(region, 0) < TOP_N:
            seen[region] = seen.get(region, 0) + 1
            top.append((region, song_id, n))
    return top


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall time of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def build_day(
    lakes: list[Lake], settings: ChartsSettings, plays: int, regions: list[str], songs: int
) -> list[str]:
    """Publish one day of enriched partitions to every lake; returns the enriched keys."""
    catalog = synthetic.catalog(songs)
    per_region = plays // (24 * len(regions))
    keys = []
    for number, hour in enumerate(day_hours(DAY)):
        raw = synthetic.plays(hour, regions, per_region, songs, seed=number)
        enriched = enrich_hour(raw, catalog, hour, tuple(regions))
        for lake in lakes:
            publish_hour(lake, settings, hour, enriched, raw_files=0)
        keys += [enriched_key(settings, r, hour) for r in regions]
    return keys


def main() -> None:
    """Generate, time, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plays", type=int, default=10_000_000)
    parser.add_argument("--regions", type=int, default=len(DEFAULT_REGIONS))
    parser.add_argument("--songs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    regions = list(DEFAULT_REGIONS[: args.regions])
    root = f"bench/rollup-{uuid.uuid4().hex[:8]}"
    settings = ChartsSettings(enriched_prefix=f"{root}/enriched/plays")
    s3 = Lake.from_s3(settings.s3)
    with tempfile.TemporaryDirectory() as local_dir:
        local = Lake(pafs.LocalFileSystem(), local_dir)
        try:
            seconds, keys = timed(lambda: build_day([s3, local], settings, args.plays, regions, args.songs))
            print(f"generated {args.plays:,} plays, {len(keys)} partitions, in {seconds:.1f}s")  # type: ignore[arg-type]
            _report(s3, local, keys, args.repeat)  # type: ignore[arg-type]
        finally:
            s3.remove_tree(root)


def best(repeat: int, fn: Callable[..., object], *args: object) -> tuple[float, object]:
    """Fastest of ``repeat`` calls."""
    return min((timed(lambda: fn(*args)) for _ in range(repeat)), key=lambda t: t[0])


def _report(s3: Lake, local: Lake, keys: list[str], repeat: int) -> None:
    print(f"{'lake':<6} {'step':<22} {'duckdb s':>9} {'pyarrow s':>10} {'pyarrow/duckdb':>15}")
    for name, lake in (("s3", s3), ("local", local)):
        read_s, plays = best(repeat, read_enriched, lake, keys)
        assert isinstance(plays, pa.Table) and plays.column_names == ROLLUP_COLUMNS
        duck_s, duck = best(repeat, duckdb_rollup, plays)
        arrow_s, arrow = best(repeat, pyarrow_rollup, plays)
        assert duck == arrow, "engines disagree"
        total_d, total_a = read_s + duck_s, read_s + arrow_s
        print(f"{name:<6} {'read enriched day':<22} {read_s:>9.2f} {read_s:>10.2f} {'(shared)':>15}")
        print(
            f"{name:<6} {'aggregate + top 10':<22} {duck_s:>9.2f} {arrow_s:>10.2f} {arrow_s / duck_s:>15.2f}"
        )
        ratio = total_a / total_d
        print(f"{name:<6} {'daily rollup total':<22} {total_d:>9.2f} {total_a:>10.2f} {ratio:>15.2f}")
    print(f"rows per run: {plays.num_rows:,}")


if __name__ == "__main__":
    main()
