"""A private devstack with Prometheus: every target is scraped and up, the live worker's lag in
seconds grows while it is stopped and falls back to 0 once it runs again, the stages' freshness
moves with the plays, and dashboard-api's POST → WebSocket histogram covers every play sent."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.process import free_port

from tests.devstack.cli import devstack
from tests.ingest.support import play

T = TypeVar("T")
COMPONENTS = ("ingest", "streams", "dashboard-api", "monitor", "postgres-exporter", "prometheus")


@pytest.fixture
def stack(kafka_settings: KafkaSettings) -> Iterator[dict[str, str]]:
    """Environment of a devstack on free ports, its own state folder and the test's own topics."""
    state = REPO_ROOT / ".state" / "tests" / uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "DEVSTACK_STATE_DIR": str(state),
        "DEVSTACK_INGEST_PORT": str(free_port()),
        # Two uvicorn workers behind one port: their counters must add up, none lost or doubled.
        "DEVSTACK_INGEST_WORKERS": "2",
        # Two workers reading the same live topic: the push latency must be observed once, not twice.
        "DEVSTACK_DASHBOARD_PORT": str(free_port()),
        "DEVSTACK_DASHBOARD_WORKERS": "2",
        "DEVSTACK_POSTGRES_EXPORTER_PORT": str(free_port()),
        "DEVSTACK_STREAMS_METRICS_PORT": str(free_port()),
        "DEVSTACK_MONITOR_PORT": str(free_port()),
        "DEVSTACK_PROMETHEUS_PORT": str(free_port()),
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka_settings.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka_settings.live_topic,
        "KAFKA_LIVE_HOURS_TOPIC": kafka_settings.live_hours_topic,
        "KAFKA_DASHBOARD_GROUP": kafka_settings.dashboard_group,
        "STREAMS_APP_ID": f"lag-test-{state.name}",
        "CHARTS_MONITOR_INTERVAL_S": "1",
        # No lake job runs here: a checkpoint nobody writes.
        "LAKE_CHECKPOINT_LOCATION": f"_checkpoints/test-{state.name}",
    }
    yield env
    devstack(env, "down", *COMPONENTS)
    shutil.rmtree(state, ignore_errors=True)


def poll(read: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 120) -> T:
    """``read()`` until ``done`` holds for its value; fails naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still {value!r} after {timeout:.0f} s")
        time.sleep(1)


def live_lag(env: dict[str, str]) -> float | None:
    """The live worker's lag in seconds on the plays topic, as Prometheus last scraped it."""
    labels = f'consumer="{env["STREAMS_APP_ID"]}", topic="{env["KAFKA_PLAYS_TOPIC"]}"'
    return value(env, f"topsongs_consumer_lag_seconds{{{labels}}}")


def newest(env: dict[str, str], stage: str) -> float | None:
    """The newest play's time the monitor measured for ``stage``, as Prometheus last scraped it."""
    return value(env, f'max(topsongs_freshness_newest_timestamp_seconds{{stage="{stage}"}})')


def newer(env: dict[str, str], stage: str, than: float) -> float:
    """``stage``'s newest play's time once it is later than ``than``."""
    at = poll(lambda: newest(env, stage), lambda at: at is not None and at > than, f"{stage}'s newest play")
    assert at is not None
    return at


def value(env: dict[str, str], query: str) -> float | None:
    """The one value of an instant PromQL query (None when it has no series)."""
    answer = httpx.get(f"{prometheus(env)}/api/v1/query", params={"query": query}, timeout=5).json()
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def prometheus(env: dict[str, str]) -> str:
    """The private Prometheus' base URL."""
    return f"http://127.0.0.1:{env['DEVSTACK_PROMETHEUS_PORT']}"


def client_key(env: dict[str, str]) -> str:
    """The key devstack made for the simulator in this stack's state folder."""
    return ingest_keys(DevstackSettings(state_dir=Path(env["DEVSTACK_STATE_DIR"]))).client_key()


def send_plays(env: dict[str, str], n: int) -> None:
    """``n`` plays through ingest."""
    answer = httpx.post(
        f"http://127.0.0.1:{env['DEVSTACK_INGEST_PORT']}/plays",
        json={"events": [play() for _ in range(n)]},
        headers={"X-API-Key": client_key(env)},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text


def test_targets_up_and_live_lag_follows_the_worker(stack: dict[str, str]) -> None:
    up = devstack(stack, "up", *COMPONENTS)
    assert up.returncode == 0, up.stdout + up.stderr

    def targets() -> dict[str, str]:
        active = httpx.get(f"{prometheus(stack)}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        return {t["labels"]["job"]: t["health"] for t in active}

    jobs = ("prometheus", "ingest", "streams", "dashboard-api", "monitor", "postgres-exporter")
    every_up = dict.fromkeys(jobs, "up")
    poll(targets, lambda t: t == every_up, "scrape targets")
    status = devstack(stack, "status", *COMPONENTS)
    assert status.returncode == 0, status.stdout
    assert f"{prometheus(stack)} 6/6 targets up" in status.stdout

    send_plays(stack, 20)
    poll(lambda: live_lag(stack), lambda lag: lag == 0, "the running worker's lag")
    ingest_at, live_at = (newer(stack, stage, 0.0) for stage in ("ingest", "live"))

    assert devstack(stack, "down", "streams").returncode == 0
    send_plays(stack, 20)
    first = poll(
        lambda: live_lag(stack), lambda lag: lag is not None and lag > 0, "lag of the stopped worker"
    )
    poll(lambda: live_lag(stack), lambda lag: lag is not None and lag > first + 2, "a growing lag")

    assert devstack(stack, "up", "streams").returncode == 0
    poll(lambda: live_lag(stack), lambda lag: lag == 0, "the restarted worker's lag")
    poll(
        lambda: value(stack, "sum(ingest_events_accepted_total)"),
        lambda n: n == 40,
        "plays accepted by ingest",
    )
    # The newer plays moved ingest's and the live worker's newest play forward.
    newer(stack, "ingest", ingest_at)
    newer(stack, "live", live_at)
    # Every play sent reached a pushed update once (not once per dashboard-api worker), in at least
    # one observation of the latency histogram and at most one per play.
    poll(
        lambda: value(stack, "sum(dashboard_live_pushed_plays_total)"),
        lambda n: n == 40,
        "plays carried by pushed live updates",
    )
    updates = value(stack, "sum(dashboard_live_push_latency_seconds_count)") or 0
    assert 1 <= updates <= 40
    # dashboard-api's two workers commit their live position: the monitor measures them caught up.
    api_lag = (
        f'topsongs_consumer_lag_records{{consumer="dashboard-api", topic="{stack["KAFKA_LIVE_TOPIC"]}"}}'
    )
    poll(lambda: value(stack, api_lag), lambda lag: lag == 0, "dashboard-api's live lag")

    # A devstack pointed at that server (as at an existing one) starts none of its own.
    elsewhere = {
        **stack,
        "DEVSTACK_PROMETHEUS_URL": prometheus(stack),
        "DEVSTACK_PROMETHEUS_PORT": str(free_port()),
    }
    assert devstack(elsewhere, "up", "prometheus").returncode == 0
    remote = devstack(elsewhere, "status", "prometheus")
    assert f"healthy  {prometheus(stack)} 6/6 targets up" in remote.stdout, remote.stdout
    assert not httpx_answers(f"http://127.0.0.1:{elsewhere['DEVSTACK_PROMETHEUS_PORT']}/-/ready")


def httpx_answers(url: str) -> bool:
    """Whether anything answers HTTP at ``url``."""
    try:
        httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return False
    return True
