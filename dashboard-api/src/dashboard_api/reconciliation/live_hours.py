"""The live side's final counts per (region, UTC hour), read from the compacted live-hours topic."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from topsongs_core.kafka_options import aiokafka_connection

from dashboard_api.settings import DashboardSettings

log = logging.getLogger(__name__)

HourKey = tuple[str, str]  # (region, hour as the worker writes it, "2025-04-23T14:00:00Z")


@dataclass(frozen=True)
class LiveFinal:
    """One region-hour as every plays partition reported it: plays counted, late drops, exact top N."""

    plays: int
    late_dropped: int
    top: list[dict[str, Any]]


def merge(parts: list[dict[str, Any]], top_n: int) -> LiveFinal:
    """Sum the partitions' counts; the top N of their candidates is the exact top N (docs/live-charts.md)."""
    candidates = [entry for part in parts for entry in part["top"]]
    top = sorted(candidates, key=lambda e: (-e["plays"], e["song_id"]))[:top_n]
    return LiveFinal(
        plays=sum(part["plays"] for part in parts),
        late_dropped=sum(part["late_dropped"] for part in parts),
        top=[{"song_id": e["song_id"], "plays": e["plays"]} for e in top],
    )


class LiveHours:
    """Reads the whole topic, then follows it; a region-hour is final once every partition reported it.

    Connecting happens in the background and is retried, so a broker that is down delays only the
    live side of reconciliation (hours stay ``pending``), not the app's start.
    """

    def __init__(self, settings: DashboardSettings, retry_s: float = 5.0) -> None:
        self.settings = settings
        self.retry_s = retry_s
        self.parts: dict[HourKey, dict[int, dict[str, Any]]] = {}
        self.caught_up = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start reading in the background."""
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop reading."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def __aenter__(self) -> LiveHours:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def final(self, region: str, hour: str) -> LiveFinal | None:
        """The merged final of one region-hour; None until every partition's record has been read."""
        parts = self.parts.get((region, hour))
        if not self.caught_up.is_set() or not parts:
            return None
        if len(parts) < max(part["partitions"] for part in parts.values()):
            return None
        return merge(list(parts.values()), self.settings.live_top_n)

    def ingest(self, key: bytes | None, value: bytes | None) -> None:
        """Take one record; a tombstone (no value) forgets that partition's part."""
        if value is None:
            if key is not None:
                region, hour, partition = key.decode().rsplit("|", 2)
                self.parts.get((region, hour), {}).pop(int(partition), None)
            return
        record = orjson.loads(value)
        if record.get("kind") != "hour-final":
            return
        self.parts.setdefault((record["region"], record["hour"]), {})[int(record["partition"])] = record

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(**aiokafka_connection(self.settings.kafka), enable_auto_commit=False)
            try:
                await consumer.start()
                await self._read(consumer)
            except KafkaError as exc:
                log.warning("live-hours topic unreadable, retrying in %.0f s: %r", self.retry_s, exc)
            finally:
                await consumer.stop()
            await asyncio.sleep(self.retry_s)

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        topic = self.settings.kafka.live_hours_topic
        await consumer.topics()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        self.caught_up.clear()  # a reconnect reads the topic again from the start
        self.parts.clear()
        pending = set(tps)
        while True:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        self.ingest(record.key, record.value)
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning("skipping bad live-hours record at %s: %r", record.offset, exc)
            if pending:
                # Compaction leaves gaps in the offsets: the position, not the last record, tells.
                pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
                if not pending:
                    self.caught_up.set()
