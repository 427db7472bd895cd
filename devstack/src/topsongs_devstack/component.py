"""What every part of the local platform offers to `devstack up|down|status`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


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


def side_by_side(act: Callable[[T], None], items: Sequence[T]) -> None:
    """``act`` on every item at once, one thread each; once all are done, the first failure is raised."""
    with ThreadPoolExecutor(max_workers=max(len(items), 1)) as pool:
        for done in [pool.submit(act, item) for item in items]:
            done.result()
