"""Faust events/s per worker, against a plain aiokafka decode-only drain of the same topic.

The worker's output is checked: its live topic, merged as dashboard-api merges it, must equal the
brute-force oracle of every region and window (the top 10 and the window's plays); a benchmark of a
wrong answer is no benchmark. The run's topics (and the worker's changelogs) are deleted afterwards.
Run: ``.venv/bin/python -m bench live_faust`` (needs the local Kafka: ``make up``).
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
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.hub import FanoutHub
from ingest.kafka_setup import declared_topics, drop_topics
from topsongs_core.events import PlayEvent, decode
from topsongs_core.settings import KafkaSettings
from topsongs_core.windows import DEFAULT_ROLLING_MINUTES, chart_windows
from topsongs_devstack.deployment.programs import streams_args
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import cpu_seconds

from tests.streams.live_oracle import expected, observed

REGIONS = ("US", "GB", "DE", "FR")


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


async def produce(kafka: KafkaSettings, n: int) -> list[PlayEvent]:
    """Write ``n`` contract-valid plays; returns them (the oracle's input)."""
    sent: list[PlayEvent] = []
    async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=20) as producer:
        for start in range(0, n, 5000):
            batch = plays(REGIONS, min(5000, n - start), songs=200, seed=start)
            await asyncio.gather(
                *[await producer.send(kafka.plays_topic, e.to_json(), key=e.kafka_key()) for e in batch]
            )
            sent += batch
    return sent


async def output_differences(kafka: KafkaSettings, sent: list[PlayEvent]) -> list[tuple[str, str]]:
    """(region, window) charts whose merged live output differs from the oracle of ``sent``."""
    windows = tuple(w.name for w in chart_windows(DEFAULT_ROLLING_MINUTES))
    board = LiveBoard(REGIONS, windows, 10, FanoutHub(queue_size=16), rate_hz=1000.0)
    async with AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest", enable_auto_commit=False
    ) as consumer:
        count = next(t.num_partitions for t in declared_topics(kafka) if t.name == kafka.live_topic)
        parts = [TopicPartition(kafka.live_topic, p) for p in range(count)]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    board.ingest(record.value)
    board.flush()
    differ = []
    for region in REGIONS:
        for window in windows:
            snapshot = board.snapshot(region, window).model_dump(mode="json")
            if not exact(sent, snapshot):
                differ.append((region, window))
    return differ


def exact(sent: list[PlayEvent], chart: dict[str, Any]) -> bool:
    """Whether a chart (a live snapshot's fields) has the oracle's top 10 and plays of ``sent``."""
    region, start, end = chart["region"], chart["window_start"], chart["window_end"]
    lo, hi = datetime.fromisoformat(start), datetime.fromisoformat(end)
    plays = sum(1 for e in sent if e.region == region and lo <= e.played_at < hi)
    return observed(chart) == expected(sent, region, start, end) and chart["plays"] == plays


async def wait_for_exact_output(kafka: KafkaSettings, sent: list[PlayEvent], timeout_s: float = 60) -> float:
    """Seconds until the worker's output equals the oracle (it publishes on a timer); raise if never."""
    started = time.monotonic()
    while differ := await output_differences(kafka, sent):
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"the Faust worker's charts differ from the oracle: {differ[:4]}")
        await asyncio.sleep(2)
    return time.monotonic() - started


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


def faust_rate(kafka: KafkaSettings, sent: list[PlayEvent], app_id: str) -> tuple[float, float, float]:
    """Events/s of one Faust worker from its first handled play to the last, events per CPU second,
    and the seconds after which its output equalled the oracle.

    The second figure does not depend on how much of a core other processes leave the worker.
    """
    n = len(sent)
    port = 19500 + os.getpid() % 400
    env = {
        **os.environ,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "STREAMS_METRICS_PORT": str(port),
        "KAFKA_LIVE_HOURS_TOPIC": kafka.live_hours_topic,
        "STREAMS_APP_ID": app_id,
    }
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen(
            # as devstack and compose run it: `-l info` also keeps Faust's terminal spinner off, which
            # at its default level sets the root logger to DEBUG (a record for every client call)
            [sys.executable, "-m", "streams", *streams_args(data)],
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
            rate = (done - started[1]) / (time.perf_counter() - started[0])
            exact_after = asyncio.run(wait_for_exact_output(kafka, sent))
            return rate, (done - started[1]) / cpu, exact_after
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def main() -> None:
    """Produce, measure both, print."""
    n = int(os.environ.get("BENCH_LIVE_FAUST_EVENTS", "30000"))
    kafka = private_topics("bench")
    app_id = f"bench-{uuid.uuid4().hex[:8]}"
    asyncio.run(ensure_topics(kafka))
    try:
        sent = asyncio.run(produce(kafka, n))
        base = asyncio.run(baseline(kafka, n))
        rate, per_cpu, exact_after = faust_rate(kafka, sent, app_id)
    finally:
        dropped = asyncio.run(drop_topics(kafka, app_id))
    print(f"events: {n}, partitions: {kafka.plays_partitions}")
    print(f"output: every region and window equal to the oracle ({exact_after:.0f} s after the last play)")
    print(f"topics deleted afterwards: {len(dropped)}")
    print(f"baseline aiokafka decode-only: {base:,.0f} events/s")
    print(f"faust worker (1 worker):       {rate:,.0f} events/s per worker")
    print(f"ratio faust/baseline:          {rate / base:.2f}")
    print(f"faust per busy CPU second:     {per_cpu:,.0f} events ({1e6 / per_cpu:.0f} us CPU per event)")


if __name__ == "__main__":
    main()
