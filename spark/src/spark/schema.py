"""Spark schemas of the play-event JSON on Kafka and of the raw Parquet lake."""

from __future__ import annotations

from pyspark.sql.types import (
    DataType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)
from topsongs_core.lake_layout import PARTITION_COLUMNS, PLAY_COLUMNS, ColumnType

__all__ = ["PARTITION_COLUMNS", "PLAY_EVENT", "QUARANTINED_PLAY", "RAW_PLAY"]

_SPARK: dict[ColumnType, DataType] = {
    "string": StringType(),
    "timestamp": TimestampType(),
    "int32": IntegerType(),
    "int64": LongType(),
}

# The play event's columns (topsongs_core.lake_layout); played_at stays a string here and is cast in
# the transform so every ISO 8601 form orjson emits (with or without fractions) parses the same way.
PLAY_EVENT = StructType(
    [StructField(c.name, StringType() if c.type == "timestamp" else _SPARK[c.type]) for c in PLAY_COLUMNS]
)

# One row of raw/plays as readers see it: the play's columns, the Kafka record it came from, then
# the partition columns (typed as written).
RAW_PLAY = StructType(
    [
        *(StructField(c.name, _SPARK[c.type]) for c in PLAY_COLUMNS if c.name not in PARTITION_COLUMNS),
        StructField("kafka_partition", IntegerType()),
        StructField("kafka_offset", LongType()),
        StructField("kafka_timestamp", TimestampType()),
        StructField("region", StringType()),
        StructField("date", StringType()),
        StructField("hour", IntegerType()),
    ]
)

# One row of raw/plays_quarantine: the record as received, for replay after a fix.
QUARANTINED_PLAY = StructType(
    [
        StructField("key", StringType()),
        StructField("value", StringType()),
        StructField("kafka_partition", IntegerType()),
        StructField("kafka_offset", LongType()),
        StructField("kafka_timestamp", TimestampType()),
        StructField("date", StringType()),
    ]
)
