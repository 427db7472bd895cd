"""Ingest throughput: POST /plays (batches) and POST /play (single) vs the raw producer baseline.

Starts its own ingest (uvicorn) on a private topic so charts and the lake are untouched, and
measures in the same run a baseline: an AIOKafkaProducer with the same settings (acks=all,
idempotent) sending the same pre-encoded events straight to Kafka.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaProducer
from topsongs_core.events import PlayEvent
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.kafka import ensure_topics

PORT = 18001
BATCH_EVENTS = int(os.environ.get("BENCH_BATCH_EVENTS", "200000"))
SINGLE_REQUESTS = int(os.environ.get("BENCH_SINGLE_REQUESTS", "20000"))
TARGET_BATCH, TARGET_SINGLE = 100_000, 5_000


def _play(i: int) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "song_id": f"s-{i % 500}",
        "title": f"Song {i % 500}",
        "artist": f"Artist {i % 120}",
        "user_id": f"u-{i % 5000}",
        "region": ("US", "GB", "DE", "BR", "JP")[i % 5],
        "played_at": datetime.now(UTC).isoformat(),
    }


async def _baseline(kafka: KafkaSettings, n: int) -> float:
    events = [PlayEvent.model_validate(_play(i)) for i in range(n)]
    payloads = [(e.kafka_key(), e.to_json()) for e in events]
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    try:
        began = time.perf_counter()
        futures = [await producer.send(kafka.plays_topic, value=v, key=k) for k, v in payloads]
        await asyncio.gather(*futures)
        return n / (time.perf_counter() - began)
    finally:
        await producer.stop()


async def _batches(n: int, size: int = 1000, concurrency: int = 4) -> float:
    bodies = [{"events": [_play(i * size + j) for j in range(size)]} for i in range(n // size)]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
        queue = list(bodies)
        began = time.perf_counter()

        async def worker() -> None:
            while queue:
                resp = await client.post("/plays", json=queue.pop())
                resp.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - began)


async def _singles(n: int, concurrency: int = 32) -> tuple[float, float]:
    bodies = [_play(i) for i in range(n)]
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30, limits=limits) as client:
        began = time.perf_counter()

        async def worker() -> None:
            while bodies:
                body = bodies.pop()
                t0 = time.perf_counter()
                resp = await client.post("/play", json=body)
                latencies.append(time.perf_counter() - t0)
                resp.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        rate = n / (time.perf_counter() - began)
    latencies.sort()
    return rate, latencies[int(len(latencies) * 0.99)] * 1000


def main() -> None:
    """Print events/s for each path and its ratio to the baseline and to the target."""
    kafka = KafkaSettings(plays_topic=f"bench-plays-{uuid.uuid4().hex[:6]}")
    asyncio.run(ensure_topics(kafka))
    env = {**os.environ, "KAFKA_PLAYS_TOPIC": kafka.plays_topic}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ingest.app:create_app",
            "--factory",
            "--port",
            str(PORT),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        base = asyncio.run(_baseline(kafka, BATCH_EVENTS))
        batch = asyncio.run(_batches(BATCH_EVENTS))
        single, p99 = asyncio.run(_singles(SINGLE_REQUESTS))
    finally:
        server.terminate()
        server.wait(10)
    print(f"baseline  raw aiokafka producer, acks=all : {base:>10,.0f} events/s")
    print(
        f"POST /plays (1000/batch, 4 clients)       : {batch:>10,.0f} events/s  "
        f"= {batch / base:.2f}x baseline, {batch / TARGET_BATCH:.2f}x target {TARGET_BATCH:,}"
    )
    print(
        f"POST /play  (32 clients, 1 uvicorn worker): {single:>10,.0f} req/s     "
        f"= {single / base:.3f}x baseline, {single / TARGET_SINGLE:.2f}x target {TARGET_SINGLE:,}; "
        f"p99 {p99:.1f} ms"
    )


if __name__ == "__main__":
    main()
