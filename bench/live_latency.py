"""POST /play → WebSocket latency of the live chart, against a raw Kafka produce → consume round trip.

Starts its own ingest, Faust worker and dashboard-api on private topics, subscribes to one chart
over WebSocket and posts plays of one song at a steady rate. A chart update shows the song's
count, so POST number i (in send order) is seen by the first update whose count reaches i.
The baseline, measured in the same run on the same broker at the same rate, is one aiokafka
producer → consumer hop: the floor any Kafka pipeline pays. Run: ``python -m bench live_latency``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import httpx
import orjson
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.kafka import ensure_topics

RATE = float(os.environ.get("BENCH_LATENCY_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_LATENCY_SECONDS", "20"))
REGION, WINDOW, SONG = "US", "5m", "s-latency"
JSON = {"content-type": "application/json"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(args: list[str], env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _uvicorn(factory: str, port: int) -> list[str]:
    quiet = ["--no-access-log", "--log-level", "warning"]
    return ["-m", "uvicorn", factory, "--factory", "--port", str(port), *quiet]


async def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} never became ready")
            await asyncio.sleep(0.2)


def _play() -> dict[str, str]:
    return {
        "song_id": SONG,
        "title": "Latency",
        "artist": "Bench",
        "user_id": "u-bench",
        "region": REGION,
        "played_at": datetime.now(UTC).isoformat(),
    }


async def _paced(n: int, send: Callable[[int], Awaitable[None]]) -> list[float]:
    """Start ``send(i)`` for i in 1..n at ``RATE``/s; returns when each one started (monotonic)."""
    began = time.monotonic()
    starts, tasks = [], []
    for i in range(1, n + 1):
        delay = began + (i - 1) / RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        starts.append(time.monotonic())
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)
    return starts


async def _pipeline(ingest: str, dashboard: str, n: int) -> tuple[list[float], float]:
    """Latencies (s) of ``n`` POSTs until a WebSocket update shows them, and the achieved POST rate."""
    seen_at: list[tuple[int, float]] = []
    all_seen = asyncio.Event()
    url = f"ws://{dashboard}/ws/live?region={REGION}&window={WINDOW}"
    async with websockets.connect(url, max_size=None) as ws:

        async def watch() -> None:
            async for raw in ws:
                message = orjson.loads(raw)
                for entry in message.get("entries", ()):
                    if entry["song_id"] == SONG:
                        seen_at.append((entry["plays"], time.monotonic()))
                        if entry["plays"] >= n:
                            all_seen.set()

        watcher = asyncio.create_task(watch())
        # aiohttp rather than httpx: a third of the client CPU per request, so the client is not
        # what limits the rate on a small box.
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(f"http://{ingest}", connector=connector) as client:

            async def post(_: int) -> None:
                async with client.post("/play", data=orjson.dumps(_play()), headers=JSON) as resp:
                    resp.raise_for_status()

            began = time.monotonic()
            starts = await _paced(n, post)
            rate = n / (time.monotonic() - began)
        try:
            await asyncio.wait_for(all_seen.wait(), 30)
        except TimeoutError:
            pass  # reported below with the count that did arrive
        watcher.cancel()
    latencies, k = [], 0
    for i, start in enumerate(starts, start=1):
        while k < len(seen_at) and seen_at[k][0] < i:
            k += 1
        if k == len(seen_at):
            raise RuntimeError(f"only {seen_at[-1][0] if seen_at else 0} of {n} plays ever showed up")
        latencies.append(seen_at[k][1] - start)
    return latencies, rate


async def _baseline(kafka: KafkaSettings, n: int) -> list[float]:
    """Latencies (s) of a raw produce (acks=all) → consume hop at the same rate."""
    topic = kafka.dead_letter_topic  # private and otherwise unused here
    received: dict[int, float] = {}
    async with AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap_servers) as consumer:
        await consumer.seek_to_end()
        await consumer.position(next(iter(consumer.assignment())))

        async def drain() -> None:
            while len(received) < n:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.monotonic()
                    for record in records:
                        received.setdefault(int(record.value), now)

        reader = asyncio.create_task(drain())
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all", linger_ms=5)
        async with producer as prod:

            async def send(i: int) -> None:
                await prod.send_and_wait(topic, str(i).encode())

            starts = await _paced(n, send)
        await asyncio.wait_for(reader, 30)
    return [received[i] - start for i, start in enumerate(starts, start=1)]


def _pct(values: list[float], q: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, int(len(ranked) * q))] * 1000


def main() -> None:
    """Start the three services, measure both paths, print p50/p99 and their ratios."""
    suffix = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(
        plays_topic=f"bench-lat-plays-{suffix}",
        dead_letter_topic=f"bench-lat-dlq-{suffix}",
        live_topic=f"bench-lat-live-{suffix}",
    )
    asyncio.run(ensure_topics(kafka))
    ingest_port, dashboard_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "STREAMS_APP_ID": f"bench-lat-{suffix}",
        "DASHBOARD_PORT": str(dashboard_port),
        "DASHBOARD_LIVE_BACKLOG": "0",
    }
    n = int(RATE * SECONDS)
    with tempfile.TemporaryDirectory() as data:
        log = os.path.join(data, "services.log")
        procs = [
            _spawn(_uvicorn("ingest.app:create_app", ingest_port), env, log),
            _spawn(["-m", "streams", "--datadir", data, "worker", "--without-web"], env, log),
            _spawn(_uvicorn("dashboard_api.app:create_app", dashboard_port), env, log),
        ]
        try:
            asyncio.run(_wait_http(f"http://127.0.0.1:{ingest_port}/readyz"))
            asyncio.run(_wait_http(f"http://127.0.0.1:{dashboard_port}/healthz"))
            asyncio.run(_warm_up(f"127.0.0.1:{ingest_port}", f"127.0.0.1:{dashboard_port}"))
            base = asyncio.run(_baseline(kafka, int(RATE * 3)))
            ingest, dashboard = f"127.0.0.1:{ingest_port}", f"127.0.0.1:{dashboard_port}"
            latencies, rate = asyncio.run(_pipeline(ingest, dashboard, n))
        except Exception:
            print(open(log).read()[-3000:])
            raise
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(30)
    b50, b99 = _pct(base, 0.5), _pct(base, 0.99)
    p50, p99 = _pct(latencies, 0.5), _pct(latencies, 0.99)
    print(f"POSTs: {n} at {rate:,.0f}/s (target {RATE:,.0f}/s); one song, chart {REGION}/{WINDOW}")
    print(f"baseline  aiokafka produce(acks=all) -> consume : p50 {b50:7.1f} ms  p99 {b99:7.1f} ms")
    print(
        f"POST /play -> ingest -> Faust -> dashboard -> WS  : p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        f"  = {p50 / b50:.1f}x / {p99 / b99:.1f}x baseline"
    )


async def _warm_up(ingest: str, dashboard: str) -> None:
    """Wait until the worker owns its partitions: one play must reach the WebSocket."""
    url = f"ws://{dashboard}/ws/live?region={REGION}&window={WINDOW}"
    async with websockets.connect(url) as ws, httpx.AsyncClient(base_url=f"http://{ingest}") as client:
        body = {**_play(), "song_id": "s-warm-up"}
        (await client.post("/play", json=body)).raise_for_status()
        async with asyncio.timeout(120):
            async for raw in ws:
                if any(e["song_id"] == "s-warm-up" for e in orjson.loads(raw).get("entries", ())):
                    return


if __name__ == "__main__":
    main()
