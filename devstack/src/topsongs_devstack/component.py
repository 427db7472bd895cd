"""What every part of the local platform offers to `devstack up|down|status`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Status:
    """A component's health as shown by `make status`."""

    name: str
    healthy: bool
    endpoint: str
    detail: str = ""


class Component(Protocol):
    """An engine or service the platform can install, start, stop and report on."""

    name: str

    def install(self) -> None:
        """Fetch what it needs into the cache (idempotent)."""

    def up(self) -> None:
        """Start it and wait until healthy (harmless when already running)."""

    def down(self) -> None:
        """Stop it, keeping its data."""

    def status(self) -> Status:
        """Report health and endpoint without changing anything."""
