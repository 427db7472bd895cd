"""Brute-force expected charts and the plays the live tests send."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from topsongs_core.events import PlayEvent
from topsongs_core.windows import DEFAULT_ROLLING_MINUTES, chart_windows

WINDOWS = tuple(w.name for w in chart_windows(DEFAULT_ROLLING_MINUTES))


def play(region: str, song: int, ago_s: float) -> PlayEvent:
    """A play of song ``song`` in ``region``, ``ago_s`` seconds ago."""
    return PlayEvent(
        song_id=f"s-{song:03d}",
        title=f"Song {song}",
        artist=f"Artist {song % 7}",
        user_id=f"u-{random.randrange(1000)}",
        region=region,
        played_at=datetime.now(UTC) - timedelta(seconds=ago_s),
    )


def plays(regions: tuple[str, ...], n: int, songs: int, seed: int) -> list[PlayEvent]:
    """``n`` plays over the last ~2.5 minutes with a skewed song popularity (so ranks and ties vary)."""
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(songs)]
    return [
        play(rng.choice(regions), rng.choices(range(songs), weights)[0], rng.uniform(0, 150))
        for _ in range(n)
    ]


async def send(producer: AIOKafkaProducer, topic: str, events: list[PlayEvent]) -> None:
    """Produce with the contract's key and bytes."""
    futures = [await producer.send(topic, e.to_json(), key=e.kafka_key()) for e in events]
    await asyncio.gather(*futures)


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def expected(counted: list[PlayEvent], region: str, start: str, end: str) -> list[dict[str, Any]]:
    """The exact top 10 (plays desc, song_id asc) of unique counted plays in ``[start, end)``."""
    lo, hi = _parse(start), _parse(end)
    seen: set[Any] = set()
    tally: Counter[str] = Counter()
    for e in counted:
        if e.region == region and lo <= e.played_at < hi and e.event_id not in seen:
            seen.add(e.event_id)
            tally[e.song_id] += 1
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return [{"rank": i, "song_id": s, "plays": p} for i, (s, p) in enumerate(ranked, start=1)]


def observed(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparable part of a snapshot's entries."""
    return [{k: e[k] for k in ("rank", "song_id", "plays")} for e in snapshot["entries"]]


async def wait_for_oracle(
    http: httpx.AsyncClient, counted: list[PlayEvent], regions: tuple[str, ...], timeout_s: float = 90
) -> dict[tuple[str, str], dict[str, Any]]:
    """Poll ``/api/live`` until every chart equals the oracle (bounded); return the snapshots."""
    deadline = time.monotonic() + timeout_s
    while True:
        snaps, diffs = {}, []
        for region in regions:
            for window in WINDOWS:
                snap = (await http.get("/api/live", params={"region": region, "window": window})).json()
                snaps[region, window] = snap
                want = expected(counted, region, snap["window_start"], snap["window_end"])
                if observed(snap) != want:
                    diffs.append((region, window, observed(snap)[:3], want[:3]))
        if not diffs:
            return snaps
        if time.monotonic() > deadline:
            raise AssertionError(f"charts never matched the oracle: {orjson.dumps(diffs[:3])!r}")
        await asyncio.sleep(0.5)
