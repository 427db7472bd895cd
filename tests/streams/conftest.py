"""Fixtures: Faust workers on the test's own topics, and dashboard-api under uvicorn."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from dashboard_api.settings import DashboardSettings
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.process import free_port

from tests.servers import serve_dashboard
from tests.streams.worker import Worker


@pytest.fixture
def workers(kafka_settings: KafkaSettings, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Factory of workers sharing one app id (one consumer group, one set of changelogs); keyword
    arguments are extra environment variables of that worker."""
    app_id = f"live-test-{uuid.uuid4().hex[:8]}"
    started: list[Worker] = []
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka_settings.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka_settings.live_topic,
        "KAFKA_LIVE_HOURS_TOPIC": kafka_settings.live_hours_topic,
        "KAFKA_PLAYS_PARTITIONS": str(kafka_settings.plays_partitions),
        "STREAMS_APP_ID": app_id,
        "STREAMS_REPUBLISH_INTERVAL_S": "2",
        # A worker started after a SIGKILLed one waits for the dead member's session to expire
        # before the group hands it the partitions: 12 s here rather than Faust's 60 (heartbeats 3 s).
        "STREAMS_SESSION_TIMEOUT_S": "12",
    }

    def make(**extra: str) -> Worker:
        n = len(started)
        worker = Worker({**env, **extra}, tmp_path / f"worker-{n}", tmp_path / f"worker-{n}.log").start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()
    for worker in started:
        print(f"--- {worker.log.name} (tail)\n" + "\n".join(worker.log.read_text().splitlines()[-15:]))


@pytest.fixture
async def dashboard(kafka_settings: KafkaSettings) -> AsyncIterator[str]:
    """dashboard-api served by uvicorn on a free port; yields its base URL."""
    async with serve_dashboard(DashboardSettings(port=free_port(), kafka=kafka_settings)) as address:
        yield address


@pytest.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    """A plain aiokafka producer, as ingest uses."""
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_settings.bootstrap_servers, linger_ms=5, acks="all"
    ) as prod:
        yield prod


@pytest.fixture
async def http(dashboard: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for dashboard-api."""
    async with httpx.AsyncClient(base_url=f"http://{dashboard}") as client:
        yield client
