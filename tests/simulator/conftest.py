"""Fixtures for the simulator: the shipped catalog and a local OpenAI-compatible server."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from simulator.catalog import Catalog, shipped_catalog
from simulator.settings import SimulatorSettings


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return shipped_catalog()


def _outline() -> dict[str, Any]:
    genres = [{"name": g, "description": f"{g} music"} for g in ("Pop", "Rock", "Jazz")]
    artists = [{"name": f"Artist {i}", "genre": genres[i % 3]["name"], "home_region": "US"} for i in range(6)]
    tastes = [{"region": "US", "genre": "Rock", "weight": 2.5}]
    return {"genres": genres, "artists": artists, "region_tastes": tastes}


def _songs(prompt: str) -> dict[str, Any]:
    want = int(re.search(r"Invent (\d+) songs", prompt)[1])  # type: ignore[index]
    return {
        "songs": [
            {
                "title": f"Song {i}",
                "artist": f"Artist {i % 6}",
                "genre": ("Pop", "Rock", "Jazz")[i % 6 % 3],
                "release_year": 2000 + i,
                "duration_ms": 200_000,
            }
            for i in range(want)
        ]
    }


class FakeOpenAI:
    """Chat-completions endpoint whose behaviour a test picks: valid, bad_json, slow, 429."""

    def __init__(self) -> None:
        self.mode = "valid"
        self.fail_times: int | None = None  # None: always misbehave; n: n times, then valid
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append(body)
                mode = fake.mode
                if fake.fail_times is not None:
                    mode = "valid" if fake.fail_times == 0 else mode
                    fake.fail_times = max(0, fake.fail_times - 1)
                if mode == "429":
                    return self._send(429, {"error": {"message": "slow down", "type": "rate"}})
                if mode == "slow":
                    time.sleep(1.5)
                name = body["response_format"]["json_schema"]["name"]
                answer = _outline() if name == "CatalogOutline" else _songs(body["messages"][-1]["content"])
                content = "{not json" if mode == "bad_json" else json.dumps(answer)
                self._send(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": content},
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _send(self, status: int, doc: dict[str, Any]) -> None:
                raw = json.dumps(doc).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out first

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def settings(self, tmp_path: Path) -> SimulatorSettings:
        return SimulatorSettings(
            openai_api_key=SecretStr("test-key"),
            openai_base_url=self.url,
            openai_model="fake-model",
            llm_timeout_s=0.5,
            llm_attempts=3,
            llm_backoff_s=0.01,
            llm_songs=12,
            llm_songs_per_call=5,
            llm_artists=6,
            llm_genres=3,
            catalog_cache=tmp_path / "catalog.json",
        )


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
