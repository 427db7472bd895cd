"""Reading one hour of raw plays as Spark's file sink wrote them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
from topsongs_core.lake_layout import PLAY_COLUMNS, SPARK_LOG, ColumnType, partition

from topsongs_charts.lake import Lake

_ARROW: dict[ColumnType, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "int32": pa.int32(),
    "int64": pa.int64(),
}

# One raw play as the batch reads it: the play event's columns (the partition path supplies region).
RAW_SCHEMA = pa.schema([(c.name, _ARROW[c.type]) for c in PLAY_COLUMNS])


def spark_committed_files(lake: Lake, prefix: str) -> set[str] | None:
    """Keys the Spark sink's `_spark_metadata` log commits, or None when there is no log."""
    ordered = _spark_commit_order(lake, prefix)
    return None if ordered is None else set(ordered)


def _spark_commit_order(lake: Lake, prefix: str) -> list[str] | None:
    """The committed keys in the order the log added them, or None when there is no log."""
    log = f"{prefix}/{SPARK_LOG}"
    batches = [k.rsplit("/", 1)[-1] for k in lake.list_files(log)]
    numbered = sorted((int(name.split(".")[0]), name) for name in batches if name.split(".")[0].isdigit())
    if not numbered:
        return None
    compacts = [n for n, name in numbered if name.endswith(".compact")]
    start = compacts[-1] if compacts else 0
    files: dict[str, None] = {}  # insertion-ordered
    for number, name in numbered:
        if number < start:
            continue
        for line in lake.read_text(f"{log}/{name}").splitlines()[1:]:  # first line is "v1"
            if not line.strip():
                continue
            entry = json.loads(line)
            key = _key_from_uri(unquote(entry["path"]), prefix)
            if entry.get("action", "add") == "add":
                files.setdefault(key, None)
            else:
                files.pop(key, None)
    return list(files)


def files_in_arrival_order(lake: Lake, prefix: str, *, honour_spark_log: bool) -> list[str]:
    """Every raw Parquet key, oldest arrival first: the Spark log's commit order when it exists,
    else by modification time (then key)."""
    ordered = _spark_commit_order(lake, prefix) if honour_spark_log else None
    if ordered is None:
        selector = pafs.FileSelector(lake.path(prefix), allow_not_found=True, recursive=True)
        root = lake.path("")
        infos = [i for i in lake.fs.get_file_info(selector) if i.type == pafs.FileType.File]
        ordered = [i.path[len(root) :] for i in sorted(infos, key=lambda i: (i.mtime_ns or 0, i.path))]
    return [key for key in ordered if _is_data_file(key)]


def _key_from_uri(uri: str, prefix: str) -> str:
    at = uri.find(f"/{prefix}/")
    return uri[at + 1 :] if at >= 0 else uri


_PARTITION = re.compile(r"/region=([^/]+)/date=(\d{4}-\d{2}-\d{2})/hour=(\d{1,2})/([^/]+)$")


def _is_data_file(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return name.endswith(".parquet") and not name.startswith(("_", "."))


def lake_files(lake: Lake, prefix: str, *, honour_spark_log: bool) -> set[str]:
    """Every raw Parquet key the lake holds: the Spark log's files when it exists, else a listing."""
    committed = spark_committed_files(lake, prefix) if honour_spark_log else None
    if committed is None:
        committed = set(lake.list_files(prefix, recursive=True))
    return {key for key in committed if _is_data_file(key)}


def hour_of(key: str) -> datetime | None:
    """The UTC hour of a raw key, from its partition path (None outside a partition)."""
    match = _PARTITION.search(key)
    if not match:
        return None
    return datetime.combine(date.fromisoformat(match.group(2)), time(), UTC) + timedelta(
        hours=int(match.group(3))
    )


def files_per_hour(keys: set[str]) -> dict[datetime, int]:
    """How many raw files each UTC hour has (all regions), from the partition path of each key."""
    counts: dict[datetime, int] = {}
    for key in keys:
        at = hour_of(key)
        if at is not None:
            counts[at] = counts.get(at, 0) + 1
    return counts


def hour_files(lake: Lake, prefix: str, hour: datetime) -> dict[str, list[str]]:
    """Parquet keys per region for one hour, e.g. ``{"US": ["raw/plays/region=US/..."]}``."""
    found: dict[str, list[str]] = {}
    for region_dir in lake.list_dirs(prefix):
        if not region_dir.startswith("region="):
            continue
        region = region_dir.removeprefix("region=")
        day_key = f"{prefix}/{partition(region, hour.date())}"
        for hour_dir in lake.list_dirs(day_key):
            value = hour_dir.removeprefix("hour=")
            if value.isdigit() and int(value) == hour.hour:
                keys = [k for k in lake.list_files(f"{day_key}/{hour_dir}") if _is_data_file(k)]
                found.setdefault(region, []).extend(keys)
    return found


def normalise(table: pa.Table, region: str) -> pa.Table:
    """Cast one file to RAW_SCHEMA; the region comes from the path when the file lacks it."""
    columns = []
    for field in RAW_SCHEMA:
        if field.name in table.column_names:
            column = table[field.name]
            if field.name == "played_at" and pa.types.is_timestamp(column.type) and column.type.tz is None:
                column = pc.assume_timezone(column, "UTC")
            columns.append(column.cast(field.type))
        elif field.name == "region":
            columns.append(pa.array([region] * table.num_rows, pa.string()))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=RAW_SCHEMA)


@dataclass
class RawHour:
    """One hour of raw plays and how many lake files they came from."""

    table: pa.Table
    files: int


def read_hour(
    lake: Lake, prefix: str, hour: datetime, *, honour_spark_log: bool, only: Mapping[str, int] | None = None
) -> RawHour:
    """Every raw row of one hour (all regions), committed files only when Spark's log exists. With
    ``only`` (key → arrival rank), only those keys, each row with its file's rank as ``arrival``."""
    committed = spark_committed_files(lake, prefix) if honour_spark_log else None
    if only is not None:
        committed = set(only) if committed is None else committed & set(only)
    schema = RAW_SCHEMA if only is None else RAW_SCHEMA.append(pa.field("arrival", pa.int64()))
    tables = [schema.empty_table()]
    files = 0
    for region, keys in hour_files(lake, prefix, hour).items():
        for key in keys:
            if committed is not None and key not in committed:
                continue
            table = normalise(lake.read_parquet(key), region)
            if only is not None:
                table = table.append_column("arrival", pa.array([only[key]] * table.num_rows, pa.int64()))
            tables.append(table)
            files += 1
    return RawHour(pa.concat_tables(tables), files)
