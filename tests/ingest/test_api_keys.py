"""Named API keys from a hashed keys file: refused without a valid key, rotated without a restart."""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

import httpx
import pytest
from ingest.api_keys import KeyRing, KeysFileError, main
from ingest.settings import IngestSettings
from topsongs_core.settings import KafkaSettings

from tests.ingest.support import play, serve


def _keys(path: Path, *argv: str) -> str:
    """Run `python -m ingest.api_keys` in-process; what it printed (the new key for `add`)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*argv, "--file", str(path)]) == 0
    return out.getvalue().strip()


async def _status(client: httpx.AsyncClient, key: str | None) -> int:
    headers = {} if key is None else {"X-API-Key": key}
    return (await client.post("/play", json=play(), headers=headers)).status_code


async def test_each_named_key_gets_in_and_no_other(kafka_settings: KafkaSettings, tmp_path: Path) -> None:
    path = tmp_path / "ingest-api-keys"
    simulator, mobile = _keys(path, "add", "simulator"), _keys(path, "add", "mobile")
    assert simulator not in path.read_text() and "simulator:sha256:" in path.read_text()
    settings = IngestSettings(kafka=kafka_settings, api_keys_file=path, api_key="also-this-one")
    async for client in serve(settings):
        for key in (simulator, mobile, "also-this-one"):
            assert await _status(client, key) == 202
        for wrong in (None, "", simulator[:-1], simulator + " ", path.read_text().split(":", 1)[1].strip()):
            resp = await client.post("/plays", json={"events": [play()]}, headers={"X-API-Key": wrong or ""})
            assert resp.status_code == 401, wrong
            assert "X-API-Key" in resp.json()["detail"]
        # One Idempotency-Key under two API keys is two requests: two clients never share ids.
        body = {k: v for k, v in play().items() if k != "event_id"}
        ids = [
            (await client.post("/play", json=body, headers={"X-API-Key": k, "Idempotency-Key": "r-1"})).json()
            for k in (simulator, mobile, simulator)
        ]
        assert ids[0] == ids[2] != ids[1]


async def test_keys_rotate_without_a_restart(
    kafka_settings: KafkaSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "ingest-api-keys"
    first = _keys(path, "add", "simulator")
    async for client in serve(IngestSettings(kafka=kafka_settings, api_keys_file=path)):
        assert await _status(client, first) == 202
        second = _keys(path, "add", "simulator")  # the same name again: that key is replaced
        assert (await _status(client, first), await _status(client, second)) == (401, 202)
        other = _keys(path, "add", "partner")
        _keys(path, "remove", "simulator")
        assert (await _status(client, second), await _status(client, other)) == (401, 202)
        # A broken file is not taken: the keys read before stay, rather than locking everyone out.
        path.write_text("partner:md5:abc\n")
        with caplog.at_level(logging.ERROR, logger="ingest"):
            assert [await _status(client, other) for _ in range(3)] == [202] * 3
        assert len([r for r in caplog.records if "not reloaded" in r.getMessage()]) == 1  # not per request
        path.write_text("")  # no key at all: nobody gets in
        assert await _status(client, other) == 401


def test_a_malformed_keys_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    for text, complaint in (
        ("simulator:sha256:" + "0" * 63, ":1: expected name"),
        ("a b:sha256:" + "0" * 64, ":1: expected name"),
        (f"# comment\nx:sha256:{'0' * 64}\nx:sha256:{'1' * 64}\n", ":3: the name 'x' is there twice"),
    ):
        path.write_text(text)
        with pytest.raises(KeysFileError, match=complaint):
            KeyRing(path)
    with pytest.raises(KeysFileError, match="No such file"):
        KeyRing(tmp_path / "missing")
