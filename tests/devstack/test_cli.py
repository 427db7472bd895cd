"""`devstack logs`: the last lines of each chosen component's log file, named above them."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.process import free_port

from tests.devstack.cli import devstack


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """A private S3 store's environment (the quickest component to start), with its own state."""
    state = REPO_ROOT / ".state" / "tests" / uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "DEVSTACK_STATE_DIR": str(state),
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }
    yield env
    devstack(env, "down", "s3")
    shutil.rmtree(state, ignore_errors=True)


def test_logs_of_a_started_component_and_of_one_without_logs(env: dict[str, str]) -> None:
    nothing = devstack(env, "logs", "s3")
    assert nothing.returncode == 1
    assert "no log files" in nothing.stderr

    assert devstack(env, "up", "s3").returncode == 0
    shown = devstack(env, "logs", "s3", "-n", "50")
    assert shown.returncode == 0, shown.stderr
    log = f"{env['DEVSTACK_STATE_DIR']}/logs/s3.log"
    assert shown.stdout.startswith(f"==> {log} <==\n")
    body = shown.stdout.split("\n", 1)[1]
    assert body and open(log).read().endswith(body)
