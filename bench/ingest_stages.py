"""Ingest's CPU per event by stage of `POST /plays` (read+parse, validate, encode, partition, produce).

Runs ingest's own functions in this process on 1000-event batches (the bench's plays), timing each
stage with this thread's CPU clock, so other processes on the shared machine add no time to it (they
still slow the caches down: compare figures of one run only). Produce is `PlayPublisher.publish` on
a private topic of the shared broker (deleted afterwards) minus the encode and partition stages it
contains; BENCH_STAGE_CLIENTS (4) batches are published at once, as concurrent requests would be.
Not measured here: uvicorn's HTTP parsing, FastAPI's routing and the 202's serialization.
Each compression codec aiokafka can use here (INGEST_COMPRESSION; lz4 and zstd need cramjam, which
the lock does not carry) gets a column: the codec's cost shows in the produce stage.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from aiokafka.codec import has_lz4
from ingest.body import read_json, validate_events
from ingest.kafka_setup import drop_topics, ensure_topics
from ingest.publisher import PlayPublisher, partition_for
from ingest.settings import IngestSettings
from starlette.requests import Request
from topsongs_core.events import PlayEvent, encode_many
from topsongs_devstack.kafka import private_topics

from bench._ingest_load import BATCH_SIZE, play

BATCHES = int(os.environ.get("BENCH_STAGE_BATCHES", "24"))
CLIENTS = int(os.environ.get("BENCH_STAGE_CLIENTS", "4"))
CHUNK = 65536  # what uvicorn hands the app per receive() of a large body


def _request(body: bytes) -> Request:
    """A request whose body arrives in CHUNK-sized ASGI messages, as from uvicorn."""
    chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return Request({"type": "http", "method": "POST", "path": "/plays", "headers": headers}, receive)


def _partitions(events: list[PlayEvent], partitions: int) -> list[int]:
    return [partition_for(event.kafka_key(), partitions) for event in events]


def _cpu(call: Callable[[], Any]) -> tuple[Any, float]:
    began = time.thread_time()
    result = call()
    return result, time.thread_time() - began


async def _stages(settings: IngestSettings, bodies: list[bytes]) -> dict[str, float]:
    """CPU seconds per stage over all ``bodies``."""
    spent = dict.fromkeys(("read+parse", "validate", "encode", "partition", "produce"), 0.0)
    async with PlayPublisher(settings) as publisher:
        await publisher.publish(validate_events([play(0)], settings.contract))  # connect, metadata
        partitions = settings.kafka.plays_partitions
        for first in range(0, len(bodies), CLIENTS):
            group = []
            for body in bodies[first : first + CLIENTS]:
                # One stage: the body's parse is too short beside the read to subtract reliably.
                began = time.thread_time()
                parsed = await read_json(_request(body), settings.max_body_bytes)
                spent["read+parse"] += time.thread_time() - began
                events, seconds = _cpu(partial(validate_events, parsed["events"], settings.contract))
                spent["validate"] += seconds
                group.append(events)
            began = time.thread_time()
            await asyncio.gather(*(publisher.publish(events) for events in group))
            produced = time.thread_time() - began
            encode = partition = 0.0
            for events in group:  # the two stages publish() contains, measured alone
                encode += _cpu(partial(encode_many, events))[1]
                partition += _cpu(partial(_partitions, events, partitions))[1]
            spent["encode"] += encode
            spent["partition"] += partition
            spent["produce"] += produced - encode - partition
    return spent


def _codecs() -> list[str | None]:
    """No compression, gzip (the standard library), and what cramjam adds when installed."""
    return [None, "gzip", *(["lz4", "zstd"] if has_lz4() else [])]


def main() -> None:
    """Print CPU µs per event for each stage and their sum, one column per compression codec."""
    kafka = private_topics("bench-stages")
    bodies = [
        orjson.dumps({"events": [play(b * BATCH_SIZE + i) for i in range(BATCH_SIZE)]})
        for b in range(BATCHES)
    ]
    asyncio.run(ensure_topics(kafka))
    try:
        spent = {
            codec: asyncio.run(_stages(IngestSettings(kafka=kafka, compression=codec), bodies))
            for codec in _codecs()
        }
    finally:
        asyncio.run(drop_topics(kafka))
    events = BATCHES * BATCH_SIZE
    print(f"load average {os.getloadavg()[0]:.1f}; {BATCHES} batches of {BATCH_SIZE}, {CLIENTS} at once")
    header = "".join(f"{codec or 'none':>8}" for codec in spent)
    print(f"  µs CPU per event {header}")
    for stage in spent[None]:
        print(f"  {stage:<17}{''.join(f'{s[stage] / events * 1e6:8.2f}' for s in spent.values())}")
    print(f"  {'sum':<17}{''.join(f'{sum(s.values()) / events * 1e6:8.2f}' for s in spent.values())}")


if __name__ == "__main__":
    main()
