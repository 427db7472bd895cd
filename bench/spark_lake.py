"""Spark lake job events/s into Parquet on S3, against the same Spark reading the topic to `noop`.

Run: ``uv run python -m bench spark_lake`` or ``uv run python bench/spark_lake.py [N_EVENTS]``
(needs the local Kafka and S3: ``make up``). Prints events/s, the ratio and the JVM's peak RSS.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from ingest.kafka_setup import drop_topics
from pyspark.sql import SparkSession
from spark.job import await_all, start
from spark.session import build_session, kafka_source_options
from spark.settings import LakeSettings
from topsongs_core.events import PlayEvent
from topsongs_core.settings import DEFAULT_REGIONS, KafkaSettings, S3Settings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.objectstore import s3_client
from topsongs_devstack.services.spark import spark_jars


async def preload(kafka: KafkaSettings, n: int) -> None:
    """``n`` contract-valid plays of the last two hours over every region."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    async with AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, linger_ms=50, max_batch_size=512 * 1024
    ) as producer:
        for first in range(0, n, 10_000):
            batch = [
                PlayEvent(
                    song_id=f"s-{rng.randrange(5000)}",
                    title="A title",
                    artist="An artist",
                    user_id=f"u-{rng.randrange(100_000)}",
                    region=rng.choice(DEFAULT_REGIONS),
                    played_at=now - timedelta(seconds=rng.uniform(0, 7200)),
                    ms_played=rng.randrange(30_000, 300_000),
                )
                for _ in range(min(10_000, n - first))
            ]
            sent = [await producer.send(kafka.plays_topic, e.to_json(), key=e.kafka_key()) for e in batch]
            await asyncio.gather(*sent)


def drain_to_noop(spark: SparkSession, kafka: KafkaSettings, lake: LakeSettings, tmp: str) -> float:
    """Seconds for Spark's Kafka source alone to drain the topic (no parse, no write)."""
    source = spark.readStream.format("kafka").options(**kafka_source_options(kafka, lake)).load()
    started = time.perf_counter()
    query = (
        source.writeStream.format("noop")
        .option("checkpointLocation", f"{tmp}/noop")
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return time.perf_counter() - started


def run_lake(spark: SparkSession, kafka: KafkaSettings, lake: LakeSettings, s3: S3Settings) -> float:
    """Seconds for the lake job's queries to drain the topic into Parquet."""
    started = time.perf_counter()
    await_all(spark, start(spark, lake, kafka, s3))
    return time.perf_counter() - started


def jvm_peak_rss_mib(spark: SparkSession) -> float:
    """Peak resident memory of the driver JVM (VmHWM), in MiB."""
    pid = spark.sparkContext._gateway.proc.pid  # type: ignore[union-attr]
    with open(f"/proc/{pid}/status") as status:
        line = next(row for row in status if row.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def cleanup(kafka: KafkaSettings, s3: S3Settings, prefix: str) -> None:
    """Delete the private topics and the bench's objects."""
    client = s3_client(s3)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=s3.bucket, Key=obj["Key"])
    asyncio.run(drop_topics(kafka))


def main(argv: list[str] | None = None) -> None:
    """Preload; warm up with one lake run; time noop, then the lake job without/with quarantine."""
    n = int(argv[0]) if argv else 500_000
    suffix = uuid.uuid4().hex[:8]
    kafka = private_topics("bench-spark", suffix)
    s3 = S3Settings()
    prefix = f"bench/spark-{suffix}"
    asyncio.run(ensure_topics(kafka))
    t0 = time.perf_counter()
    asyncio.run(preload(kafka, n))
    print(f"preloaded {n} plays in {time.perf_counter() - t0:.1f}s", flush=True)

    lake = LakeSettings(jars_dir=spark_jars(DevstackSettings()), available_now=True, ui_enabled=False)
    spark = build_session(lake, s3)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        checkpoints = f"s3a://{s3.bucket}/{prefix}/checkpoints"
        warm_up = lake.model_copy(
            update={
                "plays_path": f"{prefix}/warm-up/plays",
                "checkpoint_location": f"{checkpoints}/warm-up",
            }
        )
        run_lake(spark, kafka, warm_up, s3)  # JIT, Kafka source, Parquet writer and S3A all warm
        noop_s = drain_to_noop(spark, kafka, lake, checkpoints)
        runs = {}
        for quarantine in (False, True):
            tag = "quarantine" if quarantine else "no-quarantine"
            run = lake.model_copy(
                update={
                    "quarantine": quarantine,
                    "plays_path": f"{prefix}/{tag}/plays",
                    "quarantine_path": f"{prefix}/{tag}/quarantine",
                    "checkpoint_location": f"s3a://{s3.bucket}/{prefix}/{tag}/checkpoints",
                }
            )
            runs[tag] = run_lake(spark, kafka, run, s3)
        rows = spark.read.parquet(f"s3a://{s3.bucket}/{prefix}/no-quarantine/plays").count()
        assert rows == n, f"lake holds {rows} rows, expected {n}"
        peak = jvm_peak_rss_mib(spark)
    finally:
        spark.stop()
        cleanup(kafka, s3, prefix)

    base = n / noop_s
    print(f"baseline  Spark Kafka source -> noop: {base:,.0f} events/s ({noop_s:.1f}s)")
    for tag, seconds in runs.items():
        rate = n / seconds
        print(
            f"lake job ({tag}) -> s3a Parquet: {rate:,.0f} events/s ({seconds:.1f}s), "
            f"ratio to baseline {rate / base:.2f}"
        )
    print(f"driver JVM peak RSS (driver memory {lake.driver_memory}): {peak:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
