"""Every class of bad input gets its status code, names the field, and nothing reaches Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from topsongs_core.settings import KafkaSettings

from tests.ingest.support import end_offsets, play

JSON = {"content-type": "application/json"}
# Far enough ahead to stay past the 5-minute skew however late in the session this test runs.
FUTURE = (datetime.now(UTC) + timedelta(days=1)).isoformat()
ANCIENT = (datetime.now(UTC) - timedelta(days=30)).isoformat()


def _without(field: str) -> dict[str, object]:
    body = play()
    del body[field]
    return body


CASES = [
    ("malformed", "/play", b'{"song_id": ', JSON, 422, ["body"]),
    ("missing field", "/play", _without("region"), None, 422, ["body", "region"]),
    ("extra field", "/play", play(colour="blue"), None, 422, ["body", "colour"]),
    ("unknown region", "/play", play(region="QQ"), None, 422, ["body", "region"]),
    ("future", "/play", play(played_at=FUTURE), None, 422, ["body", "played_at"]),
    ("too old", "/play", play(played_at=ANCIENT), None, 422, ["body", "played_at"]),
    (
        "naive time",
        "/play",
        play(played_at="2025-01-01T00:00:00"),
        None,
        422,
        ["body", "played_at"],
    ),
    ("bad uuid", "/play", play(event_id="nope"), None, 422, ["body", "event_id"]),
    ("not an object", "/play", [1, 2], None, 422, ["body"]),
    ("wrong type", "/play", b"song=1", {"content-type": "text/plain"}, 415, None),
    (
        "form type",
        "/play",
        b"a=b",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
        None,
    ),
    (
        "batch bad index",
        "/plays",
        {"events": [play(), play(region="QQ"), play()]},
        None,
        422,
        ["body", "events", 1, "region"],
    ),
    ("batch no list", "/plays", {"plays": []}, None, 422, ["body", "events"]),
    ("batch empty", "/plays", {"events": []}, None, 422, ["body", "events"]),
]


@pytest.mark.parametrize(
    ("name", "path", "body", "headers", "status", "loc"), CASES, ids=[c[0] for c in CASES]
)
async def test_rejected_and_nothing_published(
    client: httpx.AsyncClient,
    kafka_settings: KafkaSettings,
    name: str,
    path: str,
    body: object,
    headers: dict[str, str] | None,
    status: int,
    loc: list[object] | None,
) -> None:
    before = await end_offsets(kafka_settings)
    if isinstance(body, bytes):
        resp = await client.post(path, content=body, headers=headers)
    else:
        resp = await client.post(path, json=body, headers=headers)
    assert resp.status_code == status, resp.text
    if loc is not None:
        assert loc in [err["loc"] for err in resp.json()["detail"]]
    assert await end_offsets(kafka_settings) == before


async def test_body_over_limit_is_413_while_streaming(
    kafka_settings: KafkaSettings,
) -> None:
    from ingest.settings import IngestSettings

    from tests.ingest.support import serve

    settings = IngestSettings(kafka=kafka_settings, max_body_bytes=4096)
    before = await end_offsets(kafka_settings)
    sent_chunks = 0

    async def chunks():  # type: ignore[no-untyped-def]
        nonlocal sent_chunks
        for _ in range(1000):  # 1 MB offered, no Content-Length: the limit must cut it short
            sent_chunks += 1
            yield b" " * 1024

    async for client in serve(settings):
        resp = await client.post("/play", content=chunks(), headers=JSON)
        assert resp.status_code == 413
        assert sent_chunks < 1000
        declared = await client.post("/plays", content=b"{}", headers={**JSON, "content-length": str(10**9)})
        assert declared.status_code == 413
    assert await end_offsets(kafka_settings) == before


async def test_batch_over_count_limit_is_413(kafka_settings: KafkaSettings) -> None:
    from ingest.settings import IngestSettings

    from tests.ingest.support import serve

    async for client in serve(IngestSettings(kafka=kafka_settings, max_batch_events=5)):
        resp = await client.post("/plays", json={"events": [play() for _ in range(6)]})
        assert resp.status_code == 413


async def test_api_key_when_configured(kafka_settings: KafkaSettings) -> None:
    from ingest.settings import IngestSettings

    from tests.ingest.support import serve

    async for client in serve(IngestSettings(kafka=kafka_settings, api_key="sesame")):
        assert (await client.post("/play", json=play())).status_code == 401
        for wrong in ("sesamE", "sesame ", "s", "sésame".encode()):
            resp = await client.post("/plays", json={"events": [play()]}, headers={"x-api-key": wrong})
            assert resp.status_code == 401, wrong
        ok = await client.post("/play", json=play(), headers={"x-api-key": "sesame"})
        assert ok.status_code == 202


def test_an_empty_api_key_is_an_error_not_off() -> None:
    from ingest.settings import IngestSettings
    from pydantic import ValidationError

    for empty in ("", "  "):
        with pytest.raises(ValidationError, match="INGEST_API_KEY is empty"):
            IngestSettings(api_key=empty)
    assert IngestSettings().api_key is None


async def test_ops_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).json() == {"kafka": "ok"}
    await client.post("/play", json=play(region="QQ"))
    metrics = (await client.get("/metrics")).text
    assert 'ingest_requests_rejected_total{reason="invalid_event"}' in metrics
    assert "ingest_produce_seconds_bucket" in metrics
    schema = (await client.get("/schema/play-event.json")).json()
    assert "region" in schema["required"]
    assert "PlayEvent" in (await client.get("/openapi.json")).json()["components"]["schemas"]
