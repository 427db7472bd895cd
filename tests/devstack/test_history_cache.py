"""`make up`'s redis-server for dashboard-api's shared history cache: in the stack before dashboard-api,
which is handed its URL; password-protected; evicting as a cache does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.history_cache import history_cache
from topsongs_devstack.process import free_port
from topsongs_devstack.redis_server import RedisServer
from topsongs_devstack.stack import components


@pytest.fixture
def settings(tmp_path: Path) -> DevstackSettings:
    """A private state folder and port."""
    return DevstackSettings(state_dir=tmp_path / "state", redis_port=free_port())


@pytest.fixture
def cache(settings: DevstackSettings) -> Iterator[RedisServer]:
    """The history cache's redis-server, started as `make up` does."""
    server = history_cache(settings)
    server.up()
    yield server
    server.down()


def test_dashboard_api_is_handed_the_cache_it_starts_after(settings: DevstackSettings) -> None:
    stack = components(settings)
    names = [c.name for c in stack]
    assert names.index("redis") < names.index("dashboard-api")
    dashboard = stack[names.index("dashboard-api")]
    assert isinstance(dashboard, AppService)
    url = dashboard.env["DASHBOARD_HISTORY_REDIS_URL"]
    assert url == history_cache(settings).url() and f"127.0.0.1:{settings.redis_port}/" in url


def test_cache_answers_its_password_only_and_evicts_least_recently_used(cache: RedisServer) -> None:
    assert cache.status().healthy
    with redis.Redis.from_url(cache.url()) as client:
        assert client.ping()
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        assert int(client.config_get("maxmemory")["maxmemory"]) == 256 * 1024 * 1024
    # No retries: the refusal is final.
    with (
        redis.Redis(host=cache.host, port=cache.port, retry=Retry(NoBackoff(), 0)) as stranger,
        pytest.raises(redis.AuthenticationError),
    ):
        stranger.ping()
    assert (cache.secrets_dir / "redis.password").stat().st_mode & 0o077 == 0
