"""Whole-pipeline fixtures: ingest, Faust workers and dashboard-api with the built UI, on private topics."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.process import free_port

from tests.ingest.support import serve
from tests.servers import serve_dashboard as serve_app

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "e2e"
# A phone's viewport (CSS pixels): the browser checks run at it as well as at a desktop's.
PHONE = "390x844"


@pytest.fixture
async def ingest(kafka_settings: KafkaSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The ingest app on the test's topics (in-process)."""
    async for client in serve(IngestSettings(kafka=kafka_settings)):
        yield client


def start_live_worker(
    kafka_settings: KafkaSettings, tmp_path: Path, **env: str
) -> tuple[subprocess.Popen[bytes], Callable[[], None]]:
    """One Faust worker (`python -m streams worker`) on the test's topics; returns it and its stop."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka_settings.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka_settings.live_topic,
        "STREAMS_APP_ID": f"e2e-{uuid.uuid4().hex[:8]}",
        **env,
    }
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streams",
            "--datadir",
            str(tmp_path / "worker"),
            "worker",
            "-l",
            "info",
            "--without-web",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

    return proc, stop


@pytest.fixture
def live_worker(kafka_settings: KafkaSettings, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """One Faust worker (`python -m streams worker`) on the test's topics."""
    proc, stop = start_live_worker(kafka_settings, tmp_path)
    yield proc
    stop()


@asynccontextmanager
async def serve_dashboard(settings: DashboardSettings) -> AsyncIterator[str]:
    """dashboard-api with the built UI at `/` on a free port, trusting its own origin; yields the URL."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"port": port, "allowed_origins": (origin,)})
    assert (settings.ui_dist / "index.html").exists(), "run `make setup-ui` (npm run build) first"
    async with serve_app(settings):
        yield origin


@pytest.fixture
async def dashboard_url(kafka_settings: KafkaSettings) -> AsyncIterator[str]:
    """dashboard-api on the test's topics; yields the base URL."""
    async with serve_dashboard(DashboardSettings(kafka=kafka_settings)) as url:
        yield url
