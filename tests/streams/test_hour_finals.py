"""A real worker closes UTC hours: its final records per (region, hour, partition) equal an oracle
built from the plays sent (by event_id), late drops land in the hour of their played_at, the
records survive a SIGKILL, and reconciling them against a batch of the same plays leaves no drift."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from dashboard_api.reconciliation.compare import BatchHour, reconcile
from dashboard_api.reconciliation.live_hours import LiveHours
from dashboard_api.settings import DashboardSettings
from topsongs_core.events import PlayEvent
from topsongs_core.settings import ContractSettings, KafkaSettings

REGIONS = ContractSettings().regions
SENT = ("US", "GB", "DE")
PARTITIONS = 6
Part = tuple[str, int, int]  # (region, epoch hour, partition)


def at(region: str, song: int, played: float) -> PlayEvent:
    """A play of song ``song`` in ``region`` at epoch second ``played``."""
    return PlayEvent(
        song_id=f"s-{song:02d}",
        title=f"Song {song}",
        artist="A",
        user_id="u-1",
        region=region,
        played_at=datetime.fromtimestamp(played, UTC),
    )


class Sent:
    """Every play produced, with the partition Kafka put it on."""

    def __init__(self) -> None:
        self.partition: dict[Any, int] = {}

    async def send(self, producer: AIOKafkaProducer, topic: str, events: list[PlayEvent]) -> None:
        futures = [await producer.send(topic, e.to_json(), key=e.kafka_key()) for e in events]
        for event, meta in zip(events, await asyncio.gather(*futures), strict=True):
            self.partition[event.event_id] = meta.partition

    def tally(self, events: list[PlayEvent]) -> dict[Part, Counter[str]]:
        """Unique plays per (region, hour, partition) and song."""
        out: dict[Part, Counter[str]] = defaultdict(Counter)
        for e in {e.event_id: e for e in events}.values():
            out[e.region, int(e.played_at.timestamp() // 3600), self.partition[e.event_id]][e.song_id] += 1
        return out


def skewed(rng: random.Random) -> int:
    """A song of 12, the first ones far more popular (so ranks and ties vary)."""
    return min(int(rng.paretovariate(1.2)) - 1, 11)


def ranked(counts: Counter[str], n: int = 10) -> list[dict[str, Any]]:
    return [{"song_id": s, "plays": p} for s, p in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


async def read_finals(kafka: KafkaSettings, done, timeout_s: float) -> dict[Part, dict[str, Any]]:
    """The newest record per key of the live-hours topic, read to its end once ``done(records)``."""
    tp = TopicPartition(kafka.live_hours_topic, 0)
    async with AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers) as consumer:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        records: dict[Part, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout_s
        while True:
            end = (await consumer.end_offsets([tp]))[tp]
            if await consumer.position(tp) >= end and done(records):
                return records
            assert time.monotonic() < deadline, f"hour finals never complete: {len(records)} records"
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    value = orjson.loads(record.value)
                    hour = int(datetime.fromisoformat(value["hour"]).timestamp() // 3600)
                    assert record.key == f"{value['region']}|{value['hour']}|{value['partition']}".encode()
                    records[value["region"], hour, value["partition"]] = value


def expect(records: dict[Part, dict], hour: int, counted: dict, late: dict, partitions: range) -> None:
    """Every region of ``hour`` on each of ``partitions`` is reported exactly as the oracle says."""
    for region in REGIONS:
        for p in partitions:
            record = records.get((region, hour, p))
            assert record is not None, (region, hour, p)
            want = counted.get((region, hour, p), Counter())
            got = (record["plays"], record["late_dropped"], record["top"])
            assert got == (
                sum(want.values()),
                sum(late.get((region, hour, p), Counter()).values()),
                ranked(want),
            )
            assert record["partitions"] == PARTITIONS


async def test_hour_finals_equal_the_oracle_and_reconcile_without_drift(
    workers, producer: AIOKafkaProducer, kafka_settings: KafkaSettings
) -> None:
    rng = random.Random(9)
    start = time.time()
    now_hour = int(start // 3600)
    h1, h2, h3 = now_hour - 1, now_hour - 2, now_hour - 3
    # The previous hour closes 40 s from now (H + 1 h + lateness, with H = h1): time for the worker
    # to start and read every play sent below before it closes (here 10-20 s).
    lateness = int(start - now_hour * 3600) + 40
    sent = Sent()
    # In order per partition: the previous hour's plays (ascending, so none is late), then current
    # plays of every song (the watermark jumps to now), then previous-hour plays older than
    # watermark - lateness: dropped as late, into h1.
    keys = [(region, song) for region in SENT for song in range(12)]
    on_time = sorted(
        (at(rng.choice(SENT), skewed(rng), h1 * 3600 + rng.uniform(0, 3590)) for _ in range(400)),
        key=lambda e: e.played_at,
    )
    current = [at(r, s, max(now_hour * 3600.0, start - rng.uniform(0, 5))) for r, s in keys]
    watermark_late = [
        at(rng.choice(("US", "GB")), rng.randrange(12), h1 * 3600 + rng.uniform(0, 2000)) for _ in range(25)
    ]
    for batch in (on_time, current, watermark_late):
        await sent.send(producer, kafka_settings.plays_topic, batch)
    worker = workers(STREAMS_ALLOWED_LATENESS=f"PT{lateness}S", STREAMS_COMPACT_INTERVAL_S="1")

    def complete(hours: list[int], late_total: int = 0):
        def done(records: dict[Part, dict]) -> bool:
            full = all((r, h, p) in records for r in REGIONS for h in hours for p in range(PARTITIONS))
            return full and sum(records[k]["late_dropped"] for k in records if k[1] == h1) >= late_total

        return done

    records = await read_finals(kafka_settings, complete([h2, h1], len(watermark_late)), timeout_s=150)
    counted = sent.tally(on_time)
    late = sent.tally(watermark_late)
    expect(records, h2, {}, {}, range(PARTITIONS))  # closed before any of its plays: zeros
    expect(records, h1, counted, late, range(PARTITIONS))
    assert not any(k[1] >= now_hour for k in records)  # the current hour is open

    # A SIGKILL, then plays of closed hours (late whatever the watermark) and re-deliveries.
    worker.kill()
    closed_late = [at("US", rng.randrange(12), h1 * 3600 + rng.uniform(0, 3599)) for _ in range(15)]
    older = [at("GB", rng.randrange(12), h3 * 3600 + rng.uniform(0, 3599)) for _ in range(5)]
    await sent.send(
        producer, kafka_settings.plays_topic, closed_late + older + on_time[:20] + watermark_late[:5]
    )
    worker.start()
    all_late = watermark_late + closed_late + older
    late = sent.tally(all_late)
    h3_partitions = {sent.partition[e.event_id] for e in older}

    def settled(records: dict[Part, dict]) -> bool:
        h1_late = sum(v["late_dropped"] for k, v in records.items() if k[1] == h1)
        h3_late = sum(v["late_dropped"] for k, v in records.items() if k[1] == h3)
        h3_full = all((r, h3, p) in records for r in REGIONS for p in h3_partitions)
        return h1_late >= len(watermark_late) + len(closed_late) and h3_late >= len(older) and h3_full

    records = await read_finals(kafka_settings, settled, timeout_s=120)
    await asyncio.sleep(5)  # any excess (double counting) would arrive by now
    records = await read_finals(kafka_settings, settled, timeout_s=30)
    expect(records, h1, counted, late, range(PARTITIONS))
    expect(records, h3, {}, late, sorted(h3_partitions))
    assert not any((r, h3, p) in records for r in REGIONS for p in set(range(PARTITIONS)) - h3_partitions)

    # The batch side sees every unique play of the hour: live + late drops must explain it exactly.
    live = LiveHours(DashboardSettings(kafka=kafka_settings))
    for record in records.values():
        live.ingest(None, orjson.dumps(record))
    live.caught_up.set()
    everything = on_time + all_late
    for region in REGIONS:
        plays = Counter(
            e.song_id
            for e in {e.event_id: e for e in everything}.values()
            if e.region == region and int(e.played_at.timestamp() // 3600) == h1
        )
        hour = datetime.fromtimestamp(h1 * 3600, UTC)
        answer = reconcile(
            hour,
            live.final(region, f"{hour:%Y-%m-%dT%H}:00:00Z"),
            BatchHour(sum(plays.values()), ranked(plays)),
        )
        assert answer["unexplained"] == 0, (region, answer)
        late_here = sum(sum(c.values()) for (r, h, _), c in late.items() if (r, h) == (region, h1))
        assert answer["late_dropped"] == answer["difference"] == late_here
        assert answer["status"] == ("explained" if late_here else "agree"), (region, answer)
