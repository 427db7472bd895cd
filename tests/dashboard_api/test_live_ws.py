"""dashboard-api live push on real Kafka: partial candidates in, merged snapshots with gap-free seq out."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import AsyncIterator
from datetime import datetime

import orjson
import pytest
import uvicorn
import websockets
from aiokafka import AIOKafkaProducer
from dashboard_api.app import create_app
from dashboard_api.live.board import rank_entries
from dashboard_api.live.hub import TOO_SLOW, FanoutHub
from dashboard_api.settings import DashboardSettings
from topsongs_core.live import Candidate, ChartPartials, PartitionCandidates, encode
from topsongs_core.settings import KafkaSettings
from websockets.exceptions import ConnectionClosed


@pytest.fixture
async def server(kafka_settings: KafkaSettings) -> AsyncIterator[str]:
    """dashboard-api under uvicorn on a free port, heartbeats every 0.5 s."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = DashboardSettings(port=port, kafka=kafka_settings, live_heartbeat_s=0.5)
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    task = asyncio.create_task(srv.serve())
    for _ in range(200):
        if srv.started:
            break
        await asyncio.sleep(0.05)
    yield f"127.0.0.1:{port}"
    srv.should_exit = True
    await task


def partials(region: str, partition: int, entries: list[tuple[str, int]]) -> bytes:
    """A worker's chart-partials message for one partition."""
    candidates = [Candidate(song_id=s, title=s, artist="a", plays=p) for s, p in entries]
    return encode(
        ChartPartials(
            region=region,
            window="5m",
            window_start="2025-04-23T14:00:00Z",
            window_end="2025-04-23T14:05:00Z",
            generated_at="2025-04-23T14:04:59.000Z",
            partitions=6,
            parts={str(partition): PartitionCandidates(late_dropped=partition, entries=candidates)},
        )
    )


async def next_data(ws: websockets.ClientConnection) -> dict:
    """The next non-heartbeat message."""
    while True:
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        if message["type"] != "heartbeat":
            return message


async def test_updates_are_gap_free_merged_and_resync(server: str, kafka_settings: KafkaSettings):
    url = f"ws://{server}/ws/live?region=US&window=5m"
    async with AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers) as producer:
        async with websockets.connect(url) as ws:
            first = await next_data(ws)
            assert first["type"] == "snapshot" and first["entries"] == []
            seq = first["seq"]
            await producer.send_and_wait(
                kafka_settings.live_topic, partials("US", 1, [("s-b", 5), ("s-c", 3)])
            )
            await producer.send_and_wait(
                kafka_settings.live_topic, partials("US", 4, [("s-a", 5), ("s-d", 9)])
            )
            last = first
            while [e["song_id"] for e in last["entries"]] != ["s-d", "s-a", "s-b", "s-c"]:
                last = await next_data(ws)
                assert last["type"] == "update" and last["seq"] == seq + 1
                seq = last["seq"]
            assert last["late_dropped"] == 5
            # Both partials in one flush, or partition 1's alone first (s-b, s-c then drop to 3rd, 4th).
            assert [e["movement"] for e in last["entries"]] in (["new"] * 4, ["new", "new", "down", "down"])
            await producer.send_and_wait(kafka_settings.live_topic, partials("US", 1, [("s-b", 20)]))
            moved = await next_data(ws)
            assert moved["seq"] == seq + 1
            assert [(e["song_id"], e["movement"]) for e in moved["entries"]][:2] == [
                ("s-b", "up"),
                ("s-d", "down"),
            ]
            heartbeat = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
            assert heartbeat == {"type": "heartbeat", "seq": moved["seq"]}
        async with websockets.connect(url) as ws:
            again = await next_data(ws)
        assert again["type"] == "snapshot" and again["seq"] == moved["seq"]
        assert again["entries"] == moved["entries"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("region=XX&window=5m", "region"),
        ("region=US&window=7m", "window"),
        ("window=5m", "region"),
        ("region=US&window=5m&rate=50", "rate"),  # above DASHBOARD_LIVE_MAX_RATE_HZ (20)
        ("region=US&window=5m&rate=0", "rate"),
        ("region=US&window=5m&rate=fast", "rate"),
    ],
)
async def test_bad_params_close_4400_naming_the_param(server: str, query: str, param: str):
    async with websockets.connect(f"ws://{server}/ws/live?{query}") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4400
    assert closed.value.rcvd.reason.startswith(param)


async def test_each_client_gets_its_own_rate_with_a_gap_free_seq(server: str, kafka_settings: KafkaSettings):
    """A fast client (the UI's rate) and a wall display at 1/s over the same changing chart."""
    frames: dict[str, list[dict]] = {"20": [], "1": []}
    connected = {rate: asyncio.Event() for rate in frames}
    slow_saw_all = asyncio.Event()

    async def listen(rate: str) -> None:
        async with websockets.connect(f"ws://{server}/ws/live?region=US&window=5m&rate={rate}") as ws:
            while True:
                frames[rate].append(await next_data(ws))
                connected[rate].set()
                if rate == "1" and any(e["plays"] == 120 for e in frames[rate][-1]["entries"]):
                    slow_saw_all.set()

    listeners = [asyncio.create_task(listen(rate)) for rate in frames]
    async with AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers) as producer:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in connected.values())), 30)
        for plays in range(1, 121):  # a change every 25 ms, for ~3 s
            await producer.send_and_wait(kafka_settings.live_topic, partials("US", 2, [("s-rate", plays)]))
            await asyncio.sleep(0.025)
        await asyncio.wait_for(slow_saw_all.wait(), 30)
    for listener in listeners:
        listener.cancel()
    for rate, seen in frames.items():
        assert seen[0]["type"] == "snapshot"
        assert [f["seq"] for f in seen] == list(range(seen[0]["seq"], seen[0]["seq"] + len(seen))), rate
    # The only wall display is phase group 0, whose slots are whole seconds: one frame per second at most.
    slow = [_epoch(f["generated_at"]) for f in frames["1"][1:]]
    assert len({math.floor(t) for t in slow}) == len(slow)
    assert len(frames["20"]) > 2 * len(frames["1"])


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def test_foreign_origin_closes_4403_and_allowed_origin_gets_a_snapshot(server: str):
    async with websockets.connect(
        f"ws://{server}/ws/live?region=US&window=hour", origin="http://evil.example"
    ) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4403
    async with websockets.connect(
        f"ws://{server}/ws/live?region=US&window=hour", origin="http://127.0.0.1:8080"
    ) as ws:
        assert orjson.loads(await ws.recv())["type"] == "snapshot"


def test_full_queue_drops_only_the_slow_client():
    hub = FanoutHub(queue_size=2)
    slow, fast = hub.subscribe("k"), hub.subscribe("k")
    for i in range(3):
        hub.publish("k", i + 1, str(i))
        fast.pending.popleft()
    assert slow.close_code == TOO_SLOW and not slow.pending and fast.close_code is None
    assert hub.subscribers["k"] == {fast}


async def test_heartbeats_repeat_the_last_seq_on_fixed_deadlines():
    async with FanoutHub(queue_size=8, heartbeat_s=0.1) as hub:
        sub = hub.subscribe("k")
        hub.publish("k", 7, "update")
        assert await asyncio.wait_for(sub.next(), 1) == "update"
        beats = [orjson.loads(await asyncio.wait_for(sub.next(), 1)) for _ in range(3)]
    assert beats == [{"type": "heartbeat", "seq": 7}] * 3
    assert await sub.next() is None


def test_ties_break_by_song_id():
    ranked = rank_entries(
        [Candidate(song_id=s, title=s, artist="a", plays=3) for s in ("c", "a", "b")], [], 2
    )
    assert [e.song_id for e in ranked] == ["a", "b"]
