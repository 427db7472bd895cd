"""The streaming job: Kafka plays topic → Parquet under s3a://<bucket>/raw/plays (region/date/hour).

Run with ``python -m spark.job``; every option comes from LAKE_*, KAFKA_* and S3_* variables.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery, StreamingQueryListener
from pyspark.sql.streaming.listener import (
    QueryIdleEvent,
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
)
from topsongs_core.kafka_access import explain_kafka_error
from topsongs_core.settings import KafkaSettings, S3Settings

from spark.checkpoint import CheckpointMismatch, check_sink_matches
from spark.schema import PARTITION_COLUMNS
from spark.session import build_session, kafka_source_options, lake_uri
from spark.settings import LakeSettings
from spark.transforms import (
    QUALITY_METRICS,
    bounded_files,
    decode,
    quarantined,
    raw_plays,
    with_quality_metrics,
)


class ProgressLog(StreamingQueryListener):
    """One log line per micro-batch: rows in, rows/s, and the batch id."""

    def onQueryStarted(self, event: QueryStartedEvent) -> None:
        print(f"[spark] query {event.name} started", flush=True)

    def onQueryProgress(self, event: QueryProgressEvent) -> None:
        p = event.progress
        if p.numInputRows:
            quality = p.observedMetrics.get(QUALITY_METRICS)
            skipped = f", {quality['invalid']} invalid skipped" if quality else ""
            print(
                f"[spark] {p.name} batch {p.batchId}: {p.numInputRows} rows "
                f"({p.processedRowsPerSecond:.0f} rows/s){skipped}",
                flush=True,
            )

    def onQueryIdle(self, event: QueryIdleEvent) -> None:
        """Nothing to log while the topic is quiet."""

    def onQueryTerminated(self, event: QueryTerminatedEvent) -> None:
        status = f"failed: {event.exception}" if event.exception else "stopped"
        print(f"[spark] query {event.id} {status}", flush=True)


class _Sink(NamedTuple):
    rows: DataFrame
    name: str
    path: str
    checkpoint: str
    partition_by: tuple[str, ...]

    def start(self, lake: LakeSettings) -> StreamingQuery:
        writer = (
            self.rows.writeStream.queryName(self.name)
            .format("parquet")
            .option("path", self.path)
            .option("checkpointLocation", self.checkpoint)
            .partitionBy(*self.partition_by)
            .outputMode("append")
        )
        if lake.available_now:
            writer = writer.trigger(availableNow=True)
        else:
            writer = writer.trigger(processingTime=lake.trigger_interval)
        return writer.start()


def start(
    spark: SparkSession, lake: LakeSettings, kafka: KafkaSettings, s3: S3Settings
) -> list[StreamingQuery]:
    """Start the lake query (and the quarantine query when enabled), once every sink's log is found
    to belong to its checkpoint (CheckpointMismatch otherwise, before any query starts)."""
    source = spark.readStream.format("kafka").options(**kafka_source_options(kafka, lake)).load()
    decoded = decode(source)
    counted = with_quality_metrics(decoded)
    plays = bounded_files(raw_plays(counted), lake.output_tasks)
    sinks = [
        _Sink(
            plays,
            "raw-plays",
            lake_uri(s3, lake.plays_path),
            lake.checkpoint_uri(s3.bucket, "plays"),
            PARTITION_COLUMNS,
        )
    ]
    if lake.quarantine:
        bad = bounded_files(quarantined(decoded), 1)
        sinks.append(
            _Sink(
                bad,
                "raw-plays-quarantine",
                lake_uri(s3, lake.quarantine_path),
                lake.checkpoint_uri(s3.bucket, "quarantine"),
                ("date",),
            )
        )
    for sink in sinks:
        check_sink_matches(spark, sink.path, sink.checkpoint)
    return [sink.start(lake) for sink in sinks]


def await_all(spark: SparkSession, queries: list[StreamingQuery]) -> None:
    """Block until every query has stopped; raise as soon as one fails."""
    while any(q.isActive for q in queries):
        spark.streams.awaitAnyTermination()
        spark.streams.resetTerminated()
        for q in queries:
            if q.exception() is not None:
                raise RuntimeError(f"query {q.name} failed: {q.exception()}")


def main() -> int:
    """Build the session from the environment, run the queries, exit non-zero on failure.

    Kafka refusing the job's credentials or topic ends it with exit code 2 and one line naming the
    settings (the Kafka source fails its first batch on it, a few seconds after the query starts);
    so does a checkpoint that does not belong to the sink's log (spark.checkpoint).
    """
    lake, kafka, s3 = LakeSettings(), KafkaSettings(), S3Settings()
    spark = build_session(lake, s3)
    spark.sparkContext.setLogLevel("WARN")
    spark.streams.addListener(ProgressLog())
    try:
        await_all(spark, start(spark, lake, kafka, s3))
    except CheckpointMismatch as exc:
        print(f"[spark] lake job stopped: {exc}", flush=True)
        return 2
    except Exception as exc:
        refused = explain_kafka_error(exc, kafka, operation="Read", topic=kafka.plays_topic)
        if refused is None:
            raise
        print(f"[spark] lake job stopped: {refused}", flush=True)
        return 2
    finally:
        for q in spark.streams.active:
            q.stop()
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
