"""The history cache every dashboard-api process shares, in Redis; never in the way of a read.

Each operation has a short timeout; a failure counts in `topsongs_history_cache_errors_total` and
reads as a miss. Unless another operation was answered meanwhile, Redis is then left alone for
``retry_s``, so a stopped or unreachable Redis costs one timeout per process per ``retry_s`` and
history carries on from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import orjson
from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

Rows = list[dict[str, Any]]

# Enough connections for a burst of reads, all opened at the start: redis-py's default pool opens
# one per concurrent command, one after another under its lock, and a cold start's burst queued.
CONNECTIONS = 16
# Part of every key: a release that stores rows differently uses other keys (v2: "final" added).
LAYOUT = "v2:"
# Keys a start's warm-up reads per MGET.
WARM_CHUNK = 500


def chart_name(key: Hashable) -> str:
    """A cache key as text, the same in every process: the query's name and arguments."""
    parts = key if isinstance(key, tuple) else (key,)
    return "|".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)


def encode(rows: Rows, final: bool) -> bytes:
    """Rows as JSON (orjson: datetimes in RFC 3339), with the names of the columns holding datetimes
    and whether the chart is final (closed and filled: what a start may copy into its memory)."""
    times = sorted({column for row in rows for column, value in row.items() if isinstance(value, datetime)})
    return orjson.dumps({"times": times, "rows": rows, "final": final})


def decode(data: bytes) -> tuple[Rows, bool]:
    """The rows and the final mark ``encode`` wrote."""
    body = orjson.loads(data)
    rows: Rows = body["rows"]
    for row in rows:
        for column in body["times"]:
            if row[column] is not None:
                row[column] = datetime.fromisoformat(row[column])
    return rows, bool(body["final"])


def _glob_escaped(text: str) -> str:
    """``text`` matched literally in a Redis SCAN pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class SharedCache:
    """Chart rows under ``prefix`` in the Redis at ``url``, each with its own expiry."""

    def __init__(
        self, url: str, prefix: str, timeout_s: float, retry_s: float, registry: CollectorRegistry
    ) -> None:
        self.prefix, self.retry_s = prefix, retry_s
        # No retries: a retry would only double the wait before PostgreSQL answers instead. Waiting
        # for a free connection counts against the same timeout. No CLIENT SETINFO on connecting.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=CONNECTIONS,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            driver_info=None,
        )
        self.client = Redis.from_pool(pool)
        self._resting_until = 0.0
        self._answered_at = 0.0
        self.errors = Counter(
            "topsongs_history_cache_errors",
            "Shared history cache (Redis) operations that failed or timed out; the read went to PostgreSQL",
            ["operation"],
            registry=registry,
        )

    def key(self, name: str) -> str:
        """The Redis key of a chart (``chart_name``)."""
        return self.prefix + LAYOUT + name

    @property
    def resting(self) -> bool:
        """True while Redis is left alone after a failure."""
        return time.monotonic() < self._resting_until

    async def get(self, name: str) -> Rows | None:
        """The stored rows, or None (absent, expired, or Redis not answering)."""
        if self.resting:
            return None
        asked = time.monotonic()
        try:
            data = await self.client.get(self.key(name))
        except (RedisError, OSError):
            self._failed("get", asked)
            return None
        self._answered_at = time.monotonic()
        if not isinstance(data, bytes):  # None: a miss (the client returns bytes, not str)
            return None
        try:
            return decode(data)[0]
        except (ValueError, KeyError, TypeError):
            # Another release's layout (they share Redis during a rolling deploy): read it anew.
            self.errors.labels("decode").inc()
            return None

    async def put(self, name: str, rows: Rows, ttl_s: float, final: bool) -> None:
        """Store ``rows`` for ``ttl_s`` seconds (nothing when Redis is not answering)."""
        ttl_ms = int(ttl_s * 1000)
        if ttl_ms <= 0 or self.resting:
            return
        asked = time.monotonic()
        try:
            await self.client.set(self.key(name), encode(rows, final), px=ttl_ms)
        except (RedisError, OSError):
            self._failed("put", asked)
            return
        self._answered_at = time.monotonic()

    async def finals(self, limit: int) -> list[tuple[str, Rows]]:
        """The final charts stored, at most ``limit`` looked at, for a start to copy into its memory:
        ``(chart_name, rows)``; none if Redis does not answer (each call within the timeout)."""
        if limit <= 0 or self.resting:
            return []
        start = (self.prefix + LAYOUT).encode()
        pattern = _glob_escaped(self.prefix + LAYOUT) + "*"
        asked = time.monotonic()
        keys: list[bytes] = []
        charts = []
        try:
            async for key in self.client.scan_iter(match=pattern, count=1000):
                keys.append(key)
                if len(keys) >= limit:
                    break
            for chunk in (keys[i : i + WARM_CHUNK] for i in range(0, len(keys), WARM_CHUNK)):
                for key, data in zip(chunk, await self.client.mget(chunk), strict=True):
                    if not isinstance(data, bytes):  # None: expired since the scan
                        continue
                    try:
                        rows, final = decode(data)
                    except (ValueError, KeyError, TypeError):
                        self.errors.labels("decode").inc()
                        continue
                    if final:
                        charts.append((key.removeprefix(start).decode(), rows))
        except (RedisError, OSError):
            self._failed("warm", asked)
            return []
        self._answered_at = time.monotonic()
        return charts

    def _failed(self, operation: str, asked: float) -> None:
        self.errors.labels(operation).inc()
        # Another operation answered since this one was sent: Redis is up, and this one timed out
        # on a busy event loop (a burst of reads at a cold start); resting would send every read
        # to PostgreSQL, the dearer path, and make the loop busier still.
        if self._answered_at <= asked:
            self._resting_until = time.monotonic() + self.retry_s

    async def start(self) -> None:
        """Open the connections (if Redis answers: else the first reads find out and count it)."""
        await asyncio.gather(*(self.client.ping() for _ in range(CONNECTIONS)), return_exceptions=True)

    async def stop(self) -> None:
        """Close the connections."""
        await self.client.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
