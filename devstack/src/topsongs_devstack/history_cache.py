"""dashboard-api's shared history cache on the single-node platform: a redis-server of its own."""

from __future__ import annotations

from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.redis_server import RedisServer


def history_cache(settings: DevstackSettings) -> RedisServer:
    """redis-server on 127.0.0.1:DEVSTACK_REDIS_PORT; a cache, so it evicts instead of refusing writes."""
    return RedisServer(
        "redis",
        "127.0.0.1",
        settings.redis_port,
        state_dir=settings.state_dir / "redis",
        secrets_dir=settings.state_dir / "secrets",
        run_dir=settings.run_dir,
        logs_dir=settings.logs_dir,
        start_timeout_s=settings.start_timeout_s,
        detail="dashboard-api's shared history cache, password protected",
        config=(f"maxmemory {settings.redis_maxmemory}", "maxmemory-policy allkeys-lru"),
    )


def dashboard_env(cache: RedisServer) -> dict[str, str]:
    """What tells every dashboard-api process to share ``cache`` (its URL holds the password)."""
    return {"DASHBOARD_HISTORY_REDIS_URL": cache.url()}
