"""The sender: paced asyncio + httpx delivery of events to ingest, with client retries."""

from __future__ import annotations

import asyncio
import itertools
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from topsongs_core.token_bucket import TokenBucket

from simulator.faults import Outgoing
from simulator.oracle import Oracle
from simulator.report import RunStats

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The longest Retry-After the sender honours; a larger one waits this long.
MAX_RETRY_AFTER_S = 30.0


@dataclass(frozen=True)
class SendConfig:
    """How fast, how long and how to talk to ingest."""

    ingest_url: str
    rate: float
    duration_s: float | None = None
    count: int | None = None
    batch_size: int = 0
    concurrency: int = 32
    timeout_s: float = 10.0
    max_retries: int = 3
    retry_backoff_s: float = 0.2  # the first retry's wait without Retry-After, doubled each time
    api_key: str | None = field(default=None, repr=False)  # sent as X-API-Key
    # Share of requests sent without event_ids: ingest derives them from the request's
    # Idempotency-Key (the same on every retry) and answers them; the report keeps both classes.
    without_ids_share: float = 0.0

    def total(self) -> int:
        """How many events to send: ``count``, ``rate * duration``, or the smaller of both."""
        limits = [self.count] if self.count is not None else []
        if self.duration_s is not None:
            limits.append(round(self.rate * self.duration_s))
        if not limits:
            raise ValueError("give a duration or an event count")
        return min(limits)


@dataclass(frozen=True, slots=True)
class Request:
    """One request's events, and whether they go without their event_ids."""

    group: list[Outgoing]
    without_ids: bool


def _without_id(body: dict[str, Any] | bytes) -> dict[str, Any] | bytes:
    return body if isinstance(body, bytes) else {k: v for k, v in body.items() if k != "event_id"}


class Sender:
    """Sends a stream of ``Outgoing`` events at a target rate with bounded concurrency."""

    def __init__(
        self,
        config: SendConfig,
        stats: RunStats,
        oracle: Oracle,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.config = config
        self.stats = stats
        self.oracle = oracle
        self.on_progress = on_progress or (lambda _n: None)

    async def run(self, outgoing: Iterator[Outgoing]) -> RunStats:
        """Send ``config.total()`` events (or stop at the duration) and return the stats."""
        cfg = self.config
        queue: asyncio.Queue[Request | None] = asyncio.Queue(maxsize=cfg.concurrency * 2)
        started = time.monotonic()
        tls = ssl.create_default_context()  # built once: each one costs ~20 ms of CPU
        workers = [asyncio.create_task(self._worker(queue, tls)) for _ in range(cfg.concurrency)]
        try:
            await self._produce(itertools.islice(outgoing, cfg.total()), queue, started)
            for _ in workers:
                await queue.put(None)
            # Not gather: cancelling it would cancel the requests on the wire (see _drain).
            await asyncio.wait(workers)
            for task in workers:
                task.result()
        except asyncio.CancelledError:
            await self._drain(queue, workers)
            raise
        finally:
            for task in workers:
                task.cancel()
        self.stats.elapsed_s = time.monotonic() - started
        return self.stats

    async def _drain(self, queue: asyncio.Queue[Request | None], workers: list[asyncio.Task[None]]) -> None:
        """On an interrupt, nothing more is sent, and the requests on the wire get their answers (for
        at most ``timeout_s``), so that the report names every play ingest accepted; a request still
        unanswered then is reported as ``interrupted``, its plays neither accepted nor refused."""
        while not queue.empty():
            queue.get_nowait()  # never sent
        for _ in workers:
            queue.put_nowait(None)  # room: the queue holds twice as many and was just emptied
        await asyncio.wait(workers, timeout=self.config.timeout_s)

    async def run_until_cancelled(self, outgoing: Iterator[Outgoing]) -> RunStats:
        """Like ``run``, but a cancellation (Ctrl-C under ``asyncio.run``) ends it with the stats so far."""
        started = time.monotonic()
        try:
            return await self.run(outgoing)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # handled here: the caller still reports and exits normally
            self.stats.interrupted = True
            self.stats.elapsed_s = time.monotonic() - started
            return self.stats

    async def _produce(
        self,
        outgoing: Iterator[Outgoing],
        queue: asyncio.Queue[Request | None],
        started: float,
    ) -> None:
        cfg = self.config
        share = 0.0  # requests are sent without ids whenever this reaches one: an even spread
        size = max(1, cfg.batch_size)
        # Room for a short burst so a hiccup is caught up; never less than one batch.
        bucket = TokenBucket(cfg.rate, capacity=max(size, cfg.rate * 0.05, 1.0))
        deadline = started + cfg.duration_s + 1.0 if cfg.duration_s is not None else None
        group: list[Outgoing] = []
        for out in outgoing:
            if deadline is not None and time.monotonic() > deadline:
                break
            self.stats.sent_by_kind[out.kind] += 1
            if cfg.batch_size and out.kind != "malformed":
                group.append(out)
                if len(group) < size:
                    continue
                ready, group = group, []
            else:
                ready = [out]
            share += cfg.without_ids_share
            without_ids, share = (True, share - 1) if share >= 1 else (False, share)
            await bucket.take(len(ready))
            await queue.put(Request(ready, without_ids))
        if group:
            await bucket.take(len(group))
            await queue.put(Request(group, False))

    async def _worker(self, queue: asyncio.Queue[Request | None], tls: ssl.SSLContext) -> None:
        # One client and connection per worker: a shared httpx pool serialises on its lock
        # and collapses to a few hundred requests/s at 32 connections.
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=self.config.ingest_url, timeout=self.config.timeout_s, limits=one, verify=tls
        ) as client:
            while (request := await queue.get()) is not None:
                await self._post(client, request)
                self.stats.sent_events += len(request.group)
                self.on_progress(len(request.group))

    async def _post(self, client: httpx.AsyncClient, request: Request) -> None:
        cfg, group = self.config, request.group
        without_ids = request.without_ids and group[0].kind != "malformed"
        bodies = [_without_id(o.body) if without_ids else o.body for o in group]
        if without_ids:
            self.stats.sent_without_ids += len(group)
        else:
            self.stats.sent_with_ids.extend(o.event_id for o in group if o.event_id is not None)
        if cfg.batch_size and group[0].kind != "malformed":
            path, content = "/plays", orjson.dumps({"events": bodies})
        else:
            body = bodies[0]
            path, content = "/play", body if isinstance(body, bytes) else orjson.dumps(body)
        # One key per request, the same on each of its retries: ingest then gives any event sent
        # without an id the same id every time (docs/api.md, "Retrying safely").
        headers = {"content-type": "application/json", "idempotency-key": str(uuid.uuid4())}
        if cfg.api_key is not None:
            headers["x-api-key"] = cfg.api_key
        try:
            status, detail, ids = await self._attempts(client, path, content, headers, without_ids)
        except asyncio.CancelledError:
            self._record(group, "interrupted", "the run stopped before ingest answered", None)
            raise
        self._record(group, status, detail, ids if without_ids else None)

    async def _attempts(
        self, client: httpx.AsyncClient, path: str, content: bytes, headers: dict[str, str], without_ids: bool
    ) -> tuple[str, str, list[str] | None]:
        """Send, and resend as long as the answer asks for it: the last status, its text and the
        event ids ingest assigned."""
        cfg = self.config
        status, detail, wait = "unsent", "", 0.0
        ids: list[str] | None = None  # what ingest assigned to events sent without ids
        for attempt in range(cfg.max_retries + 1):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(wait)
            backoff = cfg.retry_backoff_s * 2**attempt
            sent = time.perf_counter()
            try:
                reply = await client.post(path, content=content, headers=headers)
            except httpx.TransportError as exc:
                status, detail, wait = f"error:{type(exc).__name__}", str(exc)[:200], backoff
                continue
            self.stats.latencies_s.append(time.perf_counter() - sent)
            status, detail = str(reply.status_code), reply.text[:300]
            if without_ids and reply.status_code in (202, 503):
                ids = self._assigned(reply, ids)
            if reply.status_code not in RETRY_STATUSES:
                break
            self.stats.retried_statuses[status] += 1
            wait = self._retry_after(reply, backoff)
        return status, detail, ids

    def _assigned(self, reply: httpx.Response, before: list[str] | None) -> list[str] | None:
        """The event ids ingest names in a 202 or 503 answer (None when it names none); counts the
        events whose id differs from an earlier answer's (a resend that would be a second play)."""
        try:
            body = reply.json()
        except ValueError:  # a balancer's own 503 is plain text
            return before
        ids = body.get("event_ids") or ([body["event_id"]] if body.get("event_id") else None)
        if not isinstance(ids, list):
            return before
        if before is not None:
            self.stats.ids_changed_on_retry += sum(a != b for a, b in zip(before, ids, strict=False))
        return [str(i) for i in ids]

    def _retry_after(self, reply: httpx.Response, backoff: float) -> float:
        """The server's Retry-After in seconds (bounded), or ``backoff`` when it sent none."""
        value = reply.headers.get("retry-after", "")
        try:
            return min(float(value), MAX_RETRY_AFTER_S)
        except ValueError:  # absent, or an HTTP date, which ingest never sends
            self.stats.retry_after_missing += 1
            return backoff

    def _record(self, group: list[Outgoing], status: str, detail: str, assigned: list[str] | None) -> None:
        stats = self.stats
        stats.requests_by_status[status] += 1
        stats.events_by_status[status] += len(group)
        for index, out in enumerate(group):
            if status == "202" and out.play is not None:
                if assigned is not None and index < len(assigned):
                    stats.accepted.append(assigned[index])
                    stats.accepted_without_ids.append(assigned[index])
                else:
                    stats.accepted.append(out.event_id or "")
                self.oracle.add(out.play, late=out.kind == "late")
            elif status == "202":
                stats.malformed_accepted += 1
            elif status == "interrupted":
                stats.unanswered.append(out.event_id)
            else:
                stats.rejected.append(
                    {"event_id": out.event_id, "status": status, "kind": out.kind, "detail": detail}
                )
