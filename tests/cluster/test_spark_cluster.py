"""The lake job submitted to the cluster profile's Spark standalone master: executors on both workers."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from topsongs_charts.lake import Lake
from topsongs_charts.raw import lake_files
from topsongs_core.settings import KafkaSettings, S3Settings
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.cluster.spark import daemons, lake_env, master_state
from topsongs_devstack.process import free_port
from topsongs_devstack.services.spark import spark_jars

from tests.spark.lake_job import running_job
from tests.spark.lake_plays import make_plays, send

N = 2000
APP_NAME = f"lake-cluster-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def spark_cluster(tmp_path: Path) -> Iterator[ClusterSettings]:
    """Master + two workers on their 127.0.1.x addresses, stopped at the end, also on failure.

    Own state dir and free ports: a `make cluster-up` may be running on the profile's fixed ports.
    """
    settings = ClusterSettings(
        state_dir=tmp_path / "cluster",
        spark_master_port=free_port(),
        spark_ui_port=free_port(),
        spark_worker_port=free_port(),
        spark_worker_ui_port=free_port(),
        start_timeout_s=60.0,
        lake_cores_max=2,  # both workers' single core: one executor each
    )
    spark_jars(settings.devstack())  # the job's LAKE_JARS_DIR (resolved once into the shared cache)
    parts = daemons(settings)
    try:
        for part in parts:
            part.up()
        yield settings
    finally:
        for part in reversed(parts):
            part.down()


@pytest.fixture
def lake(s3_settings: S3Settings) -> Iterator[tuple[Lake, str]]:
    """The S3 lake and a prefix private to this test, removed afterwards."""
    store, prefix = Lake.from_s3(s3_settings), f"tests/spark-cluster-{uuid.uuid4().hex[:8]}"
    yield store, prefix
    store.remove_tree(prefix)


def _app(state: dict[str, Any] | None) -> dict[str, Any] | None:
    apps = (state or {}).get("activeapps", [])
    return next((a for a in apps if a.get("name") == APP_NAME), None)


async def test_lake_job_on_standalone_master_lands_every_play_once(
    spark_cluster: ClusterSettings,
    kafka_settings: KafkaSettings,
    s3_settings: S3Settings,
    lake: tuple[Lake, str],
    tmp_path: Path,
) -> None:
    settings = spark_cluster
    state = master_state(settings)
    assert state is not None
    assert {w["host"] for w in state["workers"] if w["state"] == "ALIVE"} == set(settings.spark_worker_hosts)

    plays = make_plays(N)
    await send(kafka_settings, plays)
    store, prefix = lake
    plays_path = f"{prefix}/plays"
    # The profile's job environment, with the shared single-node broker (PLAINTEXT) and S3 store in
    # place of the cluster's, and a private topic, prefix and app name.
    plain_kafka = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
    }
    env = {
        **os.environ,
        **lake_env(settings, plain_kafka),
        "S3_ENDPOINT_URL": str(s3_settings.endpoint_url),
        "LAKE_APP_NAME": APP_NAME,
        "LAKE_DRIVER_MEMORY": "512m",
        "LAKE_AVAILABLE_NOW": "true",
        "LAKE_MAX_OFFSETS_PER_TRIGGER": "500",
        "LAKE_QUARANTINE": "false",
        "LAKE_PLAYS_PATH": plays_path,
        # Executors on other hosts must share the checkpoint: the object store, not a local folder.
        "LAKE_CHECKPOINT_LOCATION": f"s3a://{s3_settings.bucket}/{prefix}/checkpoints",
    }
    log = tmp_path / "job.log"

    granted: list[int] = []
    with running_job(env, log) as job:
        deadline = time.monotonic() + 120
        while job.poll() is None and time.monotonic() < deadline:
            app = _app(master_state(settings))
            if app is not None:
                granted.append(app["cores"])
            time.sleep(0.25)
        assert job.poll() == 0, log.read_text()[-3000:]

    # The master gave the app the cores it asked for, no more: one executor on each worker.
    assert max(granted, default=0) == 2, granted
    for n in (1, 2):
        executors = list((settings.state_dir / "spark" / f"spark-worker-{n}" / "work").glob("app-*/*/stderr"))
        assert executors, f"no executor ran on spark-worker-{n}"

    ids: list[str] = []
    for key in lake_files(store, plays_path, honour_spark_log=True):
        ids.extend(store.read_parquet(key, columns=["event_id"]).column("event_id").to_pylist())
    assert len(ids) == N
    assert set(ids) == {str(p.event_id) for p in plays}
