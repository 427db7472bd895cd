"""The raw lake's layout: where the play datasets live, how they are partitioned, which columns a play has.

The lake job (spark/) writes it and the batch charts (charts/, airflow/) read it; both take
:class:`LakeLayout` (env prefix ``LAKE_``), so ``LAKE_PLAYS_PATH`` moves the dataset for writer and
readers at once (docs/lake.md).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from pydantic_settings import BaseSettings, SettingsConfigDict

ColumnType = Literal["string", "timestamp", "int32", "int64"]


class Column(NamedTuple):
    """One column of a play: its name and its type in every engine (Spark and Arrow map these)."""

    name: str
    type: ColumnType


# topsongs_core.events.PlayEvent's fields in order (tests/core/test_lake_layout.py keeps them equal).
PLAY_COLUMNS: tuple[Column, ...] = (
    Column("event_id", "string"),
    Column("song_id", "string"),
    Column("title", "string"),
    Column("artist", "string"),
    Column("user_id", "string"),
    Column("region", "string"),
    Column("played_at", "timestamp"),
    Column("ms_played", "int64"),
    Column("device", "string"),
    Column("schema_version", "int32"),
)

# Hive-style directories below the plays dataset, outermost first: region=US/date=2025-04-23/hour=14.
PARTITION_COLUMNS = ("region", "date", "hour")
# Spark's file sink commit log below a dataset; readers honour it (docs/lake.md).
SPARK_LOG = "_spark_metadata"


def partition(region: str, day: date, hour: int | None = None) -> str:
    """The partition path of a region's day (or hour) below a dataset prefix, as Spark writes it."""
    path = f"region={region}/date={day.isoformat()}"
    return path if hour is None else f"{path}/hour={hour}"


def dataset_uri(bucket: str, path: str) -> str:
    """``s3a://<bucket>/<path>``, or ``path`` itself when it already is a URI."""
    return path if "://" in path else f"s3a://{bucket}/{path.strip('/')}"


class LakeLayout(BaseSettings):
    """Where the lake's datasets are: keys in the bucket (``S3_BUCKET``) or full ``s3a://`` URIs."""

    model_config = SettingsConfigDict(env_prefix="LAKE_", extra="ignore")

    plays_path: str = "raw/plays"
    quarantine_path: str = "raw/plays_quarantine"
