"""Per-client rate limit: a client past its events/s gets a 429 with Retry-After, other clients do not."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from ingest.api_keys import digest, write_keys
from ingest.settings import IngestSettings
from pydantic import ValidationError
from topsongs_core.settings import KafkaSettings

from tests.ingest.support import play, read_all, serve


async def test_a_client_over_its_limit_waits_what_retry_after_says(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    write_keys(keys, {"flooder": digest("flooder-key"), "quiet": digest("quiet-key")})
    settings = IngestSettings(
        kafka=kafka_settings,
        api_keys_file=keys,
        max_batch_events=50,
        rate_limit_events_per_s=20,
        rate_limit_burst=50,
    )
    flooder, quiet = {"X-API-Key": "flooder-key"}, {"X-API-Key": "quiet-key"}
    async for client in serve(settings):
        first = [play(song_id="s-flood") for _ in range(50)]
        assert (await client.post("/plays", json={"events": first}, headers=flooder)).status_code == 202
        refused = [play(song_id="s-flood") for _ in range(50)]
        resp = await client.post("/plays", json={"events": refused}, headers=flooder)
        assert resp.status_code == 429, resp.text
        assert "INGEST_RATE_LIMIT_EVENTS_PER_S" in resp.json()["detail"]
        wait = int(resp.headers["retry-after"])
        assert 1 <= wait <= 3  # 50 events at 20/s
        # Another client is not slowed down by the flooder.
        assert (await client.post("/play", json=play(), headers=quiet)).status_code == 202
        await asyncio.sleep(wait)
        again = await client.post("/plays", json={"events": refused}, headers=flooder)
        assert again.status_code == 202, again.text
    records = await read_all(kafka_settings, expect=101, timeout_s=30)
    in_topic = [orjson.loads(value)["event_id"] for _, _, value in records]
    # The refused batch is in once: from its resend, not from the 429.
    assert len(in_topic) == 101
    assert {str(e["event_id"]) for e in first + refused} <= set(in_topic)


async def test_single_plays_count_against_the_limit(kafka_settings: KafkaSettings) -> None:
    settings = IngestSettings(
        kafka=kafka_settings, max_batch_events=1, rate_limit_events_per_s=0.001, rate_limit_burst=1
    )
    async for client in serve(settings):
        assert (await client.post("/play", json=play())).status_code == 202
        resp = await client.post("/play", json=play())
        assert resp.status_code == 429
        assert int(resp.headers["retry-after"]) > 900  # one event at 0.001/s


def test_a_burst_below_the_batch_size_is_an_error() -> None:
    with pytest.raises(ValidationError, match="INGEST_RATE_LIMIT_BURST"):
        IngestSettings(max_batch_events=1000, rate_limit_burst=999)


async def test_a_client_with_nothing_left_is_refused_before_its_body_is_read(
    kafka_settings: KafkaSettings,
) -> None:
    settings = IngestSettings(
        kafka=kafka_settings, max_batch_events=1, rate_limit_events_per_s=0.001, rate_limit_burst=1
    )
    sent_chunks = 0

    async def chunks():  # type: ignore[no-untyped-def]
        nonlocal sent_chunks
        for _ in range(1000):  # 1 MB offered: a refused flood must not cost its parsing
            sent_chunks += 1
            yield b" " * 1024

    async for client in serve(settings):
        assert (await client.post("/play", json=play())).status_code == 202
        resp = await client.post("/plays", content=chunks(), headers={"content-type": "application/json"})
        assert resp.status_code == 429, resp.text
        assert int(resp.headers["retry-after"]) > 900
        assert sent_chunks < 1000
