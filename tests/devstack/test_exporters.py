"""The S3 store's request metrics reach Prometheus' format through devstack's statsd_exporter."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from botocore.exceptions import ClientError
from topsongs_core.settings import S3Settings
from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.objectstore import s3_client
from topsongs_devstack.process import free_port

from tests.devstack.cli import devstack as run_cli

COMPONENTS = ("statsd-exporter", "s3")


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """A private S3 store and statsd_exporter on free ports, with their own state folder."""
    state = REPO_ROOT / ".state" / "tests" / uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "DEVSTACK_STATE_DIR": str(state),
        "DEVSTACK_STATSD_PORT": str(free_port()),
        "DEVSTACK_STATSD_EXPORTER_PORT": str(free_port()),
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }
    yield env
    devstack(env, "down", *COMPONENTS)
    shutil.rmtree(state, ignore_errors=True)


def devstack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as `make up|down` runs it (a Spark or Airflow start takes minutes)."""
    return run_cli(env, *args, timeout=600)


def test_s3_requests_are_counted_by_action_and_status(env: dict[str, str]) -> None:
    up = devstack(env, "up", *COMPONENTS)
    assert up.returncode == 0, up.stdout + up.stderr
    s3 = S3Settings(endpoint_url=env["S3_ENDPOINT_URL"])
    client = s3_client(s3)
    for i in range(3):
        client.put_object(Bucket=s3.bucket, Key=f"counted/{i}", Body=b"x")
    with pytest.raises(ClientError):
        client.get_object(Bucket=s3.bucket, Key="counted/missing")

    wanted = (
        'versitygw_object_created_count{action="PutObject",api="s3",bucket="lake",method="PUT",'
        'service="versitygw",status="200"} 3',
        'versitygw_failed_count{action="GetObject",api="s3",bucket="lake",method="GET",'
        'service="versitygw",status="404"} 1',
    )
    url = f"http://127.0.0.1:{env['DEVSTACK_STATSD_EXPORTER_PORT']}/metrics"
    deadline = time.monotonic() + 30  # StatsD is UDP: the gateway sends as it goes, in the background
    while not all(line in (text := httpx.get(url, timeout=5).text) for line in wanted):
        assert time.monotonic() < deadline, text
        time.sleep(0.5)
