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
    # The lake job's checkpoint root (one folder per query below it). The readers need it too: the
    # plays query's newest commit says which Kafka offsets the lake holds (docs/lake.md).
    checkpoint_location: str = "_checkpoints/spark"

    def checkpoint_uri(self, bucket: str, query: str) -> str:
        """A query's checkpoint as Hadoop takes it: a key in ``bucket``, a URI, or an absolute local path."""
        root = self.checkpoint_location.rstrip("/")
        return f"{root if root.startswith('/') else dataset_uri(bucket, root)}/{query}"

    def checkpoint_key(self, bucket: str, query: str) -> str:
        """A query's checkpoint as a key in ``bucket`` (where the readers look for it)."""
        return self.checkpoint_uri(bucket, query).removeprefix(f"s3a://{bucket}/")
