"""The lake job submitted to the cluster profile's Spark standalone master: executors on both workers."""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from topsongs_charts.lake import Lake
from topsongs_charts.raw import lake_files
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings, S3Settings
from topsongs_devstack.cluster.settings import ClusterSettings, service_kafka_env, service_kafka_settings
from topsongs_devstack.cluster.spark import daemons, lake_env, master_state
from topsongs_devstack.process import free_port
from topsongs_devstack.services.spark import spark_jars
from topsongs_devstack.stack import running

from tests.spark.lake_job import running_job
from tests.spark.lake_plays import make_plays, send

N = 2000


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterSettings]:
    """Master + two workers on their 127.0.1.x addresses, stopped at the end, also on failure.

    Own state dir and free ports: a `make cluster-up` may be running on the profile's fixed ports.
    """
    settings = ClusterSettings(
        state_dir=tmp_path_factory.mktemp("spark-cluster"),
        spark_master_port=free_port(),
        spark_ui_port=free_port(),
        spark_worker_port=free_port(),
        spark_worker_ui_port=free_port(),
        start_timeout_s=60.0,
        lake_cores_max=2,  # both workers' single core: one executor each
    )
    spark_jars(settings.devstack())  # the job's LAKE_JARS_DIR (resolved once into the shared cache)
    with running(daemons(settings)):
        yield settings


@pytest.fixture
def lake(s3_settings: S3Settings) -> Iterator[tuple[Lake, str]]:
    """The S3 lake and a prefix private to this test, removed afterwards."""
    store, prefix = Lake.from_s3(s3_settings), f"tests/spark-cluster-{uuid.uuid4().hex[:8]}"
    yield store, prefix
    store.remove_tree(prefix)


def run_on_cluster(
    settings: ClusterSettings, kafka_env: Mapping[str, str], s3: S3Settings, prefix: str, log: Path
) -> dict[str, Any]:
    """Run the profile's lake job (`lake_env`) to completion with the shared S3 store and a private
    prefix; return the master's last view of the app (its id and cores granted)."""
    name = f"lake-cluster-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        **lake_env(settings, kafka_env),
        "S3_ENDPOINT_URL": str(s3.endpoint_url),
        "LAKE_APP_NAME": name,
        "LAKE_DRIVER_MEMORY": "512m",
        "LAKE_AVAILABLE_NOW": "true",
        "LAKE_MAX_OFFSETS_PER_TRIGGER": "1000",  # two batches of the N plays
        "LAKE_QUARANTINE": "false",
        "LAKE_PLAYS_PATH": f"{prefix}/plays",
        # Executors on other hosts must share the checkpoint: the object store, not a local folder.
        "LAKE_CHECKPOINT_LOCATION": f"s3a://{s3.bucket}/{prefix}/checkpoints",
    }
    app: dict[str, Any] = {}
    granted = 0
    with running_job(env, log) as job:
        deadline = time.monotonic() + 120
        while job.poll() is None and time.monotonic() < deadline:
            apps = (master_state(settings) or {}).get("activeapps", [])
            seen = next((a for a in apps if a.get("name") == name), None)
            if seen is not None:
                app, granted = seen, max(granted, seen["cores"])
            time.sleep(0.25)
        assert job.poll() == 0, log.read_text()[-3000:]
    return {**app, "cores": granted}


def assert_executors_on_both_workers(settings: ClusterSettings, app: dict[str, Any]) -> None:
    """The master granted the app the cores it asked for, and each worker ran one of its executors."""
    assert app.get("cores") == settings.lake_cores_max, app
    for n in range(1, len(settings.spark_worker_hosts) + 1):
        work = settings.state_dir / "spark" / f"spark-worker-{n}" / "work" / app["id"]
        assert list(work.glob("*/stderr")), f"no executor of {app['id']} ran on spark-worker-{n}"


def lake_ids(store: Lake, prefix: str) -> list[str]:
    """The event_id of every row the Spark sink's log commits under ``prefix``/plays."""
    ids: list[str] = []
    for key in lake_files(store, f"{prefix}/plays", honour_spark_log=True):
        ids.extend(store.read_parquet(key, columns=["event_id"]).column("event_id").to_pylist())
    return ids


async def test_lake_job_on_standalone_master_lands_every_play_once(
    spark_cluster: ClusterSettings,
    kafka_settings: KafkaSettings,
    s3_settings: S3Settings,
    lake: tuple[Lake, str],
    tmp_path: Path,
) -> None:
    state = master_state(spark_cluster)
    assert state is not None
    alive = {w["host"] for w in state["workers"] if w["state"] == "ALIVE"}
    assert alive == set(spark_cluster.spark_worker_hosts)
    plays = make_plays(N)
    await send(kafka_settings, plays)
    store, prefix = lake
    # The shared single-node broker (PLAINTEXT) with a private topic in place of the cluster's Kafka.
    plain = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
    }

    app = run_on_cluster(spark_cluster, plain, s3_settings, prefix, tmp_path / "job.log")

    assert_executors_on_both_workers(spark_cluster, app)
    ids = lake_ids(store, prefix)
    assert len(ids) == N
    assert set(ids) == {str(p.event_id) for p in plays}


async def test_lake_job_reads_the_secured_cluster_as_the_lake_user(
    spark_cluster: ClusterSettings,
    kafka_cluster: ClusterSettings,
    s3_settings: S3Settings,
    lake: tuple[Lake, str],
    tmp_path: Path,
) -> None:
    plays = make_plays(N)
    ingest = service_kafka_settings(kafka_cluster, "ingest")
    async with AIOKafkaProducer(**aiokafka_connection(ingest), acks="all") as producer:
        for play in plays:
            await producer.send(ingest.plays_topic, play.to_json(), key=play.kafka_key())
        await producer.flush()
    store, prefix = lake
    log = tmp_path / "job.log"
    lake_user = service_kafka_env(kafka_cluster, "lake")  # SASL_SSL, SCRAM-SHA-512, the local CA

    app = run_on_cluster(spark_cluster, lake_user, s3_settings, prefix, log)

    assert_executors_on_both_workers(spark_cluster, app)
    # Other cluster tests write song-plays too (records that are no play event are skipped):
    # each of these plays is in the lake exactly once.
    counts = Counter(lake_ids(store, prefix))
    assert {str(p.event_id): counts[str(p.event_id)] for p in plays} == {str(p.event_id): 1 for p in plays}
    assert lake_user["KAFKA_SASL_PASSWORD"] not in log.read_text()
