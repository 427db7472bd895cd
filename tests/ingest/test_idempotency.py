"""`Idempotency-Key`: a resent request gets the ids of its first attempt, another request new ones."""

from __future__ import annotations

import httpx

from tests.ingest.support import play


def _anonymous(**over: object) -> dict[str, object]:
    body = play(**over)
    del body["event_id"]
    return body


async def _ids(client: httpx.AsyncClient, body: dict[str, object], key: str | None) -> list[str]:
    headers = {"Idempotency-Key": key} if key is not None else {}
    resp = await client.post("/plays", json=body, headers=headers)
    assert resp.status_code == 202, resp.text
    return list(resp.json()["event_ids"])


async def test_a_resent_batch_gets_the_same_ids(client: httpx.AsyncClient) -> None:
    own = play()
    body = {"events": [_anonymous(song_id="s-1"), own, _anonymous(song_id="s-1"), _anonymous(song_id="s-2")]}
    first = await _ids(client, body, "req-1")
    assert await _ids(client, body, "req-1") == first
    assert first[1] == own["event_id"]  # a client's own id is kept
    assert len(set(first)) == 4  # two equal plays at two indexes are two plays
    # Another key, or no key, is another request: fresh ids.
    assert set(await _ids(client, body, "req-2")) & set(first) == {own["event_id"]}
    assert set(await _ids(client, body, None)) & set(first) == {own["event_id"]}


async def test_a_resent_play_gets_the_same_id_and_other_content_another(client: httpx.AsyncClient) -> None:
    body = _anonymous()
    headers = {"Idempotency-Key": "play-1"}
    first = await client.post("/play", json=body, headers=headers)
    again = await client.post("/play", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    # A key reused for another play by mistake must not make that play a copy of the first.
    other = await client.post("/play", json=_anonymous(song_id="s-9"), headers=headers)
    assert other.status_code == 202
    assert other.json()["event_id"] != first.json()["event_id"]


async def test_a_malformed_key_is_a_422_naming_the_header(client: httpx.AsyncClient) -> None:
    for key in (b"", b"has space", b"k" * 256, "é".encode()):
        resp = await client.post("/play", json=_anonymous(), headers=[(b"Idempotency-Key", key)])
        assert resp.status_code == 422, (key, resp.text)
        assert resp.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"], resp.text
