"""Spark schemas of the play-event JSON on Kafka and of the raw Parquet lake."""

from __future__ import annotations

from pyspark.sql.types import (
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

# Mirrors topsongs_core.events.PlayEvent; played_at stays a string here and is cast in the
# transform so every ISO 8601 form orjson emits (with or without fractions) parses the same way.
PLAY_EVENT = StructType(
    [
        StructField("event_id", StringType()),
        StructField("song_id", StringType()),
        StructField("title", StringType()),
        StructField("artist", StringType()),
        StructField("user_id", StringType()),
        StructField("region", StringType()),
        StructField("played_at", StringType()),
        StructField("ms_played", LongType()),
        StructField("device", StringType()),
        StructField("schema_version", IntegerType()),
    ]
)

PARTITION_COLUMNS = ("region", "date", "hour")

# One row of raw/plays as readers see it (partition columns last, typed as written).
RAW_PLAY = StructType(
    [
        StructField("event_id", StringType()),
        StructField("song_id", StringType()),
        StructField("title", StringType()),
        StructField("artist", StringType()),
        StructField("user_id", StringType()),
        StructField("played_at", TimestampType()),
        StructField("ms_played", LongType()),
        StructField("device", StringType()),
        StructField("schema_version", IntegerType()),
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
