"""The product's own services, run as background processes next to the engines."""

from __future__ import annotations

import json
import shutil
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
        scrape: str | None = None,
        scrape_path: str = "/metrics",
        multiprocess_metrics: bool = False,
    ) -> None:
        self.name = name
        self.prepare = prepare  # run before each start, e.g. to make the files the service reads
        self.detail = detail  # what `devstack status` prints after the endpoint
        self.env = dict(env or {})
        # host:port/path Prometheus scrapes while this runs (a file in settings.targets_dir).
        self.scrape = scrape
        self.scrape_path = scrape_path
        # Several worker processes behind one port write their samples to files one /metrics merges.
        self.metrics_dir = settings.state_dir / "metrics" / name if multiprocess_metrics else None
        if self.metrics_dir is not None:
            self.env["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics_dir)
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
            self.before_start()
            print(f"[devstack] starting {self.name}", flush=True)
            self.proc.start(self.argv, env=self.env, cwd=REPO_ROOT)
        self.proc.wait_healthy(self._healthy, self.settings.start_timeout_s, self.name)
        if self.scrape is not None:
            write_targets(self.settings, self.name, [self.scrape], self.scrape_path)

    def before_start(self) -> None:
        """What each start needs first: the service's own files, an empty metrics folder."""
        if self.prepare is not None:
            self.prepare()
        if self.metrics_dir is not None:
            # The client's rule: an empty folder per run, or a dead run's counters are added in.
            shutil.rmtree(self.metrics_dir, ignore_errors=True)
            self.metrics_dir.mkdir(parents=True)

    def down(self) -> None:
        """Stop the process group; Prometheus stops scraping it (a crash, unlike a stop, shows as down)."""
        remove_targets(self.settings, self.name)
        if self.proc.stop():
            print(f"[devstack] stopped {self.name}", flush=True)

    def status(self) -> Status:
        """Health from the health URL (or liveness for workers without one)."""
        return Status(self.name, self._healthy(), self.endpoint, self.detail)


def write_targets(
    settings: DevstackSettings, job: str, addresses: Sequence[str], path: str = "/metrics"
) -> None:
    """Tell Prometheus (file_sd, re-read on change) to scrape ``path`` of ``addresses`` as ``job``."""
    settings.targets_dir.mkdir(parents=True, exist_ok=True)
    target_file = settings.targets_dir / f"{job}.json"
    labels = {"job": job, "__metrics_path__": path}
    # Written aside then renamed: Prometheus must never read half a file.
    partial = target_file.with_suffix(".tmp")
    partial.write_text(json.dumps([{"targets": list(addresses), "labels": labels}]))
    partial.replace(target_file)


def remove_targets(settings: DevstackSettings, job: str) -> None:
    """Take ``job`` out of Prometheus' targets (a stopped process, unlike a crashed one, is not down)."""
    (settings.targets_dir / f"{job}.json").unlink(missing_ok=True)


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
        name,
        argv,
        f"{base}/healthz",
        port,
        settings,
        endpoint=f"{base}{endpoint_path}",
        env=env,
        host=host,
        scrape=f"{host}:{port}",
        multiprocess_metrics=True,
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
