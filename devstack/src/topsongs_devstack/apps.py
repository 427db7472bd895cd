"""The product's own services, run as background processes next to the engines."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence

import httpx

from topsongs_devstack.component import Status
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.deployment.programs import INGEST, AsgiApp
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.process import ManagedProcess, PlatformError, port_open


class AppService:
    """A service of this repository, healthy when its health URL answers 200."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        health_url: str | None,
        port: int | None,
        settings: DevstackSettings,
        endpoint: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        prepare: Callable[[], None] | None = None,
        detail: str = "",
    ) -> None:
        self.name = name
        self.prepare = prepare  # run before each start, e.g. to make the files the service reads
        self.detail = detail  # what `devstack status` prints after the endpoint
        self.env = dict(env or {})
        self.host = host
        self.argv = list(argv)
        self.health_url = health_url
        self.port = port
        self.endpoint = endpoint or health_url or ""
        self.settings = settings
        self.proc = ManagedProcess(name, settings.run_dir, settings.logs_dir)

    def install(self) -> None:
        """Python services are installed by `uv sync`."""

    def _healthy(self) -> bool:
        if self.health_url is None:
            return self.proc.pid() is not None
        try:
            return httpx.get(self.health_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def up(self) -> None:
        """Start unless already running, then wait for the health check."""
        if self.proc.pid() is None:
            if self.port is not None and port_open(self.host, self.port):
                raise PlatformError(f"{self.host}:{self.port} for {self.name} is taken by another process")
            if self.prepare is not None:
                self.prepare()
            print(f"[devstack] starting {self.name}", flush=True)
            self.proc.start(self.argv, env=self.env, cwd=REPO_ROOT)
        self.proc.wait_healthy(self._healthy, self.settings.start_timeout_s, self.name)

    def down(self) -> None:
        """Stop the process group."""
        if self.proc.stop():
            print(f"[devstack] stopped {self.name}", flush=True)

    def status(self) -> Status:
        """Health from the health URL (or liveness for workers without one)."""
        return Status(self.name, self._healthy(), self.endpoint, self.detail)


def uvicorn_service(
    name: str,
    app: AsgiApp,
    port: int,
    settings: DevstackSettings,
    *,
    workers: int = 1,
    endpoint_path: str = "/",
    host: str = "127.0.0.1",
    env: Mapping[str, str] | None = None,
    limit_concurrency: int | None = None,
) -> AppService:
    """An ASGI app of this repository (its entry point as compose runs it) under uvicorn on
    host:port, healthy when `/healthz` answers; ``env`` is added to this process's environment."""
    argv = app.argv([sys.executable], host, port, workers)
    if limit_concurrency is not None:
        argv += ["--limit-concurrency", str(limit_concurrency)]
    base = f"http://{host}:{port}"
    return AppService(
        name, argv, f"{base}/healthz", port, settings, endpoint=f"{base}{endpoint_path}", env=env, host=host
    )


def ingest_service(
    settings: DevstackSettings,
    *,
    name: str = "ingest",
    host: str = "127.0.0.1",
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> AppService:
    """FastAPI ingest (DEVSTACK_INGEST_PORT and _WORKERS unless another host/port is given), always
    with API keys: a keys file made in the state folder before the first start."""
    keys = ingest_keys(settings)
    service = uvicorn_service(
        name,
        INGEST,
        settings.ingest_port if port is None else port,
        settings,
        workers=settings.ingest_workers,
        endpoint_path="/docs",
        host=host,
        env={"INGEST_API_KEYS_FILE": str(keys.keys_file), **(env or {})},
        limit_concurrency=settings.ingest_limit_concurrency,
    )
    service.prepare = keys.ensure
    service.detail = f"(API keys: {keys.keys_file}; the simulator's key: {keys.simulator_key})"
    return service
