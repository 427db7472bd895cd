"""Hourly ETL: raw plays of one hour → validated, de-duplicated, enriched Parquet partitions."""

from __future__ import annotations

import logging
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from topsongs_core.lake_layout import partition

from topsongs_charts import claims, quality
from topsongs_charts.enrich import CATALOG_COLUMNS, CATALOG_SCHEMA, Enriched, enrich_hour
from topsongs_charts.intervals import as_hour
from topsongs_charts.lake import Lake
from topsongs_charts.locks import hour_lock
from topsongs_charts.raw import read_hour
from topsongs_charts.settings import ChartsSettings

log = logging.getLogger(__name__)

PART_FILE = "part-0.parquet"
_EMPTY_CATALOG = CATALOG_SCHEMA.empty_table()


def marker_key(settings: ChartsSettings, hour: datetime) -> str:
    """The hour's manifest: written last, it lists the regions and rows the ETL published."""
    return f"{settings.enriched_prefix}/_hours/date={hour.date().isoformat()}/hour={hour.hour}.json"


def enriched_key(settings: ChartsSettings, region: str, hour: datetime) -> str:
    """The single Parquet object of one enriched partition."""
    return f"{settings.enriched_prefix}/{partition(region, hour.date(), hour.hour)}/{PART_FILE}"


def read_catalog(lake: Lake, settings: ChartsSettings) -> pa.Table:
    """The song catalog the simulator keeps in the lake."""
    if not lake.exists(settings.catalog_key):
        raise FileNotFoundError(
            f"song catalog {settings.catalog_key} is missing; run the simulator's catalog step"
        )
    return lake.read_parquet(settings.catalog_key, columns=CATALOG_COLUMNS)


def run_hourly_etl(settings: ChartsSettings, hour: datetime, lake: Lake | None = None) -> dict:
    """Enrich one hour for every region and replace its partitions; returns the manifest."""
    hour = as_hour(hour)
    lake = lake or Lake.from_s3(settings.s3)
    with hour_lock(settings, hour):
        arrival = claims.claim_new_files(settings, lake)
        claimed = claims.claimed_files(settings, hour)
        raw = read_hour(
            lake,
            settings.lake.plays_path,
            hour,
            honour_spark_log=settings.honour_spark_log,
            only={key: rank for key, rank in arrival.items() if key in claimed},
        )
        quality.require_known_regions(raw.table, settings.contract.regions, f"ETL {hour:%Y-%m-%dT%H}")
        ids = raw.table["event_id"]
        elsewhere = claims.claimed_elsewhere(settings, hour, ids.drop_null().unique().to_pylist())
        plays = raw.table.filter(pc.invert(pc.is_in(ids, pa.array(sorted(elsewhere), pa.string()))))
        catalog = read_catalog(lake, settings) if plays.num_rows else _EMPTY_CATALOG
        result = enrich_hour(plays, catalog, hour, settings.contract.regions)
        return publish_hour(
            lake, settings, hour, result, raw_files=raw.files, claimed_elsewhere=len(ids) - plays.num_rows
        )


def publish_hour(
    lake: Lake,
    settings: ChartsSettings,
    hour: datetime,
    result: Enriched,
    *,
    raw_files: int,
    claimed_elsewhere: int = 0,
) -> dict:
    """Check the enriched hour, replace its partitions, drop stale ones, then write the manifest.

    ``raw_files`` (how many lake files were read) lets the restatement find hours that gained files;
    ``claimed_elsewhere`` rows were dropped before ``result`` as later copies of another hour's plays.
    """
    quality.require_no_nulls(result.table, ["event_id", "song_id", "region", "played_at"], "enriched")
    quality.require_unique(result.table, "event_id", "enriched")
    if result.unknown_songs:
        log.warning("%d songs not in the catalog: %s", len(result.unknown_songs), result.unknown_songs)
    if result.nul_replaced:
        log.warning("%d plays held a NUL in song_id, title or artist: U+FFFD instead", result.nul_replaced)

    written: dict[str, int] = {}
    for region in sorted(set(result.table["region"].to_pylist())):
        rows = result.table.filter(pc.equal(result.table["region"], region))
        key = enriched_key(settings, region, hour)
        written[region] = lake.replace_parquet(key, rows, f"{settings.enriched_prefix}/_staging")
        _delete_strays(lake, key)
    previous = lake.read_json(marker_key(settings, hour)) or {}
    for region in set(previous.get("regions", {})) - set(written):
        lake.delete(enriched_key(settings, region, hour))
    quality.require_equal(
        f"ETL {hour:%Y-%m-%dT%H}",
        kept=result.rows_out,
        written=sum(written.values()),
        read_minus_dropped=result.rows_in - result.invalid - result.duplicates,
    )
    manifest = {
        "hour": hour.isoformat(),
        "regions": written,
        "rows_in": result.rows_in + claimed_elsewhere,
        "claimed_elsewhere": claimed_elsewhere,
        "invalid": result.invalid,
        "duplicates": result.duplicates,
        "rows_out": result.rows_out,
        "raw_files": raw_files,
        "unknown_songs": result.unknown_songs,
        "nul_replaced": result.nul_replaced,
    }
    lake.write_json(marker_key(settings, hour), manifest)
    return manifest


def _delete_strays(lake: Lake, key: str) -> None:
    folder = key.rsplit("/", 1)[0]
    for other in lake.list_files(folder):
        if other != key:
            lake.delete(other)
