"""Ingest throughput: POST /plays (batches) and POST /play (single) vs baselines in the same run.

Starts its own ingest (uvicorn, BENCH_INGEST_WORKERS processes, port BENCH_INGEST_PORT) on a
private topic, deleted afterwards, so charts and the lake are untouched; BENCH_BATCH_CLIENTS (4)
concurrent clients post the batches. Baselines for batches: Kafka's own Java producer
(ProducerPerformance, records the size of an encoded play) and an AIOKafkaProducer sending
pre-encoded events one by one, both acks=all and idempotent on the same broker and topic; for
single posts, wrk against the same server's GET /healthz (the HTTP floor). Single posts are driven
by wrk (Debian's `wrk`, installed by `make bench`), because a Python client saturates before the
server does.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer
from ingest.kafka_setup import drop_topics
from topsongs_core.events import PlayEvent
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.stack import running

from bench._ingest_load import api_key, ingest_process, play
from bench._producer_performance import producer_performance

PORT = int(os.environ.get("BENCH_INGEST_PORT", "18001"))
BATCH_EVENTS = int(os.environ.get("BENCH_BATCH_EVENTS", "200000"))
SINGLE_SECONDS = int(os.environ.get("BENCH_SINGLE_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_INGEST_WORKERS", "2"))
BATCH_CLIENTS = int(os.environ.get("BENCH_BATCH_CLIENTS", "4"))
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "$API_KEY"
counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"song_id":"s-%d","title":"Song","artist":"Artist","user_id":"u-%d","region":"US","played_at":"%s"}',
    counter % 500, counter % 5000, os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format(nil, nil, nil, body)
end
"""
TARGET_BATCH, TARGET_SINGLE = 100_000, 5_000
# ingest's defaults (INGEST_LINGER_MS, INGEST_MAX_BATCH_BYTES), for every producer here
LINGER_MS, BATCH_BYTES = 5, 512 * 1024


async def _baseline(kafka: KafkaSettings, n: int) -> float:
    events = [PlayEvent.model_validate(play(i)) for i in range(n)]
    payloads = [(e.kafka_key(), e.to_json()) for e in events]
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=LINGER_MS,
        max_batch_size=BATCH_BYTES,
    )
    await producer.start()
    try:
        began = time.perf_counter()
        futures = [await producer.send(kafka.plays_topic, value=v, key=k) for k, v in payloads]
        await asyncio.gather(*futures)
        return n / (time.perf_counter() - began)
    finally:
        await producer.stop()


async def _batches(n: int, key: str, size: int = 1000, concurrency: int = BATCH_CLIENTS) -> tuple[float, int]:
    """events/s of accepted batches, and how many 503s were retried (as a real client would)."""
    bodies = [{"events": [play(i * size + j) for j in range(size)]} for i in range(n // size)]
    encoded = [orjson.dumps(b) for b in bodies]
    headers = {"content-type": "application/json", "x-api-key": key}
    retried = 0
    async with aiohttp.ClientSession(f"http://127.0.0.1:{PORT}") as session:
        queue = list(encoded)
        began = time.perf_counter()

        async def worker() -> None:
            nonlocal retried
            while queue:
                body = queue.pop()
                while True:
                    async with session.post("/plays", data=body, headers=headers) as resp:
                        if resp.status == 202:
                            break
                        assert resp.status == 503, await resp.text()
                        retried += 1
                        await asyncio.sleep(float(resp.headers.get("retry-after", "1")))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - began), retried


def _wrk(path: str, script: str | None, connections: int = 64) -> tuple[float, float, int]:
    """requests/s, p99 ms and non-2xx count from one wrk run against ``path``."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{SINGLE_SECONDS}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        if script:
            lua.write(script)
            lua.flush()
            argv += ["-s", lua.name]
        out = subprocess.run([*argv, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p99, int(bad.group(1)) if bad else 0


def _record_size(n: int = 1000) -> int:
    """Mean bytes of an encoded benchmark play: the record size ProducerPerformance sends."""
    return round(sum(len(PlayEvent.model_validate(play(i)).to_json()) for i in range(n)) / n)


def main() -> None:
    """Print events/s for each path and its ratio to its baselines and to the target."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk (make bench does)")
    kafka = private_topics("bench-ingest")
    asyncio.run(ensure_topics(kafka))
    env = {
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
    }
    size = _record_size()
    try:
        java = producer_performance(kafka, BATCH_EVENTS, size, linger_ms=LINGER_MS, batch_bytes=BATCH_BYTES)
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as state:
            process = ingest_process(Path(state), PORT, env, WORKERS)
            with running([process]):
                key = api_key(process)
                base = asyncio.run(_baseline(kafka, BATCH_EVENTS))
                batch, retried = asyncio.run(_batches(BATCH_EVENTS, key))
                floor, floor_p99, _ = _wrk("/healthz", None)
                single, p99, bad = _wrk("/play", WRK_SCRIPT.replace("$API_KEY", key))
    finally:
        asyncio.run(drop_topics(kafka))
    load, partitions = os.getloadavg()[0], kafka.plays_partitions
    print(f"load average {load:.1f}; ingest workers {WORKERS}; {partitions} partitions")
    print(f"baseline  ProducerPerformance, {size} B records: {java:>9,.0f} records/s (Java, idempotent)")
    print(f"baseline  raw aiokafka producer, acks=all   : {base:>9,.0f} events/s  = {base / java:.2f}x Java")
    print(
        f"POST /plays (1000/batch, {BATCH_CLIENTS:>2} clients)        : {batch:>9,.0f} events/s  "
        f"= {batch / java:.2f}x Java, {batch / base:.2f}x aiokafka, {batch / TARGET_BATCH:.2f}x target "
        f"{TARGET_BATCH:,}; 503s retried {retried}"
    )
    print(f"baseline  GET /healthz (wrk, 64 connections): {floor:>9,.0f} req/s     p99 {floor_p99:.1f} ms")
    print(
        f"POST /play  (wrk, 64 connections)           : {single:>9,.0f} req/s     "
        f"= {single / floor:.2f}x baseline, {single / TARGET_SINGLE:.2f}x target {TARGET_SINGLE:,}; "
        f"p99 {p99:.1f} ms, non-2xx {bad}"
    )


if __name__ == "__main__":
    main()
