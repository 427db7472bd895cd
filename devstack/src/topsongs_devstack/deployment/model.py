"""A compose service as a typed value: what `compose.yaml` says about one container."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# A setting's value in the file: a literal, a `${VAR:-default}` reference, or None (taken from the
# shell or .env when set there).
Env = Mapping[str, str | None]
Condition = Literal["service_healthy", "service_completed_successfully"]


@dataclass(frozen=True)
class Health:
    """A container health check (every one polls each 10 s, 6 retries)."""

    test: tuple[str, ...]
    start_period: str = "30s"
    timeout: str = "5s"


def http_health(port: int, path: str, start_period: str = "30s") -> Health:
    """Healthy when http://127.0.0.1:port/path answers 2xx (the images have Python, not curl)."""
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=4)"
    return Health(("CMD", "python", "-c", probe), start_period)


def tcp_health(port: int, start_period: str = "30s") -> Health:
    """Healthy when 127.0.0.1:port accepts a connection."""
    return Health(("CMD", "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}"), start_period)


@dataclass(frozen=True)
class Publish:
    """A container port published on 127.0.0.1 only, its host port a variable with a default."""

    variable: str
    default: int
    container: int


@dataclass(frozen=True)
class Service:
    """One compose service; ``image`` is a target of docker/Dockerfile, tagged topsongs/<image>, unless
    ``pulled`` names an image the user pulls themselves (never built here)."""

    name: str
    image: str
    command: tuple[str, ...] | None = None
    environment: Env = field(default_factory=dict)
    depends_on: Mapping[str, Condition] = field(default_factory=dict)
    healthcheck: Health | None = None
    ports: tuple[Publish, ...] = ()
    volumes: tuple[str, ...] = ()
    # In-memory mounts, emptied at each start (prometheus_client's multiprocess folder).
    tmpfs: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    user: str | None = None
    # The settings classes ("module:Class") its process reads: every variable in ``environment`` is
    # one of theirs, or the engine's own (AIRFLOW__*, SPARK_*; tests/compose checks it).
    settings: tuple[str, ...] = ()
    # What a reader of compose.yaml should know, written above the service as a comment.
    doc: str = ""
    pulled: str | None = None

    @property
    def one_shot(self) -> bool:
        """Runs to completion (an init step or a load): no health check, never restarted."""
        return self.healthcheck is None


def healthy(*names: str) -> dict[str, Condition]:
    """Wait for each of ``names`` to report healthy."""
    return dict.fromkeys(names, "service_healthy")


def completed(*names: str) -> dict[str, Condition]:
    """Wait for each of ``names`` (one-shots) to exit 0."""
    return dict.fromkeys(names, "service_completed_successfully")
