"""POST /play(s) → Kafka → Faust → live topic → dashboard-api → WebSocket and browser, against an oracle."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import websockets

from tests.e2e.conftest import ARTIFACTS, PHONE

REGIONS = ("US", "GB", "BR")


def _play(region: str, song: int, rng: random.Random) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "song_id": f"e2e-{song:03d}",
        "title": f"E2E Song {song}",
        "artist": f"E2E Artist {song % 5}",
        "user_id": f"u-{rng.randrange(500)}",
        "region": region,
        "played_at": (datetime.now(UTC) - timedelta(seconds=rng.uniform(0, 20))).isoformat(),
    }


def _oracle(sent: list[dict[str, object]], region: str) -> list[tuple[str, int]]:
    """Brute force: count by song over distinct event ids, plays desc then song id, top 10."""
    seen: dict[object, dict[str, object]] = {e["event_id"]: e for e in sent if e["region"] == region}
    counts = Counter(str(e["song_id"]) for e in seen.values())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


def _entries(snapshot: dict[str, object]) -> list[tuple[str, int]]:
    return [(e["song_id"], e["plays"]) for e in snapshot["entries"]]  # type: ignore[attr-defined]


async def _wait_until_equal(client: httpx.AsyncClient, sent: list[dict[str, object]]) -> None:
    deadline = time.monotonic() + 90
    last: dict[str, object] = {}
    while time.monotonic() < deadline:
        ok = True
        for region in REGIONS:
            resp = await client.get("/api/live", params={"region": region, "window": "5m"})
            last[region] = resp.json() if resp.status_code == 200 else resp.text
            if resp.status_code != 200 or _entries(resp.json()) != _oracle(sent, region):
                ok = False
        if ok:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"live charts never matched the oracle; last seen {last}")


async def test_posted_plays_reach_websocket_and_browser(
    ingest: httpx.AsyncClient, live_worker: object, dashboard_url: str, browser_check
) -> None:
    rng = random.Random(11)
    weights = [1 / (rank + 1) for rank in range(30)]
    sent = [_play(rng.choice(REGIONS), rng.choices(range(30), weights)[0], rng) for _ in range(1200)]
    for i in range(0, 1000, 250):
        resp = await ingest.post("/plays", json={"events": sent[i : i + 250]})
        assert resp.status_code == 202, resp.text
    for event in sent[1000:]:
        assert (await ingest.post("/play", json=event)).status_code == 202
    retried = sent[:50]  # client retries: same ids, must count once
    assert (await ingest.post("/plays", json={"events": retried})).status_code == 202

    async with httpx.AsyncClient(base_url=dashboard_url) as client:
        await _wait_until_equal(client, sent)
    ws_url = dashboard_url.replace("http://", "ws://")
    async with websockets.connect(f"{ws_url}/ws/live?region=US&window=5m") as ws:
        first = orjson.loads(await ws.recv())
    assert first["type"] == "snapshot"
    assert _entries(first) == _oracle(sent, "US")

    top_title = next(e["title"] for e in first["entries"])
    shot = ARTIFACTS / "live-board-before.png"
    result = await browser_check("live-board.mjs", dashboard_url, "US", top_title, str(shot))
    assert result.returncode == 0, result.stdout
    assert shot.exists()
    phone = ARTIFACTS / "live-board-phone.png"
    result = await browser_check("live-board.mjs", dashboard_url, "US", top_title, str(phone), viewport=PHONE)
    assert result.returncode == 0, result.stdout

    # A new song storms the US chart; the open board must show it without a reload.
    burst = [_play("US", 99, rng) for _ in range(200)]
    board = asyncio.create_task(
        browser_check(
            "live-board.mjs", dashboard_url, "US", "E2E Song 99", str(ARTIFACTS / "live-board-after.png")
        )
    )
    await asyncio.sleep(4)  # let the page open on the old chart first
    assert (await ingest.post("/plays", json={"events": burst})).status_code == 202
    result = await board
    assert result.returncode == 0, result.stdout
