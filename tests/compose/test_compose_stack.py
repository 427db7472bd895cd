"""The Docker path for real: every image built, the single-node compose stack up, plays through it.

The images are the ones `make compose-up` builds (scripts/docker-build.sh) and a Docker user runs.
The stack runs as a compose project of its own, on ports of its own (127.0.0.1 only), beside the
engines the rest of the suite uses, and is removed with its volumes at the end. A play POSTed to
the published ingest port must reach the WebSocket live board and, once the lake holds it and
Airflow's restatement has run, the REST history of its hour, each counted once by event_id.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
import websockets
from simulator.catalog import shipped_catalog

from tests.e2e.charts_oracle import REGIONS, play_at
from tests.e2e.conftest import ARTIFACTS

REPO = Path(__file__).resolve().parents[2]
# Published ports of the test's project: none that devstack, `make compose-up` or another test uses,
# and below the kernel's ephemeral range (32768-60999 here), where any outgoing connection may hold one.
PORTS = {
    "PUBLISH_KAFKA_PORT": 22692,
    "PUBLISH_PG_PORT": 22632,
    "PUBLISH_S3_PORT": 22670,
    "PUBLISH_INGEST_PORT": 22600,
    "PUBLISH_DASHBOARD_PORT": 22680,
    "PUBLISH_SPARK_UI_PORT": 22640,
    "PUBLISH_AIRFLOW_PORT": 22628,
    "PUBLISH_PROMETHEUS_PORT": 22690,
}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Stack:
    """A running compose project: its name, the env file with its secrets, and its URLs."""

    project: str
    env_file: Path

    def url(self, port: str) -> str:
        return f"http://127.0.0.1:{PORTS[port]}"

    def variables(self) -> dict[str, str]:
        """The env file's assignments: the generated secrets, then the test's ports and trigger."""
        lines = self.env_file.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))

    def secret(self, name: str) -> str:
        return self.variables()[name]


def _compose(stack_env: dict[str, str], project: str, env_file: Path, *args: str, **kwargs):
    return subprocess.run(
        ["docker", "compose", "-p", project, "--env-file", str(env_file), *args],
        cwd=REPO,
        env=stack_env,
        text=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Engine, base image and every image (warm: the layer cache), then `up --wait`; removed after."""
    base = subprocess.run(
        ["bash", "scripts/setup-docker.sh"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    env = {**os.environ, "TOPSONGS_DEBIAN_IMAGE": base}
    env["TOPSONGS_IMAGE_TAG"] = (REPO / "VERSION").read_text().strip()
    subprocess.run(["bash", "scripts/docker-build.sh"], cwd=REPO, env=env, check=True)
    env_file = tmp_path_factory.mktemp("compose") / "stack.env"
    subprocess.run(["bash", "scripts/compose-env.sh", str(env_file)], cwd=REPO, check=True)
    with env_file.open("a") as out:
        out.writelines(f"{name}={port}\n" for name, port in PORTS.items())
        out.write("LAKE_TRIGGER_INTERVAL=10 seconds\n")
    project = f"topsongs-test-{uuid.uuid4().hex[:6]}"
    env.pop("COMPOSE_PROFILES", None)
    try:
        up = _compose(env, project, env_file, "up", "-d", "--wait", "--wait-timeout", "600")
        if up.returncode:
            logs = _compose(env, project, env_file, "logs", "--tail", "40", capture_output=True)
            pytest.fail(f"compose up failed ({up.returncode}):\n{logs.stdout[-8000:]}")
        yield Stack(project, env_file)
    finally:
        _compose(env, project, env_file, "down", "-v", "--remove-orphans", capture_output=True)
        left = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        assert left == [], f"containers left behind: {left}"


def _oracle(sent: list[dict[str, object]], region: str) -> list[tuple[str, int]]:
    """Per song, distinct event ids of ``region``, by plays desc then song id, top 10."""
    unique = {e["event_id"]: e for e in sent if e["region"] == region}
    counts = Counter(str(e["song_id"]) for e in unique.values())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


def _entries(chart: dict) -> list[tuple[str, int]]:
    return [(e["song_id"], e["plays"]) for e in chart["entries"]]


def _ingest(stack: Stack) -> httpx.AsyncClient:
    """A client of the stack's ingest that sends its API key."""
    key = {"X-API-Key": stack.secret("INGEST_API_KEY")}
    return httpx.AsyncClient(base_url=stack.url("PUBLISH_INGEST_PORT"), headers=key, timeout=30)


async def test_bad_input_gets_the_same_4xx_as_devstack(stack: Stack) -> None:
    async with _ingest(stack) as http:
        play = play_at(random.Random(1), shipped_catalog().songs[:5], datetime.now(UTC))
        no_key = await http.post("/play", json=play, headers={"X-API-Key": ""})
        assert no_key.status_code == 401, no_key.text
        wrong_region = await http.post("/play", json={**play, "region": "XX"})
        assert wrong_region.status_code == 422
        assert "region" in wrong_region.text
        no_song = await http.post("/play", json={k: v for k, v in play.items() if k != "song_id"})
        assert no_song.status_code == 422
        assert "song_id" in no_song.text
        not_json = await http.post(
            "/plays", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert 400 <= not_json.status_code < 500


async def test_plays_reach_the_live_board_and_the_history_of_their_hour(
    stack: Stack, browser_check: Callable[..., Awaitable[subprocess.CompletedProcess[str]]]
) -> None:
    rng = random.Random(16)
    songs = shipped_catalog().songs[:30]
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    live = [play_at(rng, songs, now - timedelta(seconds=rng.uniform(0, 30))) for _ in range(600)]
    past = [play_at(rng, songs, hour + timedelta(seconds=rng.randrange(3600))) for _ in range(600)]
    async with _ingest(stack) as http:
        for batch in (live[:300], live[300:], past[:300], past[300:], live[:40], past[:40]):
            response = await http.post("/plays", json={"events": batch})  # the last two: retries
            assert response.status_code == 202, response.text

    # Live: the WebSocket snapshot of each region equals the oracle (retries counted once).
    ws = stack.url("PUBLISH_DASHBOARD_PORT").replace("http://", "ws://")
    deadline = time.monotonic() + 180
    seen: dict[str, list[tuple[str, int]]] = {}
    while time.monotonic() < deadline and any(seen.get(r) != _oracle(live, r) for r in REGIONS):
        for region in REGIONS:
            async with websockets.connect(f"{ws}/ws/live?region={region}&window=5m") as socket:
                first = orjson.loads(await socket.recv())
            assert first["type"] == "snapshot"
            seen[region] = _entries(first)
        await asyncio.sleep(2)
    assert seen == {r: _oracle(live, r) for r in REGIONS}
    # And a browser (Debian's chromium) on the stack's own UI shows that board.
    titles = {song.song_id: song.title for song in songs}
    top = titles[_oracle(live, "US")[0][0]]
    shot = ARTIFACTS / "compose-live-board.png"
    board = await browser_check("live-board.mjs", stack.url("PUBLISH_DASHBOARD_PORT"), "US", top, str(shot))
    assert board.returncode == 0, board.stdout

    # History: Airflow's restatement (triggered through its REST API, as `make demo` does) loads the
    # past hour once the lake holds it; the hourly chart of each region equals the oracle.
    airflow = stack.url("PUBLISH_AIRFLOW_PORT")
    dashboard = stack.url("PUBLISH_DASHBOARD_PORT")
    stamp = hour.strftime("%Y-%m-%dT%H:00Z")
    charts: dict[str, list[tuple[str, int]]] = {}
    async with (
        httpx.AsyncClient(base_url=airflow, timeout=30) as api,
        httpx.AsyncClient(base_url=dashboard, timeout=30) as rest,
    ):
        login = {"username": "admin", "password": stack.secret("AIRFLOW_ADMIN_PASSWORD")}
        token = (await api.post("/auth/token", json=login)).raise_for_status().json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            run = await api.post(
                "/api/v2/dags/plays_restatement/dagRuns",
                json={"logical_date": datetime.now(UTC).isoformat()},
                headers=headers,
            )
            assert run.status_code == 200, run.text
            run_id = run.json()["dag_run_id"]
            while time.monotonic() < deadline:
                state = (
                    await api.get(f"/api/v2/dags/plays_restatement/dagRuns/{run_id}", headers=headers)
                ).json()["state"]
                if state in ("success", "failed"):
                    break
                await asyncio.sleep(3)
            for region in REGIONS:
                chart = await rest.get("/api/top/hourly", params={"region": region, "hour": stamp})
                charts[region] = _entries(chart.json()) if chart.status_code == 200 else []
            if charts == {r: _oracle(past, r) for r in REGIONS}:
                break
            await asyncio.sleep(10)
    assert charts == {r: _oracle(past, r) for r in REGIONS}


def test_secrets_are_files_and_each_lake_client_has_its_own_s3_key(stack: Stack) -> None:
    """No container's environment holds a secret of .env but the S3 server's (versitygw reads its
    root key only from there, docs/security.md); every other container that reaches the lake holds
    its own account's key (the lake and history test above proves those accounts do their work)."""
    ids = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={stack.project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    inspected = orjson.loads(
        subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, check=True).stdout
    )
    secrets = {
        name: value
        for name, value in stack.variables().items()
        if name not in PORTS and name != "LAKE_TRIGGER_INTERVAL"
    }
    assert len(secrets) >= 15, secrets.keys()
    held, files, keys = {}, {}, {}
    for container in inspected:
        name = container["Config"]["Labels"]["com.docker.compose.service"]
        env = dict(line.split("=", 1) for line in container["Config"]["Env"])
        found = sorted(s for s, value in secrets.items() if any(value in v for v in env.values()))
        if found:
            held[name] = found
        files[name] = env.get("S3_SECRET_ACCESS_KEY_FILE")
        keys[name] = env.get("S3_ACCESS_KEY_ID")
    assert held == {"s3": ["S3_SECRET_ACCESS_KEY"]}, held
    clients = {
        "spark": "lake",
        "monitor": "monitor",
        "catalog-upload": "catalog",
        "airflow-scheduler": "airflow",
    }
    assert {name: (keys[name], files[name]) for name in clients} == {
        name: (f"topsongs-{account}", f"/run/secrets/s3_secret_{account}")
        for name, account in clients.items()
    }
    assert files["s3-init"] == "/run/secrets/s3_secret_access_key"


def test_a_stack_without_its_secrets_refuses_to_start(tmp_path: Path) -> None:
    """compose names the missing variable instead of starting with a default password."""
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = subprocess.run(
        ["docker", "compose", "-p", "topsongs-nosecrets", "--env-file", str(empty), "config", "-q"],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PG_", "S3_", "AIRFLOW_"))},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "is required" in result.stderr
    assert any(name in result.stderr for name in ("PG_PASSWORD", "S3_SECRET_ACCESS_KEY", "AIRFLOW_"))
