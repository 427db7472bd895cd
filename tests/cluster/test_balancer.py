"""The cluster profile's services behind haproxy: ingest ×2, dashboard-api ×2, two Faust workers.

They run against the shared single-node Kafka/PostgreSQL (private topics and app id through env),
each on its own loopback address, exactly as `cluster.apps` builds them for `make cluster-up`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest
import websockets
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from prometheus_client.parser import text_string_to_metric_families
from topsongs_core.events import PlayEvent
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.apps import AppService
from topsongs_devstack.cluster.apps import balancer, services
from topsongs_devstack.cluster.balancer import Balancer, Pool
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.process import free_port

from tests.streams.live_oracle import expected, observed, plays, wait_for_oracle

REGIONS = ("US", "GB", "DE")
BATCH = 20


class Profile:
    """The started processes and where the balancer listens."""

    def __init__(self, settings: ClusterSettings, apps: list[AppService], lb: Balancer, app_id: str) -> None:
        self.settings, self.apps, self.lb, self.app_id = settings, apps, lb, app_id
        self.ingest_url = f"http://{settings.balancer_host}:{settings.ingest_port}"
        self.dashboard = f"{settings.balancer_host}:{settings.dashboard_port}"

    def app(self, name: str) -> AppService:
        """The process called ``name``."""
        return next(a for a in self.apps if a.name == name)


@pytest.fixture
def profile(
    kafka_settings: KafkaSettings, pg_settings: PostgresSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Profile]:
    """Every service process and haproxy, up; all stopped at the end (also on failure)."""
    # Ports of their own, so a running `make cluster-up` on the same addresses never collides.
    settings = ClusterSettings(
        # Short: haproxy's stats socket path must fit a Unix socket address (108 bytes).
        state_dir=Path(tmp_path_factory.mktemp("lb")),
        ingest_port=free_port(),
        dashboard_port=free_port(),
        streams_web_port=free_port(),
        postgres_host=pg_settings.host,
        postgres_port=pg_settings.port,
        start_timeout_s=60,
    )
    app_id = f"cluster-lb-{uuid.uuid4().hex[:8]}"
    plain = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
    }
    topics = {
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka_settings.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka_settings.live_topic,
        "KAFKA_LIVE_HOURS_TOPIC": kafka_settings.live_hours_topic,
        "KAFKA_PLAYS_PARTITIONS": str(kafka_settings.plays_partitions),
        "STREAMS_APP_ID": app_id,
        "STREAMS_REPUBLISH_INTERVAL_S": "2",
    }
    apps = services(settings, kafka_env=lambda user: plain, extra_env=topics)
    lb = balancer(settings)
    try:
        with ThreadPoolExecutor(len(apps)) as pool:
            list(pool.map(lambda app: app.up(), apps))
        lb.up()
        yield Profile(settings, apps, lb, app_id)
    finally:
        lb.down()
        with ThreadPoolExecutor(len(apps)) as pool:
            list(pool.map(lambda app: app.down(), apps))
        for app in [*apps, lb]:
            print(f"--- {app.name} (tail)\n{app.proc.tail(10)}")


async def eventually(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``check`` until true (bounded), letting other tasks run meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout_s:.0f} s"
        await asyncio.sleep(0.05)


async def assignments(kafka: KafkaSettings, group: str) -> dict[str, set[int]]:
    """Member client id + member id → partitions of the plays topic it owns."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    owned: dict[str, set[int]] = {}
    for _err, _gid, state, _ptype, _proto, members, *_ in response.groups:
        if state != "Stable":
            return {}
        for member_id, client_id, _host, _meta, raw in members:
            parts = {
                p
                for topic, partitions in ConsumerProtocolMemberAssignment.decode(raw).assignment
                if topic == kafka.plays_topic
                for p in partitions
            }
            owned[f"{client_id} {member_id}"] = parts
    return owned


def counter(app: AppService, family_name: str) -> float:
    """A counter's total (all labels) in one process's /metrics, read from that process directly."""
    text = httpx.get(f"http://{app.host}:{app.port}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        if family.name == family_name:
            return sum(s.value for s in family.samples if s.name.endswith("_total"))
    return 0.0


async def post(client: httpx.AsyncClient, events: list[PlayEvent], refused: list[int]) -> list[str]:
    """POST one batch through the balancer; a 503 must carry Retry-After and is resent (bounded)."""
    body = {"events": [orjson.loads(e.to_json()) for e in events]}
    for _ in range(5):
        resp = await client.post("/plays", json=body)
        if resp.status_code == 503:
            assert "retry-after" in resp.headers
            refused.append(1)
            await asyncio.sleep(float(resp.headers["retry-after"]))
            continue
        assert resp.status_code == 202, resp.text
        ids: list[str] = resp.json()["event_ids"]
        return ids
    raise AssertionError("503 five times in a row")


async def paced(client: httpx.AsyncClient, events: list[PlayEvent], refused: list[int]) -> list[str]:
    """POST ``events`` in batches, four requests at a time with a pause after each (about 2 s)."""
    slots = asyncio.Semaphore(4)

    async def one(batch: list[PlayEvent]) -> list[str]:
        async with slots:
            ids = await post(client, batch, refused)
            await asyncio.sleep(0.15)
            return ids

    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    return [i for ids in await asyncio.gather(*(one(b) for b in batches)) for i in ids]


async def event_ids_in_kafka(kafka: KafkaSettings, want: set[str], timeout_s: float = 30) -> set[str]:
    """Read the plays topic from the start until ``want`` is seen or the bound passes."""
    seen: set[str] = set()
    async with AIOKafkaConsumer(
        kafka.plays_topic, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest"
    ) as consumer:
        deadline = time.monotonic() + timeout_s
        while not want <= seen and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.update(orjson.loads(r.value)["event_id"] for r in records)
    return seen


async def test_balanced_services_count_exactly_and_survive_a_killed_ingest(
    profile: Profile, kafka_settings: KafkaSettings
) -> None:
    lb = profile.lb
    await eventually(lambda: set(lb.servers().values()) == {"UP"}, 30, "every balanced server UP")
    assert len(lb.servers()) == 4

    # Both workers of the one consumer group own some of the plays partitions.
    deadline = time.monotonic() + 60
    while len(owned := await assignments(kafka_settings, profile.app_id)) != 2 or not all(owned.values()):
        assert time.monotonic() < deadline, f"two workers sharing the partitions: {owned}"
        await asyncio.sleep(0.5)
    assert set().union(*owned.values()) == set(range(kafka_settings.plays_partitions))

    counted = plays(REGIONS, 1200, songs=30, seed=11)
    refused: list[int] = []
    async with httpx.AsyncClient(base_url=profile.ingest_url, timeout=10) as client:
        batches = [counted[i : i + BATCH] for i in range(0, len(counted), BATCH)]
        accepted = [
            i for ids in await asyncio.gather(*(post(client, b, refused) for b in batches)) for i in ids
        ]
    assert sorted(accepted) == sorted(str(e.event_id) for e in counted)
    per_process = [counter(profile.app(f"ingest-{n}"), "ingest_events_accepted") for n in (1, 2)]
    assert all(per_process) and sum(per_process) == len(counted), per_process
    assert set(accepted) <= await event_ids_in_kafka(kafka_settings, set(accepted))

    # The live charts, read through the balancer (either dashboard-api process), equal the oracle.
    async with httpx.AsyncClient(base_url=f"http://{profile.dashboard}", timeout=10) as http:
        await wait_for_oracle(http, counted, REGIONS, timeout_s=60)
    # Each worker counted plays of its own partitions (its metrics, on its own address).
    assert all(counter(profile.app(f"streams-{n}"), "streams_plays_counted") for n in (1, 2))
    async with websockets.connect(f"ws://{profile.dashboard}/ws/live?region=US&window=5m") as ws:
        first = orjson.loads(await ws.recv())
    assert first["type"] == "snapshot"
    assert observed(first) == expected(counted, "US", first["window_start"], first["window_end"])

    # SIGKILL one ingest process while plays keep coming: haproxy takes it out, nothing is lost.
    victim = profile.app("ingest-1")
    pid = victim.proc.pid()
    assert pid is not None
    more = plays(REGIONS, 900, songs=30, seed=12)
    async with httpx.AsyncClient(base_url=profile.ingest_url, timeout=10) as client:
        sender = asyncio.create_task(paced(client, more, refused))
        await asyncio.sleep(0.5)  # requests in flight on both processes when one dies
        assert not sender.done()
        os.killpg(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        await eventually(
            lambda: lb.servers().get("ingest/ingest-1") == "DOWN", 10, "haproxy marks ingest-1 DOWN"
        )
        print(f"ingest-1 DOWN within {time.monotonic() - killed_at:.2f} s of SIGKILL")
        after = await sender
    print(f"{len(refused)} 503s (resent) in the whole run")
    assert lb.servers()["ingest/ingest-2"] == "UP"
    assert not lb.status().healthy and "ingest/ingest-1 DOWN" in lb.status().detail
    assert sorted(after) == sorted(str(e.event_id) for e in more)
    assert set(after) <= await event_ids_in_kafka(kafka_settings, set(after))


async def test_no_server_left_is_a_503_with_retry_after(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Servers on ports nothing listens on: haproxy marks them DOWN and answers by itself.
    settings = ClusterSettings(state_dir=Path(tmp_path_factory.mktemp("lb")), start_timeout_s=20)
    pool = Pool("ingest", ("127.0.1.20", free_port()), [("ingest-1", "127.0.1.21", free_port())])
    lb = Balancer(settings.devstack(), [pool])
    try:
        lb.up()
        await eventually(lambda: lb.servers() == {"ingest/ingest-1": "DOWN"}, 10, "ingest-1 DOWN")
        assert not lb.status().healthy
        async with httpx.AsyncClient(base_url=f"http://127.0.1.20:{pool.bind[1]}") as client:
            resp = await client.post("/plays", json={"events": []})
        assert resp.status_code == 503
        assert resp.headers["retry-after"] == "1"
    finally:
        lb.down()
