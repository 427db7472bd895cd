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
from topsongs_devstack.deployment.programs import streams_args
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import free_port

RATE = float(os.environ.get("BENCH_LATENCY_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_LATENCY_SECONDS", "20"))
STAGES = os.environ.get("BENCH_LATENCY_STAGES", "") not in ("", "0")
REGION, WINDOW, SONG = "US", "5m", "s-latency"
JSON = {"content-type": "application/json"}


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
    """Start ``send(i)`` for i in 1..n at ``RATE``/s; returns when each one started (epoch s)."""
    began = time.time()
    starts, tasks = [], []
    for i in range(1, n + 1):
        delay = began + (i - 1) / RATE - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        starts.append(time.time())
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)
    return starts


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _first_reaching(seen: list[tuple[int, float]], starts: list[float]) -> list[float]:
    """Per POST i (1-based, send order): when the first observation with count >= i happened."""
    ordered = sorted(seen, key=lambda s: s[1])
    out, k, best = [], 0, 0
    for i in range(1, len(starts) + 1):
        while k < len(ordered) and best < i:
            best = max(best, ordered[k][0])
            k += 1
        if best < i:
            raise RuntimeError(f"only {best} of {len(starts)} plays ever showed up")
        out.append(ordered[k - 1][1])
    return out


class _Stages:
    """Wall-clock milestones of the song's count along the pipeline (``BENCH_LATENCY_STAGES=1``)."""

    def __init__(self) -> None:
        self.produced: list[tuple[int, float]] = []
        self.acked: list[tuple[int, float]] = []
        self.in_plays: list[tuple[int, float]] = []
        self.partial_generated: list[tuple[int, float]] = []
        self.partial_received: list[tuple[int, float]] = []
        self.update_generated: list[tuple[int, float]] = []
        self.ws_received: list[tuple[int, float]] = []

    async def watch_topics(self, kafka: KafkaSettings, ready: asyncio.Event, stop: asyncio.Event) -> None:
        """Count the song's plays on the plays topic and its partial counts on the live topic."""
        counts: dict[str, int] = {}
        consumer = AIOKafkaConsumer(
            kafka.plays_topic, kafka.live_topic, bootstrap_servers=kafka.bootstrap_servers
        )
        async with consumer:
            await consumer.seek_to_end()
            for tp in consumer.assignment():
                await consumer.position(tp)
            ready.set()
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=100)
                now = time.time()
                for tp, records in batches.items():
                    for record in records:
                        if tp.topic == kafka.plays_topic:
                            self.in_plays.append((len(self.in_plays) + 1, now))
                            # CreateTime: when ingest handed the play to its producer.
                            self.produced.append((len(self.produced) + 1, record.timestamp / 1000))
                            continue
                        message = orjson.loads(record.value)
                        if message["region"] != REGION or message["window"] != WINDOW:
                            continue
                        for p, part in message["parts"].items():
                            counts[p] = sum(e["plays"] for e in part["entries"] if e["song_id"] == SONG)
                        total = sum(counts.values())
                        self.partial_generated.append((total, _epoch(message["generated_at"])))
                        self.partial_received.append((total, now))

    def report(self, starts: list[float]) -> None:
        """p50/p99 of the time from POST start to each milestone, and of each step."""
        names = (
            "ingest produces (CreateTime)",
            "ack",
            "in plays topic",
            "partial generated",
            "partial on live topic",
            "WS generated",
            "WS received",
        )
        series = (
            self.produced,
            self.acked,
            self.in_plays,
            self.partial_generated,
            self.partial_received,
            self.update_generated,
            self.ws_received,
        )
        reached = [_first_reaching(s, starts) for s in series]
        print("stage (from POST start)          p50 ms   p99 ms    step p50   step p99")
        previous = starts
        for name, times in zip(names, reached, strict=True):
            total = [t - s for t, s in zip(times, starts, strict=True)]
            step = [t - p for t, p in zip(times, previous, strict=True)]
            print(
                f"  {name:<28} {_pct(total, 0.5):8.1f} {_pct(total, 0.99):8.1f}"
                f"  {_pct(step, 0.5):9.1f}  {_pct(step, 0.99):9.1f}"
            )
            previous = times


async def _pipeline(
    ingest: str, dashboard: str, n: int, kafka: KafkaSettings, stages: _Stages | None
) -> tuple[list[float], float]:
    """Latencies (s) of ``n`` POSTs until a WebSocket update shows them, and the achieved POST rate."""
    seen_at: list[tuple[int, float]] = []
    all_seen = asyncio.Event()
    stop = asyncio.Event()
    url = f"ws://{dashboard}/ws/live?region={REGION}&window={WINDOW}"
    tap_ready = asyncio.Event()
    tap = asyncio.create_task(stages.watch_topics(kafka, tap_ready, stop)) if stages else None
    if tap:
        await tap_ready.wait()
    async with websockets.connect(url, max_size=None) as ws:

        async def watch() -> None:
            async for raw in ws:
                now = time.time()
                message = orjson.loads(raw)
                for entry in message.get("entries", ()):
                    if entry["song_id"] == SONG:
                        seen_at.append((entry["plays"], now))
                        if stages:
                            stages.update_generated.append((entry["plays"], _epoch(message["generated_at"])))
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
                if stages:
                    stages.acked.append((len(stages.acked) + 1, time.time()))

            began = time.time()
            starts = await _paced(n, post)
            rate = n / (time.time() - began)
        try:
            await asyncio.wait_for(all_seen.wait(), 30)
        except TimeoutError:
            pass  # reported below with the count that did arrive
        watcher.cancel()
    stop.set()
    if tap:
        await tap
    if stages:
        stages.ws_received = seen_at
        stages.report(starts)
    latencies = [t - s for t, s in zip(_first_reaching(seen_at, starts), starts, strict=True)]
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
                    now = time.time()
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
    kafka = private_topics("bench-lat", suffix)
    asyncio.run(ensure_topics(kafka))
    ingest_port, dashboard_port = free_port(), free_port()
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
            _spawn(["-m", "streams", *streams_args(data)], env, log),  # as deployed (-l info)
            _spawn(_uvicorn("dashboard_api.app:create_app", dashboard_port), env, log),
        ]
        try:
            asyncio.run(_wait_http(f"http://127.0.0.1:{ingest_port}/readyz"))
            asyncio.run(_wait_http(f"http://127.0.0.1:{dashboard_port}/healthz"))
            asyncio.run(_warm_up(f"127.0.0.1:{ingest_port}", f"127.0.0.1:{dashboard_port}"))
            base = asyncio.run(_baseline(kafka, int(RATE * 3)))
            ingest, dashboard = f"127.0.0.1:{ingest_port}", f"127.0.0.1:{dashboard_port}"
            stages = _Stages() if STAGES else None
            latencies, rate = asyncio.run(_pipeline(ingest, dashboard, n, kafka, stages))
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
