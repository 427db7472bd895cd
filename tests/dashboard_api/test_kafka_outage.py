"""Kafka down: history keeps serving, the live part reports offline and recovers without a restart."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import websockets
from aiokafka import AIOKafkaProducer
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.feed import OFFLINE, LiveFeed
from dashboard_api.live.hub import FanoutHub
from dashboard_api.settings import DashboardSettings
from topsongs_charts import migrate
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.kafka import Kafka
from topsongs_devstack.process import free_port
from websockets.exceptions import ConnectionClosed

from tests.dashboard_api.messages import one_song
from tests.servers import serve_dashboard

RECOVERY_S = 90  # a broker's start plus the longest backoff (15 s), with room on a busy machine


@pytest.fixture
def private_broker(tmp_path: Path, engines: None) -> Iterator[Kafka]:
    """A broker of this test's own (other ports, own data), not started: the test starts and stops it."""
    settings = DevstackSettings(state_dir=tmp_path / "state", kafka_controller_port=free_port())
    assert settings.state_dir != DevstackSettings().state_dir
    broker = Kafka(settings, KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}"))
    yield broker
    broker.down()


@pytest.fixture
async def api(private_broker: Kafka, pg_settings: PostgresSettings) -> AsyncIterator[httpx.AsyncClient]:
    """dashboard-api started while its broker is down."""
    migrate.apply(pg_settings)
    settings = DashboardSettings(
        port=free_port(), kafka=private_broker.kafka, postgres=pg_settings, live_connect_wait_s=0.5
    )
    async with (
        serve_dashboard(settings) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as client,
    ):
        yield client


async def close_code(api: httpx.AsyncClient) -> int | None:
    """The code /ws/live closes with before sending anything, or None when a snapshot arrives."""
    url = f"ws://{api.base_url.host}:{api.base_url.port}/ws/live?region=US&window=5m"
    async with websockets.connect(url) as ws:
        try:
            message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code
        assert message["type"] == "snapshot"
        return None


async def until(api: httpx.AsyncClient, **parts: str) -> dict[str, str]:
    """Poll /readyz until it reports ``parts``; its last body."""
    deadline = time.monotonic() + RECOVERY_S
    while True:
        body = (await api.get("/readyz")).json()
        if all(body[k] == v for k, v in parts.items()) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.5)


async def test_history_serves_while_kafka_is_down_and_live_recovers(
    api: httpx.AsyncClient, private_broker: Kafka
) -> None:
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"history": "ready", "live": "offline", "reconciliation_live": "unavailable"}
    assert (await api.get("/api/regions")).status_code == 200
    assert (await api.get("/api/top/hourly", params={"region": "US", "hour": "1970-01-01T00:00Z"})).json()[
        "status"
    ] == "pending"
    reconciliation = await api.get("/api/reconciliation", params={"region": "US", "date": "1970-01-01"})
    assert reconciliation.status_code == 200
    assert reconciliation.json()["live"] == "unavailable"
    assert {h["status"] for h in reconciliation.json()["hours"]} == {"pending"}
    live = await api.get("/api/live", params={"region": "US", "window": "5m"})
    assert live.status_code == 503
    assert live.json()["live"] == "offline" and live.headers["retry-after"]
    assert await close_code(api) == OFFLINE

    await asyncio.to_thread(private_broker.up)
    body = await until(api, live="online", reconciliation_live="available")
    assert body == {"history": "ready", "live": "online", "reconciliation_live": "available"}
    assert await close_code(api) is None
    async with AIOKafkaProducer(bootstrap_servers=private_broker.kafka.bootstrap_servers) as producer:
        await producer.send_and_wait(private_broker.kafka.live_topic, one_song("s-1", 3))
    deadline = time.monotonic() + 30
    while not (
        entries := (await api.get("/api/live", params={"region": "US", "window": "5m"})).json()["entries"]
    ):
        assert time.monotonic() < deadline, "the recovered feed did not read the live topic"
        await asyncio.sleep(0.2)
    assert entries[0]["song_id"] == "s-1"

    # Going away again while connected: the probe notices, clients are told, history still answers.
    url = f"ws://{api.base_url.host}:{api.base_url.port}/ws/live?region=US&window=5m"
    async with websockets.connect(url) as ws:
        assert orjson.loads(await ws.recv())["type"] == "snapshot"
        await asyncio.to_thread(private_broker.down)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), RECOVERY_S)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == OFFLINE
    assert (await until(api, live="offline"))["live"] == "offline"
    assert (await api.get("/api/regions")).status_code == 200


async def test_failed_connects_release_their_consumer() -> None:
    settings = DashboardSettings(kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        async with FanoutHub(4) as hub:
            board = LiveBoard(settings.contract.regions, settings.live.window_names, 10, hub, 4.0)
            async with LiveFeed(settings, board) as feed:
                # Refused connections fail at once: several attempts (0.5 s, 1 s backoff) in 2 s.
                assert not await feed.consumer.wait_online(2.0)
        gc.collect()
    leaked = [w for w in caught if "Unclosed AIOKafkaConsumer" in str(w.message)]
    assert not leaked, leaked
