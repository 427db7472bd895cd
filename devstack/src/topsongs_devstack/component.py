"""What every part of the local platform offers to `devstack up|down|status`."""

from __future__ import annotations

import threading
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


class SideBySide:
    """Peers that need nothing of each other (a quorum's nodes, a master's workers) as one step of a
    start chain: up, down and install act on all of them at once; healthy when every one is."""

    def __init__(self, name: str, parts: Sequence[Component]) -> None:
        self.name = name
        self.parts = list(parts)

    def install(self) -> None:
        """Each part's install, in order (they share caches)."""
        for part in self.parts:
            part.install()

    def up(self) -> None:
        """Every part's ``up`` at once; the first failure is raised once all are done."""
        side_by_side(lambda part: part.up(), self.parts)

    def down(self) -> None:
        """Every part's ``down`` at once."""
        side_by_side(lambda part: part.down(), self.parts)

    def status(self) -> Status:
        """Healthy when every part is; the endpoints of all, the names of the parts that are not."""
        statuses = [part.status() for part in self.parts]
        sick = [s.name for s in statuses if not s.healthy]
        detail = f"down: {', '.join(sick)}" if sick else f"{len(statuses)} up"
        return Status(self.name, not sick, ", ".join(s.endpoint for s in statuses), detail)


class InBackground:
    """A slow component started at one place of a start plan and waited for at a later one: its ``up``
    runs in a thread from this step, and the step ``joined()`` returns (placed in a later wave) waits
    for it and raises its failure. So a component that needs little (Airflow: PostgreSQL) starts
    early without holding back the components that need more but not it."""

    def __init__(self, component: Component) -> None:
        self.component = component
        self.name = component.name
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def install(self) -> None:
        """The component's install."""
        self.component.install()

    def up(self) -> None:
        """Start the component's ``up`` in a thread; return at once."""

        def run() -> None:
            try:
                self.component.up()
            except BaseException as exc:  # handed to whoever joins
                self._failure = exc

        self._thread = threading.Thread(target=run, name=f"up-{self.name}", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Until the component's ``up`` has returned; raise its failure, if any."""
        if self._thread is not None:
            self._thread.join()
        if self._failure is not None:
            raise self._failure

    def down(self) -> None:
        """Let a start under way finish (it is bounded by its own waits), then stop the component."""
        if self._thread is not None:
            self._thread.join()
        self.component.down()

    def status(self) -> Status:
        """The component's status."""
        return self.component.status()

    def joined(self) -> Component:
        """The later step: its ``up`` waits for this start, its ``down`` stops the component."""
        return _Joined(self)


class _Joined:
    def __init__(self, early: InBackground) -> None:
        self.early = early
        self.name = early.name

    def install(self) -> None:
        """Installed by the early step."""

    def up(self) -> None:
        """Wait for the start the early step began."""
        self.early.wait()

    def down(self) -> None:
        """Stop the component (after a start under way)."""
        self.early.down()

    def status(self) -> Status:
        """The component's status."""
        return self.early.status()
