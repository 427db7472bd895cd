"""A broker that accepts connections but never answers: every request still ends within one bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import orjson
import pytest
from ingest.settings import IngestSettings
from topsongs_devstack.kafka import Kafka

from tests.ingest.support import end_offsets, frozen, play, private_broker, read_all, serve

BOUND_S = 2.0
READY_BOUND_S = 1.0
# What the event loop and two busy cores may add to a bound; far below a second bound.
MARGIN_S = 0.75


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory, engines: None) -> Iterator[Kafka]:
    """One private broker for this module, frozen and thawed by each test."""
    kafka = private_broker(tmp_path_factory.mktemp("hung") / "state")
    kafka.up()
    yield kafka
    kafka.down()


async def _timed(
    client: httpx.AsyncClient, method: str, path: str, **kw: object
) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    resp = await client.request(method, path, **kw)  # type: ignore[arg-type]
    return resp, time.monotonic() - began


async def _concurrent_requests_are_bounded(client: httpx.AsyncClient) -> None:
    """Singles, small and bulk batches and readiness at once: each ends within its own bound."""
    posts = [
        _timed(client, "POST", "/play", json=play()),
        _timed(client, "POST", "/play", json=play(song_id="s-2")),
        _timed(client, "POST", "/plays", json={"events": [play(), play()]}),
        _timed(client, "POST", "/plays", json={"events": [play(song_id=f"s-{i}") for i in range(100)]}),
        *(_timed(client, "POST", "/play", json=play(song_id=f"s-{i}")) for i in range(6)),
    ]
    results = await asyncio.gather(*posts, _timed(client, "GET", "/readyz"))
    ready, ready_took = results[-1]
    assert ready.status_code == 503
    assert ready.json() == {"kafka": "unreachable"}
    assert ready_took < READY_BOUND_S + MARGIN_S, f"/readyz took {ready_took:.2f}s"
    for resp, took in results[:-1]:
        assert resp.status_code == 503, resp.text
        assert int(resp.headers["retry-after"]) >= 1
        assert took < BOUND_S + MARGIN_S, f"503 took {took:.2f}s"


async def _until_accepted(client: httpx.AsyncClient, path: str, body: Callable[[], object]) -> list[str]:
    """Post fresh bodies until one is answered 202 (503 meanwhile); its event ids."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        resp = await client.post(path, json=body())
        if resp.status_code == 202:
            answer = resp.json()
            return answer["event_ids"] if path == "/plays" else [answer["event_id"]]
        assert resp.status_code == 503, resp.text
        await asyncio.sleep(0.5)
    raise AssertionError(f"no 202 from {path} within 90 s")


async def _recovers(client: httpx.AsyncClient, broker: Kafka) -> None:
    """Once the broker answers again, 202s arrive without restarting ingest and are in the topic."""
    accepted = await _until_accepted(client, "/play", play)
    accepted += await _until_accepted(client, "/plays", lambda: {"events": [play() for _ in range(50)]})
    deadline = time.monotonic() + 30
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "/readyz stayed 503 after the broker answered again"
        await asyncio.sleep(0.5)
    records = await read_all(broker.kafka, expect=len(accepted), timeout_s=60)
    in_topic = {orjson.loads(value)["event_id"] for _, _, value in records}
    assert set(accepted) <= in_topic


async def test_connected_producer_answers_503_within_the_bound(broker: Kafka) -> None:
    async for client in serve(IngestSettings(kafka=broker.kafka, produce_timeout_s=BOUND_S)):
        await _until_accepted(client, "/play", play)  # connected
        with frozen(broker):
            await _concurrent_requests_are_bounded(client)
            # Requests left waiting in the producer must not slow the next ones down.
            await _concurrent_requests_are_bounded(client)
        await _recovers(client, broker)


async def test_producer_never_started_answers_503_within_the_bound(broker: Kafka) -> None:
    settings = IngestSettings(kafka=broker.kafka, produce_timeout_s=BOUND_S)
    with ExitStack() as stopped:
        stopped.enter_context(frozen(broker))
        began = time.monotonic()
        async for client in serve(settings):
            started_in = time.monotonic() - began
            assert started_in < 1.0 + MARGIN_S, f"startup waited {started_in:.2f}s for Kafka"
            await _concurrent_requests_are_bounded(client)
            await _concurrent_requests_are_bounded(client)
            stopped.close()  # thaw the broker
            await _recovers(client, broker)


AMBIGUOUS_USER = "u-ambiguous"


def _without_id(**over: object) -> dict[str, object]:
    return {k: v for k, v in play(user_id=AMBIGUOUS_USER, **over).items() if k != "event_id"}


async def _resend_until_accepted(
    client: httpx.AsyncClient, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    """Resend one request unchanged, waiting what each 503's `Retry-After` asks, until a 202."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        resp = await client.post(path, json=body, headers=headers)
        if resp.status_code == 202:
            return resp
        assert resp.status_code == 503, resp.text
        await asyncio.sleep(int(resp.headers["retry-after"]))
    raise AssertionError(f"no 202 from {path} within 90 s")


async def test_retries_after_an_ambiguous_503_carry_the_same_ids(broker: Kafka) -> None:
    """A 503 past the deadline may still land in Kafka: the resend must not make a second play.

    Without ids in the body, a resend with the same `Idempotency-Key` gets the same ids, and
    the 503 names the ids so a client without a key can resend them itself."""
    keyed_batch = {"events": [_without_id(song_id=f"s-{i}") for i in range(40)]}
    keyed_single, bare = _without_id(), _without_id(song_id="s-bare")
    async for client in serve(IngestSettings(kafka=broker.kafka, produce_timeout_s=BOUND_S)):
        await _until_accepted(client, "/play", play)  # connected
        with frozen(broker):
            answers = await asyncio.gather(
                client.post("/plays", json=keyed_batch, headers={"Idempotency-Key": "batch-1"}),
                client.post("/play", json=keyed_single, headers={"Idempotency-Key": "single-1"}),
                client.post("/play", json=bare),
            )
        assert [a.status_code for a in answers] == [503, 503, 503], [a.text for a in answers]
        told = [a.json()["event_ids"] for a in answers]
        assert [len(ids) for ids in told] == [40, 1, 1]
        batch = await _resend_until_accepted(client, "/plays", keyed_batch, {"Idempotency-Key": "batch-1"})
        single = await _resend_until_accepted(client, "/play", keyed_single, {"Idempotency-Key": "single-1"})
        resent = await _resend_until_accepted(client, "/play", {**bare, "event_id": told[2][0]}, {})
        assert batch.json()["event_ids"] == told[0]
        assert [single.json()["event_id"]] == told[1]
        assert [resent.json()["event_id"]] == told[2]
    expected = {*told[0], *told[1], *told[2]}
    # Earlier tests of this module wrote to the topic too: read all of it, up to its end offsets.
    in_topic = sum((await end_offsets(broker.kafka)).values())
    records = await read_all(broker.kafka, expect=in_topic, timeout_s=60)
    copies: dict[str, int] = {}
    for _, _, value in records:
        event = orjson.loads(value)
        if event["user_id"] == AMBIGUOUS_USER:  # this test's plays, not earlier tests' ones
            copies[event["event_id"]] = copies.get(event["event_id"], 0) + 1
    # Every play is in the topic, and under no other id than the one its client was told.
    assert set(copies) == expected, f"lost {expected - set(copies)}, fresh {set(copies) - expected}"
    print(f"ambiguous writes: {len(expected)} plays, {sum(copies[i] for i in expected)} records in Kafka")
