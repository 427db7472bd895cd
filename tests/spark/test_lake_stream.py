"""Plays through the real Kafka into the real S3 lake: exactly once, in the right partitions."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from spark.checkpoint import CheckpointMismatch
from spark.job import await_all, start
from spark.schema import QUARANTINED_PLAY, RAW_PLAY
from spark.session import lake_uri
from spark.settings import LakeSettings
from spark.transforms import QUALITY_METRICS
from topsongs_core.settings import KafkaSettings, S3Settings
from topsongs_devstack.objectstore import s3_client

from tests.spark.lake_job import running_job
from tests.spark.lake_plays import expected_partition, make_plays, send

N = 2000


def read_lake(spark: SparkSession, s3: S3Settings, path: str) -> DataFrame:
    """The lake as readers must see it: through the file sink's _spark_metadata log."""
    return spark.read.schema(RAW_PLAY).parquet(lake_uri(s3, path))


def in_process_lake(jars: Path, prefix: str, **overrides: object) -> LakeSettings:
    """The job's settings for an in-process run that drains the topic: output and checkpoint below
    the test's prefix."""
    return LakeSettings(
        jars_dir=jars,
        available_now=True,
        plays_path=f"{prefix}/plays",
        checkpoint_location=f"{prefix}/checkpoints",
        **overrides,
    )


async def test_every_play_lands_once_in_its_partition(
    spark: SparkSession,
    kafka_settings: KafkaSettings,
    s3_settings: S3Settings,
    lake_prefix: str,
    lake_jars: Path,
) -> None:
    plays = make_plays(N)
    await send(kafka_settings, plays, raw=[b"not json", b'{"region":"US"}'])
    lake = in_process_lake(
        lake_jars,
        lake_prefix,
        max_offsets_per_trigger=N // 2,
        quarantine_path=f"{lake_prefix}/quarantine",
        quarantine=True,
    )

    queries = start(spark, lake, kafka_settings, s3_settings)
    await_all(spark, queries)

    rows = read_lake(spark, s3_settings, lake.plays_path).select("event_id", "region", "date", "hour")
    landed = {r.event_id: (r.region, r.date, r.hour) for r in rows.collect()}
    assert rows.count() == N
    assert landed == {str(p.event_id): expected_partition(p) for p in plays}
    assert len(set(landed.values())) == 8  # 4 regions x 2 hours
    bad = spark.read.schema(QUARANTINED_PLAY).parquet(lake_uri(s3_settings, lake.quarantine_path))
    assert sorted(r.value for r in bad.collect()) == ["not json", '{"region":"US"}']
    progress = [p.observedMetrics.get(QUALITY_METRICS) for p in queries[0].recentProgress]
    assert sum(m["invalid"] for m in progress if m) == 2


async def test_a_checkpoint_that_did_not_write_the_lake_is_refused(
    spark: SparkSession,
    kafka_settings: KafkaSettings,
    s3_settings: S3Settings,
    lake_prefix: str,
    lake_jars: Path,
) -> None:
    """A new checkpoint beside an older sink log would have its batches skipped by the file sink
    (their plays never written, their offsets committed): the job refuses to start. A crash between
    the sink's log entry and the checkpoint's commit is Spark's own replay, and still starts."""
    plays = make_plays(200)
    await send(kafka_settings, plays)
    lake = in_process_lake(lake_jars, lake_prefix, max_offsets_per_trigger=100)
    await_all(spark, start(spark, lake, kafka_settings, s3_settings))
    assert read_lake(spark, s3_settings, lake.plays_path).count() == 200

    # e.g. LAKE_CHECKPOINT_LOCATION's default changed under an existing lake, or a checkpoint wiped
    moved = lake.model_copy(update={"checkpoint_location": f"{lake_prefix}/another-checkpoint"})
    with pytest.raises(CheckpointMismatch, match="LAKE_CHECKPOINT_LOCATION") as refused:
        start(spark, moved, kafka_settings, s3_settings)
    assert "has planned no batch" in str(refused.value)
    assert not spark.streams.active

    client = s3_client(s3_settings)
    commits = f"{lake_prefix}/checkpoints/plays/commits/"
    listed = client.list_objects_v2(Bucket=s3_settings.bucket, Prefix=commits)["Contents"]
    newest = max(
        (o["Key"] for o in listed if o["Key"].rsplit("/", 1)[-1].isdigit()),
        key=lambda k: int(k.rsplit("/", 1)[-1]),
    )
    client.delete_object(Bucket=s3_settings.bucket, Key=newest)  # as if killed before the commit
    await_all(spark, start(spark, lake, kafka_settings, s3_settings))
    lake_rows = read_lake(spark, s3_settings, lake.plays_path)
    assert {r.event_id for r in lake_rows.select("event_id").collect()} == {str(p.event_id) for p in plays}
    assert lake_rows.count() == 200


def _wait_for_first_commit(s3: S3Settings, key: str, job: subprocess.Popen[bytes], log: Path) -> None:
    client = s3_client(s3)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if client.list_objects_v2(Bucket=s3.bucket, Prefix=key).get("KeyCount", 0):
            return
        assert job.poll() is None, f"job exited early:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"no batch committed within 300s:\n{log.read_text()[-3000:]}")


async def test_sigkill_mid_stream_then_restart_keeps_exactly_n(
    spark: SparkSession,
    kafka_settings: KafkaSettings,
    s3_settings: S3Settings,
    lake_prefix: str,
    lake_jars: Path,
    tmp_path: Path,
) -> None:
    plays = make_plays(N)
    await send(kafka_settings, plays)
    plays_path = f"{lake_prefix}/plays"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "LAKE_JARS_DIR": str(lake_jars),
        "LAKE_AVAILABLE_NOW": "true",
        "LAKE_MAX_OFFSETS_PER_TRIGGER": "250",
        "LAKE_QUARANTINE": "false",
        "LAKE_UI_ENABLED": "false",
        "LAKE_PLAYS_PATH": plays_path,
        "LAKE_CHECKPOINT_LOCATION": f"s3a://{s3_settings.bucket}/{lake_prefix}/checkpoints",
    }
    log = tmp_path / "job.log"

    with running_job(env, log) as first:
        _wait_for_first_commit(s3_settings, f"{plays_path}/_spark_metadata/0", first, log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    committed = read_lake(spark, s3_settings, plays_path).count()
    assert 0 < committed < N, "the kill should land mid-stream"

    with running_job(env, log) as second:
        assert second.wait(timeout=300) == 0, log.read_text()[-3000:]

    lake = read_lake(spark, s3_settings, plays_path)
    totals = lake.agg(F.count("*").alias("rows"), F.countDistinct("event_id").alias("ids")).first()
    assert (totals.rows, totals.ids) == (N, N)
    assert {r.event_id for r in lake.select("event_id").collect()} == {str(p.event_id) for p in plays}
