"""Faust events/s per worker, against a plain aiokafka decode-only drain of the same topic.

Run: ``uv run python bench/live_faust.py [N_EVENTS]`` (needs the local Kafka: ``make up``).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from topsongs_core.events import PlayEvent, decode
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import cpu_seconds


def plays(regions: tuple[str, ...], n: int, songs: int, seed: int) -> list[PlayEvent]:
    """``n`` plays of the last two minutes."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [
        PlayEvent(
            song_id=f"s-{rng.randrange(songs)}",
            title="t",
            artist="a",
            user_id="u",
            region=rng.choice(regions),
            played_at=now - timedelta(seconds=rng.uniform(0, 120)),
        )
        for _ in range(n)
    ]


async def produce(kafka: KafkaSettings, n: int) -> None:
    """Write ``n`` contract-valid plays."""
    async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=20) as producer:
        for start in range(0, n, 5000):
            batch = plays(("US", "GB", "DE", "FR"), min(5000, n - start), songs=200, seed=start)
            await asyncio.gather(
                *[await producer.send(kafka.plays_topic, e.to_json(), key=e.kafka_key()) for e in batch]
            )


async def baseline(kafka: KafkaSettings, n: int) -> float:
    """Events/s of one aiokafka consumer that only decodes."""
    async with AIOKafkaConsumer(
        kafka.plays_topic, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest"
    ) as consumer:
        seen, started = 0, None
        while seen < n:
            for records in (await consumer.getmany(timeout_ms=500, max_records=2000)).values():
                started = started or time.perf_counter()
                for record in records:
                    decode(record.value)
                seen += len(records)
        return n / (time.perf_counter() - started)


def counted(port: int) -> float:
    """Plays the worker has handled so far (counted + duplicate + late), from its /metrics."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return 0.0
    pattern = r"^streams_plays_(?:counted|duplicate|late_dropped)_total\{[^}]*\} (\S+)$"
    return sum(float(v) for v in re.findall(pattern, text, re.M))


def faust_rate(kafka: KafkaSettings, n: int) -> tuple[float, float]:
    """Events/s of one Faust worker from its first handled play to the last, and events per CPU second.

    The second figure does not depend on how much of a core other processes leave the worker.
    """
    port = 19500 + os.getpid() % 400
    env = {
        **os.environ,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "STREAMS_METRICS_PORT": str(port),
        "STREAMS_APP_ID": f"bench-{uuid.uuid4().hex[:8]}",
    }
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams", "--datadir", data, "worker", "--without-web"],
            env=env,
            start_new_session=True,
        )
        try:
            started = None
            deadline = time.monotonic() + 600
            while (done := counted(port)) < n and time.monotonic() < deadline:
                if done and started is None:
                    started = (time.perf_counter(), done, cpu_seconds([proc.pid]))
                time.sleep(0.5)  # each scrape costs the worker CPU: poll sparingly
            assert started, "worker handled nothing"
            cpu = cpu_seconds([proc.pid]) - started[2]
            return (done - started[1]) / (time.perf_counter() - started[0]), (done - started[1]) / cpu
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def main() -> None:
    """Produce, measure both, print."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
    kafka = private_topics("bench")
    asyncio.run(ensure_topics(kafka))
    asyncio.run(produce(kafka, n))
    base = asyncio.run(baseline(kafka, n))
    rate, per_cpu = faust_rate(kafka, n)
    print(f"events: {n}, partitions: {kafka.plays_partitions}")
    print(f"baseline aiokafka decode-only: {base:,.0f} events/s")
    print(f"faust worker (1 worker):       {rate:,.0f} events/s per worker")
    print(f"ratio faust/baseline:          {rate / base:.2f}")
    print(f"faust per busy CPU second:     {per_cpu:,.0f} events ({1e6 / per_cpu:.0f} us CPU per event)")


if __name__ == "__main__":
    main()
