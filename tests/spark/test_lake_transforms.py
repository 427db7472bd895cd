"""The job's pure transforms on hand-made Kafka rows (local SparkSession, no engines touched)."""

from __future__ import annotations

from datetime import datetime

import pytest
from pyspark.sql import Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BinaryType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)
from pyspark.testing import assertDataFrameEqual
from spark.schema import QUARANTINED_PLAY, RAW_PLAY
from spark.transforms import decode, event_time_partitions, quarantined, raw_plays

KAFKA_ROW = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
        StructField("timestamp", TimestampType()),
        StructField("timestampType", IntegerType()),
    ]
)
ARRIVED = datetime(2025, 4, 23, 23, 59, 59)
GOOD = (
    b'{"event_id":"e1","song_id":"s1","title":"T","artist":"A","user_id":"u1","region":"US",'
    b'"played_at":"2025-04-23T23:30:00.123456Z","ms_played":1500,"device":null,"schema_version":1}'
)
OFFSET = (
    b'{"event_id":"e2","song_id":"s2","title":"T","artist":"A","user_id":"u2","region":"DE",'
    b'"played_at":"2025-04-24T01:15:00+02:00","schema_version":1}'
)
BAD = [
    b"not json",
    b'{"event_id":"e3","song_id":"s3","user_id":"u","region":"us/..","played_at":"2025-04-23T10:00:00Z"}',
    b'{"event_id":"e4","song_id":"s4","user_id":"u","region":"US","played_at":"yesterday"}',
    b'{"song_id":"s5","user_id":"u","region":"US","played_at":"2025-04-23T10:00:00Z"}',
]


@pytest.fixture(scope="module")
def records(spark: SparkSession):  # type: ignore[no-untyped-def]
    """Kafka source rows: two valid plays and four records the lake must not take."""
    values = [GOOD, OFFSET, *BAD]
    rows = [(b"US|s", value, "song-plays", 3, 100 + i, ARRIVED, 0) for i, value in enumerate(values)]
    return spark.createDataFrame(rows, KAFKA_ROW)


def test_raw_plays_parse_and_partition_by_utc_event_time(spark: SparkSession, records) -> None:  # type: ignore[no-untyped-def]
    expected = spark.createDataFrame(
        [
            (
                "e1",
                "s1",
                "T",
                "A",
                "u1",
                datetime(2025, 4, 23, 23, 30, 0, 123456),
                1500,
                None,
                1,
                3,
                100,
                ARRIVED,
                "US",
                "2025-04-23",
                23,
            ),
            (
                "e2",
                "s2",
                "T",
                "A",
                "u2",
                datetime(2025, 4, 23, 23, 15),
                None,
                None,
                1,
                3,
                101,
                ARRIVED,
                "DE",
                "2025-04-23",
                23,
            ),
        ],
        RAW_PLAY,
    )
    assertDataFrameEqual(raw_plays(decode(records)), expected)


def test_invalid_records_go_to_quarantine_verbatim(spark: SparkSession, records) -> None:  # type: ignore[no-untyped-def]
    expected = spark.createDataFrame(
        [("US|s", v.decode(), 3, 102 + i, ARRIVED, "2025-04-23") for i, v in enumerate(BAD)],
        QUARANTINED_PLAY,
    )
    assertDataFrameEqual(quarantined(decode(records)), expected)


def test_partitions_ignore_the_session_time_zone(spark: SparkSession) -> None:
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        at = spark.sql("select timestamp'2025-04-24 00:30:00 UTC' as at")
        date, hour = event_time_partitions(F.col("at"))
        assertDataFrameEqual(
            at.select(date.alias("date"), hour.alias("hour")), [Row(date="2025-04-24", hour=0)]
        )
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous or "UTC")
