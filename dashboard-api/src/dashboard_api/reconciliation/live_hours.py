"""The live side's final counts per (region, UTC hour), read from the compacted live-hours topic."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from topsongs_core.live import HourFinal, decode_hour_final

from dashboard_api.consumer import ReconnectingConsumer, partitions
from dashboard_api.settings import DashboardSettings

log = logging.getLogger(__name__)

HourKey = tuple[str, str]  # (region, hour as the worker writes it, "2025-04-23T14:00:00Z")


@dataclass(frozen=True)
class LiveFinal:
    """One region-hour as every plays partition reported it: plays counted, late drops, exact top N."""

    plays: int
    late_dropped: int
    top: list[dict[str, Any]]


def merge(parts: list[HourFinal], top_n: int) -> LiveFinal:
    """Sum the partitions' counts; the top N of their candidates is the exact top N (docs/live-charts.md)."""
    candidates = [entry for part in parts for entry in part.top]
    top = sorted(candidates, key=lambda e: (-e.plays, e.song_id))[:top_n]
    return LiveFinal(
        plays=sum(part.plays for part in parts),
        late_dropped=sum(part.late_dropped for part in parts),
        top=[e.model_dump() for e in top],
    )


class LiveHours:
    """Reads the whole topic, then follows it; a region-hour is final once every partition reported it.

    Connecting happens in the background and is retried, so a broker that is down delays only the
    live side of reconciliation (``available`` is False and hours stay ``pending``), not the app's start.
    """

    def __init__(self, settings: DashboardSettings) -> None:
        self.settings = settings
        self.parts: dict[HourKey, dict[int, HourFinal]] = {}
        self.caught_up = asyncio.Event()
        self.consumer = ReconnectingConsumer(
            settings.kafka, "live hours", self._assign, self._read, topics=[settings.kafka.live_hours_topic]
        )
        self.pending: set[TopicPartition] = set()
        self.ends: dict[TopicPartition, int] = {}

    @property
    def available(self) -> bool:
        """Whether the topic is being followed and was read to its end since the last connect."""
        return self.consumer.online and self.caught_up.is_set()

    async def start(self) -> None:
        """Start reading in the background."""
        await self.consumer.start()

    async def stop(self) -> None:
        """Stop reading."""
        await self.consumer.stop()

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
        if len(parts) < max(part.partitions for part in parts.values()):
            return None
        return merge(list(parts.values()), self.settings.live.top_n)

    def ingest(self, key: bytes | None, value: bytes | None) -> None:
        """Take one record; a tombstone (no value) forgets that partition's part."""
        if value is None:
            if key is not None:
                region, hour, partition = key.decode().rsplit("|", 2)
                self.parts.get((region, hour), {}).pop(int(partition), None)
            return
        record = decode_hour_final(value)  # a ValueError when it breaks the contract
        self.parts.setdefault((record.region, record.hour), {})[record.partition] = record

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        tps = await partitions(consumer, self.settings.kafka.live_hours_topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self.ends = await consumer.end_offsets(tps)
        self.caught_up.clear()  # a reconnect reads the topic again from the start
        self.parts.clear()
        self.pending = set(tps)
        return tps

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            for record in records:
                try:
                    self.ingest(record.key, record.value)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("skipping bad live-hours record at %s: %r", record.offset, exc)
        if self.pending:
            # Compaction leaves gaps in the offsets: the position, not the last record, tells.
            self.pending = {tp for tp in self.pending if await consumer.position(tp) < self.ends[tp]}
            if not self.pending:
                self.caught_up.set()
