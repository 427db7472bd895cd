"""What the ingest benchmarks share: the plays they post, one ingest process, a timed POST /plays client.

A leading underscore keeps it out of `python -m bench`'s list of benchmarks.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
from topsongs_devstack.apps import AppService, ingest_service
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.ingest_keys import ingest_keys

from bench.rest_latency import quantile_ms

BATCH_SIZE = 1000


def play(i: int) -> dict[str, object]:
    """The ``i``-th play of a benchmark: 500 songs, 5,000 users, 5 regions, played now."""
    return {
        "event_id": str(uuid.uuid4()),
        "song_id": f"s-{i % 500}",
        "title": f"Song {i % 500}",
        "artist": f"Artist {i % 120}",
        "user_id": f"u-{i % 5000}",
        "region": ("US", "GB", "DE", "BR", "JP")[i % 5],
        "played_at": datetime.now(UTC).isoformat(),
    }


def ingest_process(state_dir: Path, port: int, env: Mapping[str, str], workers: int = 1) -> AppService:
    """devstack's ingest launcher on 127.0.0.1:``port``, its pid and log files under ``state_dir``.

    The cluster profile starts its ingest processes with the same launcher, so a comparison differs
    only in what the benchmark says differs.
    """
    devstack = DevstackSettings(state_dir=state_dir, ingest_workers=workers)
    return ingest_service(devstack, port=port, env=env)


def api_key(process: AppService) -> str:
    """The X-API-Key of an ingest that ``ingest_process`` or the cluster profile started."""
    return ingest_keys(process.settings).client_key()


@dataclass(frozen=True)
class BatchLoad:
    """What a timed batch run measured: only requests started inside the measured window count."""

    accepted_events: int
    seconds: float
    statuses: Counter[int]
    p50_ms: float
    p99_ms: float
    load_average: float  # the box's 1-minute load when the window closed: the machine is shared

    @property
    def events_per_s(self) -> float:
        """Events answered 202, per second of the window."""
        return self.accepted_events / self.seconds

    def line(self) -> str:
        """One printable line of the figures."""
        refused = {status: n for status, n in self.statuses.items() if status != 202}
        return (
            f"{self.events_per_s:>9,.0f} events/s  {sum(self.statuses.values()):,} requests in "
            f"{self.seconds:.1f} s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"non-202 {refused or 0}, load {self.load_average:.1f}"
        )


async def timed_batches(
    url: str,
    *,
    api_key: str,
    clients: int,
    seconds: float,
    warmup_s: float,
    pool: int = 64,
    batch_size: int = BATCH_SIZE,
) -> BatchLoad:
    """``clients`` concurrent clients post ``batch_size``-event batches to ``url``/plays for a fixed time.

    A request counts when it started inside the ``seconds`` window that follows ``warmup_s``; the
    window ends with the last counted answer, so requests in flight at the deadline are neither lost
    nor cut short. The bodies are encoded beforehand so the client spends its CPU on HTTP only:
    ``pool`` distinct batches, cycled, so event ids repeat (nothing consumes the topics the benchmark
    posts to). A 503 is waited out for its Retry-After, as a real client would.
    """
    batches = ({"events": [play(b * batch_size + i) for i in range(batch_size)]} for b in range(pool))
    bodies = [orjson.dumps(batch) for batch in batches]
    headers = {"content-type": "application/json", "x-api-key": api_key}
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    window_start = time.perf_counter() + warmup_s
    deadline = window_start + seconds
    last_answer = window_start

    async def client(session: aiohttp.ClientSession, first: int) -> None:
        nonlocal last_answer
        sent = first
        while (started := time.perf_counter()) < deadline:
            body = bodies[sent % pool]
            sent += clients
            async with session.post("/plays", data=body, headers=headers) as resp:
                await resp.read()
                status, retry_after = resp.status, resp.headers.get("retry-after")
            answered = time.perf_counter()
            if started >= window_start:
                statuses[status] += 1
                latencies.append(answered - started)
                last_answer = max(last_answer, answered)
            if status == 503:
                await asyncio.sleep(float(retry_after or 1))

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(url, timeout=timeout) as session:
        await asyncio.gather(*(client(session, k) for k in range(clients)))
    if not latencies:
        raise RuntimeError(f"no POST /plays to {url} was answered inside the {seconds:.0f} s window")
    latencies.sort()
    return BatchLoad(
        accepted_events=statuses[202] * batch_size,
        seconds=last_answer - window_start,
        statuses=statuses,
        p50_ms=quantile_ms(latencies, 0.50),
        p99_ms=quantile_ms(latencies, 0.99),
        load_average=os.getloadavg()[0],
    )
