"""devstack's ingest runs with an API keys file it makes once; the simulator's key gets in, nothing else."""

from __future__ import annotations

import asyncio
import socket
import stat
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from ingest.api_keys import digest, read_entries
from ingest.kafka_setup import drop_topics
from topsongs_devstack.apps import ingest_service
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import free_port

from tests.ingest.support import play


def test_side_by_side_starts_make_one_key(tmp_path: Path) -> None:
    """The cluster profile's ingest processes make their keys at once: the key and its entry agree
    (unlocked, 18 of 200 such pairs left one process's key beside the other's entry)."""
    for n in range(50):
        keys = ingest_keys(DevstackSettings(state_dir=tmp_path / str(n)))
        starts = [threading.Thread(target=keys.ensure) for _ in range(2)]
        for start in starts:
            start.start()
        for start in starts:
            start.join()
        assert read_entries(keys.keys_file)["simulator"] == digest(keys.client_key())


def test_keys_are_made_once_private_and_repaired(tmp_path: Path) -> None:
    keys = ingest_keys(DevstackSettings(state_dir=tmp_path))
    keys.ensure()
    key = keys.client_key()
    for path in (keys.keys_file, keys.simulator_key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert key not in keys.keys_file.read_text()
    keys.ensure()
    assert keys.client_key() == key  # a second `make up` keeps the key clients already hold
    keys.keys_file.write_text(keys.keys_file.read_text() + f"partner:sha256:{'a' * 64}\n")
    keys.simulator_key.unlink()
    keys.ensure()  # a lost client key is made again; other clients' entries stay
    assert keys.client_key() != key
    assert f"partner:sha256:{'a' * 64}" in keys.keys_file.read_text()


@pytest.fixture
async def topics(engines: None) -> AsyncIterator[dict[str, str]]:
    kafka = private_topics("test-keys")
    await ensure_topics(kafka)
    yield {"KAFKA_PLAYS_TOPIC": kafka.plays_topic}
    await drop_topics(kafka)


async def test_devstack_ingest_requires_the_key_and_caps_connections(
    tmp_path: Path, topics: dict[str, str]
) -> None:
    devstack = DevstackSettings(state_dir=tmp_path, ingest_workers=1, ingest_limit_concurrency=4)
    ingest = ingest_service(devstack, port=free_port(), env=topics)
    ingest.up()
    try:
        status = ingest.status()
        keys = ingest_keys(devstack)
        assert status.healthy, status
        assert str(keys.keys_file) in status.detail and str(keys.simulator_key) in status.detail
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ingest.port}") as client:
            refused = await client.post("/play", json=play())
            accepted = await client.post("/play", json=play(), headers={"X-API-Key": keys.client_key()})
            # Idle connections count against uvicorn's --limit-concurrency: past it, a plain 503.
            idle = [socket.create_connection(("127.0.0.1", ingest.port)) for _ in range(4)]
            try:
                # The server accepts the idle connections in its own time: ask until it has.
                for _ in range(100):
                    capped = await client.get("/healthz")
                    if capped.status_code != 200:
                        break
                    await asyncio.sleep(0.1)
            finally:
                for sock in idle:
                    sock.close()
    finally:
        ingest.down()
    assert refused.status_code == 401 and "X-API-Key" in refused.json()["detail"]
    assert accepted.status_code == 202, accepted.text
    assert capped.status_code == 503, capped.text
