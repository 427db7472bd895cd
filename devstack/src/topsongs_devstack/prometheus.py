"""Prometheus (Debian's package) scraping every running component, with the repository's alert rules."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from topsongs_devstack.component import Status
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.process import ManagedProcess, PlatformError, port_open

RULES = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
SCRAPE_INTERVAL_S = 5


def scrape_config(
    settings: DevstackSettings, host: str = "127.0.0.1", rules: Path = RULES
) -> dict[str, object]:
    """prometheus.yml: itself (on ``host``), plus every file in ``settings.targets_dir`` (a component
    writes its own when it is up, so the targets follow `devstack up|down` without a restart)."""
    return {
        "global": {
            "scrape_interval": f"{SCRAPE_INTERVAL_S}s",
            "evaluation_interval": f"{SCRAPE_INTERVAL_S}s",
        },
        "rule_files": [str(rules)],
        "scrape_configs": [
            {
                "job_name": "prometheus",
                "static_configs": [{"targets": [f"{host}:{settings.prometheus_port}"]}],
            },
            {
                "job_name": "topsongs",
                "file_sd_configs": [
                    {"files": [str(settings.targets_dir / "*.json")], "refresh_interval": "5s"}
                ],
            },
        ],
    }


def active_targets(url: str) -> list[dict[str, Any]]:
    """The targets the Prometheus at ``url`` scrapes, as its API describes them."""
    answer = httpx.get(f"{url}/api/v1/targets", params={"state": "active"}, timeout=3)
    answer.raise_for_status()
    return list(answer.json()["data"]["activeTargets"])


def targets_summary(url: str) -> tuple[int, int]:
    """(targets up, targets scraped) of the Prometheus at ``url``."""
    active = active_targets(url)
    return sum(t["health"] == "up" for t in active), len(active)


class Prometheus:
    """A local Prometheus on host:DEVSTACK_PROMETHEUS_PORT (127.0.0.1; the cluster profile gives it an
    address of its own), or DEVSTACK_PROMETHEUS_URL's."""

    name = "prometheus"

    def __init__(self, settings: DevstackSettings, host: str = "127.0.0.1") -> None:
        self.settings = settings
        self.host = host
        self.remote = settings.prometheus_url
        self.url = (self.remote or f"http://{host}:{settings.prometheus_port}").rstrip("/")
        self.home = settings.state_dir / "prometheus"
        self.proc = ManagedProcess(self.name, settings.run_dir, settings.logs_dir)

    def binary(self) -> str:
        """The prometheus executable (`make setup-system` installs Debian's)."""
        found = shutil.which("prometheus")
        if found is None:
            raise PlatformError("Prometheus is missing: run `make setup-system` (apt-get install prometheus)")
        return found

    def install(self) -> None:
        """Debian's package is installed by `make setup-system`; check it is there."""
        if self.remote is None:
            self.binary()

    def write_config(self) -> Path:
        """The generated prometheus.yml (JSON is YAML)."""
        self.settings.targets_dir.mkdir(parents=True, exist_ok=True)
        path = self.home / "prometheus.yml"
        path.write_text(json.dumps(scrape_config(self.settings, self.host), indent=2))
        return path

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def up(self) -> None:
        """Write the config and start Prometheus unless running; a remote one is left alone."""
        if self.remote is not None:
            return
        config = self.write_config()
        if self.proc.pid() is None:
            port = self.settings.prometheus_port
            if port_open(self.host, port):
                raise PlatformError(
                    f"{self.host}:{port} for prometheus is taken: stop it or set DEVSTACK_PROMETHEUS_PORT"
                )
            print("[devstack] starting prometheus", flush=True)
            self.proc.start(
                [
                    self.binary(),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.home / 'data'}",
                    f"--storage.tsdb.retention.time={self.settings.prometheus_retention}",
                    f"--web.listen-address={self.host}:{port}",
                    # Debian's UI assets; without it the binary looks in the working directory.
                    "--web.console.templates=/etc/prometheus/consoles",
                    "--web.console.libraries=/etc/prometheus/console_libraries",
                ],
                cwd=self.home,
            )
        self.proc.wait_healthy(self._healthy, self.settings.start_timeout_s, self.name)
        self._first_scrapes()

    def _first_scrapes(self) -> None:
        """Give a fresh server a few scrape intervals to find and scrape every target file, so the
        status `up` prints counts them; a target that stays down is for the status to show."""
        files = len(list(self.settings.targets_dir.glob("*.json")))
        deadline = time.monotonic() + 4 * SCRAPE_INTERVAL_S
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                active = active_targets(self.url)
                if len(active) > files and all(t["health"] != "unknown" for t in active):
                    return
            time.sleep(0.5)

    def down(self) -> None:
        """Stop the local server (its data stays in .state/prometheus/data)."""
        if self.remote is None and self.proc.stop():
            print("[devstack] stopped prometheus", flush=True)

    def status(self) -> Status:
        """Healthy when ready; the detail says how many targets are up."""
        if not self._healthy():
            return Status(self.name, False, self.url)
        try:
            up, total = targets_summary(self.url)
        except (httpx.HTTPError, KeyError, ValueError):
            return Status(self.name, True, self.url, "targets unknown")
        return Status(self.name, True, self.url, f"{up}/{total} targets up")
