"""End to end on real Kafka: plays → Faust worker(s) → live topic → dashboard-api → charts equal an oracle."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import httpx
import orjson
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from topsongs_core.settings import KafkaSettings
from topsongs_core.timefmt import iso_z

from tests.streams.live_oracle import WINDOWS, expected, observed, play, plays, send, wait_for_oracle

REGIONS = ("US", "GB", "DE")


async def dead_letters(kafka: KafkaSettings, n: int, timeout_s: float = 60) -> list:
    """Read ``n`` messages from the dead-letter topic (bounded wait)."""
    async with AIOKafkaConsumer(
        kafka.dead_letter_topic, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest"
    ) as consumer:
        got = []
        deadline = time.monotonic() + timeout_s
        while len(got) < n and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                got.extend(records)
        return got


async def test_one_worker_counts_exactly_with_late_duplicate_and_poison(
    workers, producer: AIOKafkaProducer, http: httpx.AsyncClient, dashboard: str, kafka_settings
) -> None:
    workers()
    topic = kafka_settings.plays_topic
    counted = plays(REGIONS, 900, songs=25, seed=1)
    await send(producer, topic, counted)
    await send(producer, topic, counted[:60])  # duplicate deliveries: same event_id, same bytes
    on_time = [play("US", song, ago_s=10) for song in range(5)]
    counted += on_time
    await send(producer, topic, on_time)
    # Same keys, so same partitions, which have already seen on-time plays: beyond the lateness.
    await send(producer, topic, [play("US", song, ago_s=1800) for song in range(5)])
    poison = [b"\xff not json", b"{}", orjson.dumps({"song_id": "x", "region": "ZZ"})]
    for raw in poison:
        await producer.send_and_wait(topic, raw, key=b"US|x")

    snaps = await wait_for_oracle(http, counted, REGIONS)
    assert snaps["US", "5m"]["late_dropped"] == 5
    assert snaps["GB", "5m"]["late_dropped"] == 0
    assert all(s["entries"] for s in snaps.values())
    dlq = await dead_letters(kafka_settings, len(poison))
    assert sorted(m.value for m in dlq) == sorted(poison)
    assert all(dict(m.headers)["error"] for m in dlq)

    async with websockets.connect(f"ws://{dashboard}/ws/live?region=US&window=5m") as ws:
        first = orjson.loads(await ws.recv())
    assert first["type"] == "snapshot"
    assert observed(first) == expected(counted, "US", first["window_start"], first["window_end"])
    # How fresh the board is: every song's plays in the window, and the newest counted play's time.
    start, end = (datetime.fromisoformat(first[k]) for k in ("window_start", "window_end"))
    us = {e.event_id: e.played_at for e in counted if e.region == "US"}
    assert first["plays"] == sum(start <= at < end for at in us.values())
    assert first["newest_play_at"] == iso_z(max(us.values()), "seconds")

    # POST → WebSocket latency: each counted play reached exactly one observed update (duplicates,
    # late plays and poison are not counted), each observation an age of at least 0.
    pushed = await wait_for_metric(http, "dashboard_live_pushed_plays_total", len(counted))
    assert pushed == len(counted)
    updates = await metric(http, "dashboard_live_push_latency_seconds_count")
    assert 1 <= updates <= pushed
    assert 0 < await metric(http, "dashboard_live_push_latency_seconds_sum") < updates * 120


async def metric(http: httpx.AsyncClient, name: str) -> float:
    """One sample of dashboard-api's /metrics (0 when absent)."""
    for family in text_string_to_metric_families((await http.get("/metrics")).text):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return sample.value
    return 0.0


async def wait_for_metric(http: httpx.AsyncClient, name: str, want: float, timeout_s: float = 60) -> float:
    """The sample once it reaches ``want`` (or its value after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await metric(http, name)
        if value >= want or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.5)


async def test_two_workers_still_exact(
    workers, producer: AIOKafkaProducer, http: httpx.AsyncClient, kafka_settings
) -> None:
    workers(), workers()
    counted = plays(REGIONS, 1200, songs=30, seed=2)
    await send(producer, kafka_settings.plays_topic, counted[:600])
    await asyncio.sleep(0)
    await send(producer, kafka_settings.plays_topic, counted[600:])
    await wait_for_oracle(http, counted, REGIONS)


async def test_killed_worker_recovers_without_double_counting(
    workers, producer: AIOKafkaProducer, http: httpx.AsyncClient, kafka_settings
) -> None:
    topic = kafka_settings.plays_topic
    worker = workers()
    first, second = plays(REGIONS, 3000, songs=30, seed=3), plays(REGIONS, 600, songs=30, seed=4)
    await send(producer, topic, first)
    deadline = time.monotonic() + 60
    while not (await http.get("/api/live", params={"region": "US", "window": WINDOWS[0]})).json()["entries"]:
        assert time.monotonic() < deadline, "worker never published"
        await asyncio.sleep(0.1)
    worker.kill()  # mid-stream: counted events whose offsets were not committed yet get replayed
    await send(producer, topic, second + first[:100])
    worker.start()
    await wait_for_oracle(http, first + second, REGIONS, timeout_s=120)
