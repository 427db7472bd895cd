"""Event-time freshness of each stage, measured from outside like the lag (docs/observability.md).

- ingest: Kafka's timestamp of the newest record on the plays topic (ingest's send of the newest
  accepted play);
- live: the newest ``newest_accepted_at`` the live worker published on the live topic (Kafka's
  timestamp of the newest play it counted, topsongs_core.live.PartitionCandidates);
- lake: Kafka's timestamp of the newest play in the lake job's newest committed batch (the record
  before each partition's checkpointed offset);
- hourly, daily: the end of the newest complete interval in PostgreSQL's ``chart_loads``, and when
  it was loaded.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from topsongs_core.settings import PostgresSettings

from topsongs_charts.lag import Positions, first_timestamps

# A monitor starting against a busy live topic reads at most this many records back per partition.
LIVE_BACKLOG = 1000


@dataclass(frozen=True)
class Freshness:
    """The newest event time (epoch seconds) a stage holds; for a loaded chart, when it was loaded."""

    stage: str
    newest: float
    loaded: float | None = None


async def newest_before(reader: AIOKafkaConsumer, positions: Positions, wait_s: float) -> float | None:
    """Kafka's timestamp (epoch seconds) of the newest record before ``positions``, over partitions;
    None when there is none (nothing read yet, or removed by retention)."""
    starts = await reader.beginning_offsets(list(positions))
    last = {tp: offset - 1 for tp, offset in positions.items() if offset - 1 >= starts[tp]}
    found = await first_timestamps(reader, last, wait_s)
    return max(found.values(), default=None)


class LiveTail:
    """Follows the live topic from the previous round's end: the newest play the worker counted."""

    def __init__(self, topic: str, backlog: int = LIVE_BACKLOG) -> None:
        self.topic, self.backlog = topic, backlog
        self.positions: Positions = {}
        self.newest: float | None = None

    async def advance(
        self, reader: AIOKafkaConsumer, partitions: list[TopicPartition], wait_s: float
    ) -> float | None:
        """Read every record up to the current end; the newest counted play's Kafka timestamp so far."""
        if not partitions:
            return self.newest
        ends = await reader.end_offsets(partitions)
        starts = await reader.beginning_offsets(partitions)
        for tp in partitions:
            # New, or past the end (the topic was recreated): start a backlog before the end.
            if tp not in self.positions or self.positions[tp] > ends[tp]:
                self.positions[tp] = max(starts[tp], ends[tp] - self.backlog)
            self.positions[tp] = max(self.positions[tp], starts[tp])
        behind = [tp for tp in partitions if self.positions[tp] < ends[tp]]
        if not behind:
            return self.newest
        reader.assign(behind)
        for tp in behind:
            reader.seek(tp, self.positions[tp])
        deadline = time.monotonic() + wait_s
        try:
            while any(self.positions[tp] < ends[tp] for tp in behind) and time.monotonic() < deadline:
                batch = await reader.getmany(*behind, timeout_ms=500)
                for tp, records in batch.items():
                    for record in records:
                        self.positions[tp] = record.offset + 1
                        self._take(record.value)
        finally:
            reader.assign([])
        return self.newest

    def _take(self, value: bytes | None) -> None:
        try:
            parts = json.loads(value or b"{}").get("parts") or {}
            stamps = [p["newest_accepted_at"] for p in parts.values() if p.get("newest_accepted_at")]
        except (ValueError, AttributeError, TypeError):
            return  # not a chart record: the board skips it too
        for stamp in stamps:
            at = _epoch(stamp)
            if self.newest is None or at > self.newest:
                self.newest = at


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def loaded_charts(postgres: PostgresSettings) -> list[Freshness]:
    """Per kind (hourly, daily): the end of the newest complete interval loaded, and when."""
    query = (
        "SELECT DISTINCT ON (kind) kind, interval_end, loaded_at FROM chart_loads"
        " WHERE complete ORDER BY kind, interval_start DESC"
    )
    async with await psycopg.AsyncConnection.connect(postgres.dsn(reader=True), autocommit=True) as conn:
        rows = await (await conn.execute(query)).fetchall()
    return [Freshness(kind, end.timestamp(), loaded.timestamp()) for kind, end, loaded in rows]
