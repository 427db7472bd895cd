"""Accepted plays reach Kafka exactly once, keyed and encoded as the contract says."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
import orjson
from ingest.publisher import partition_for, records_by_partition
from ingest.settings import IngestSettings
from topsongs_core.events import PlayEvent
from topsongs_core.settings import KafkaSettings

from tests.ingest.support import play, read_all
from tests.servers import serve_ingest

REGIONS = ("US", "GB", "BR", "JP")


async def test_every_accepted_event_is_in_the_topic_once(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    sent: dict[str, dict[str, object]] = {}
    regions = ["US", "GB", "BR", "JP"]
    for i in range(60):  # single posts, half without a client-chosen id
        body = play(song_id=f"s-{i % 7}", region=regions[i % 4])
        if i % 2:
            del body["event_id"]
        resp = await client.post("/play", json=body)
        assert resp.status_code == 202, resp.text
        event_id = resp.json()["event_id"]
        assert uuid.UUID(event_id)
        sent[event_id] = {**body, "event_id": event_id}
    for _ in range(4):  # batches
        batch = [play(song_id=f"s-{j % 11}", region=regions[j % 4]) for j in range(250)]
        resp = await client.post("/plays", json={"events": batch})
        assert resp.status_code == 202, resp.text
        ids = resp.json()["event_ids"]
        assert ids == [b["event_id"] for b in batch]
        sent.update({b["event_id"]: b for b in batch})  # type: ignore[misc]

    records = await read_all(kafka_settings, expect=len(sent))
    counts = Counter(orjson.loads(value)["event_id"] for _, _, value in records)
    assert set(counts) == set(sent)
    assert all(n == 1 for n in counts.values()), [k for k, n in counts.items() if n > 1]

    partitions_of_key: dict[bytes, set[int]] = {}
    for partition, key, value in records:
        event = orjson.loads(value)
        expected = PlayEvent.model_validate(sent[event["event_id"]])
        assert value == expected.to_json()
        assert key == f"{event['region']}|{event['song_id']}".encode()
        partitions_of_key.setdefault(key, set()).add(partition)
    assert all(len(p) == 1 for p in partitions_of_key.values())
    assert len({p for ps in partitions_of_key.values() for p in ps}) > 1


async def test_concurrent_batches_over_http_all_land(ingest_settings: IngestSettings) -> None:
    # Many requests queue record batches behind each other per partition: waiting there must not
    # turn into a 503 while Kafka is healthy (aiokafka's own queue wait gives up early).
    batches = [[play(song_id=f"s-{j % 500}", region=REGIONS[j % 4]) for j in range(1000)] for _ in range(120)]
    statuses: Counter[int] = Counter()
    async with serve_ingest(ingest_settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def post_all(mine: list[list[dict[str, object]]]) -> None:
            for batch in mine:
                statuses[(await http.post("/plays", json={"events": batch})).status_code] += 1

        await asyncio.gather(*(post_all(batches[k::4]) for k in range(4)))
    assert statuses == Counter({202: len(batches)})
    sent = {e["event_id"] for b in batches for e in b}
    records = await read_all(ingest_settings.kafka, expect=len(sent))
    assert {orjson.loads(v)["event_id"] for _, _, v in records} == sent


def test_records_by_partition_keep_request_order_on_the_java_partition() -> None:
    events = [
        PlayEvent.model_validate(play(song_id=f"s-{j % 13}", region=REGIONS[j % 4])) for j in range(200)
    ]
    grouped = records_by_partition(events, 6)
    assert sorted(r for records in grouped.values() for r in records) == sorted(
        (e.kafka_key(), e.to_json()) for e in events
    )
    for partition, records in grouped.items():
        assert {partition_for(key, 6) for key, _ in records} == {partition}
        mine = [(e.kafka_key(), e.to_json()) for e in events if partition_for(e.kafka_key(), 6) == partition]
        assert records == mine
