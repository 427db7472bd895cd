"""Package fixture of the cluster profile's tests: the whole profile, as `make cluster-up` starts it.

One profile serves every test in this package and stops after its last test, in the background while
the rest of the suite runs (`stop_in_background`: the session ends once it is down, and fails if the
stop did; starting it takes about a minute and a quarter, stopping it under one); it runs
in a private state dir with a free port for every listener, so a `make cluster-up` on the same machine
(the same 127.0.1.x addresses, the default ports) never collides with it. Tests that stop a process
start it again before they end: the next test finds every node up.

While developing, `TESTS_REUSE_CLUSTER=1` runs the tests against the profile `make cluster-up` started
(its settings, CLUSTER_* env included), which must be healthy, and leaves it running.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.cluster.stack import components, waves
from topsongs_devstack.process import free_port
from topsongs_devstack.stack import down_in_waves, up_in_waves

from tests.engines import private_state_dir

PORTS = (
    "kafka_port",
    "kafka_controller_port",
    "kafka_metrics_port",
    "balancer_metrics_port",
    "spark_master_port",
    "spark_ui_port",
    "spark_worker_port",
    "spark_worker_ui_port",
    "ingest_port",
    "dashboard_port",
    "streams_web_port",
    "redis_port",
    "airflow_port",
    "postgres_port",
    "s3_port",
    "lake_ui_port",
    "postgres_exporter_port",
    "statsd_port",
    "statsd_exporter_port",
    "monitor_port",
)


def private_settings(state_dir: Path, **overrides: object) -> ClusterSettings:
    """The profile's settings with ``state_dir`` and a free port for every listener."""
    ports: dict[str, object] = {name: free_port() for name in PORTS}
    settings = ClusterSettings(state_dir=state_dir, **{**ports, **overrides})
    assert settings.state_dir != ClusterSettings().state_dir
    return settings


def reuse_running() -> bool:
    """True when the tests are to use the running `make cluster-up` profile (TESTS_REUSE_CLUSTER=1)."""
    return os.environ.get("TESTS_REUSE_CLUSTER") == "1"


@pytest.fixture(scope="package")
def cluster_settings() -> ClusterSettings:
    """Settings of the session's profile; a private one fails and retries a task whose Celery worker
    died within seconds, not minutes (test_airflow_celery kills the worker): a 15 s heartbeat timeout
    checked every 2 s (Airflow's 10 s check added up to 10 s to each such wait), a 5 s retry delay.
    The lake job keeps its 30 s trigger: a 10 s one saved about a minute of waits but tripled Spark's
    share of the 2 cores while the fault battery ran, and its load and recoveries slowed."""
    if reuse_running():
        return ClusterSettings()
    return private_settings(
        private_state_dir("cluster-"),
        airflow_task_heartbeat_timeout_s=15,
        airflow_heartbeat_check_interval_s=2,
        airflow_retry_delay_s=5,
    )


@pytest.fixture(scope="package")
def cluster(
    cluster_settings: ClusterSettings, stop_in_background: Callable[[str, Callable[[], None]], None]
) -> Iterator[ClusterSettings]:
    """Every component of the profile up and healthy; all stopped at the end, in reverse, also on
    failure: in the background, beside the next package's tests (its own ports and state dir)."""
    if reuse_running():
        sick = [s for s in (c.status() for c in components(cluster_settings)) if not s.healthy]
        assert not sick, f"TESTS_REUSE_CLUSTER=1 but not healthy: {sick}"
        yield cluster_settings
        return
    plan = waves(cluster_settings)
    try:
        up_in_waves(plan)
        yield cluster_settings
    finally:
        stop_in_background("the cluster profile", lambda: down_in_waves(plan))


@pytest.fixture(scope="package")
def kafka_cluster(cluster: ClusterSettings) -> ClusterSettings:
    """The profile's three secured KRaft nodes (with the rest of the profile around them)."""
    return cluster
