"""The cluster profile's start plan: every component once, numbered siblings side by side, each wave
after what it needs; and a side-by-side step really runs its parts at once (under a second, no engine)."""

from __future__ import annotations

import threading

import pytest
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.cluster.stack import components, waves
from topsongs_devstack.component import InBackground, SideBySide, Status


def names(step: object) -> list[str]:
    """A step's component names (a side-by-side step's parts)."""
    parts = step.parts if isinstance(step, SideBySide) else [step]
    return [part.name for part in parts]


def test_every_component_starts_once_siblings_side_by_side() -> None:
    settings = ClusterSettings()
    plan = waves(settings)
    first, second, third = ([[names(step) for step in chain] for chain in wave] for wave in plan)
    flat = [name for wave in (first, second, third) for chain in wave for step in chain for name in step]
    # Airflow twice: started in the first wave (in the background), waited for in the second.
    assert sorted(flat) == sorted([*(c.name for c in components(settings)), "airflow"])
    kafka, stack = first
    assert kafka == [["kafka-1", "kafka-2", "kafka-3"], ["kafka"]]
    # Airflow starts once its metadata database and broker are up, not after the Kafka quorum.
    assert stack[:3] == [["postgres"], ["redis"], ["airflow"]]
    assert isinstance(plan[0][1][2], InBackground)
    # The S3 store sends StatsD only to an exporter that is up when it starts.
    assert stack.index(["statsd-exporter"]) < stack.index(["s3"])
    spark, apps, airflow, postgres_exporter, monitor = second
    assert spark == [["spark-master"], ["spark-worker-1", "spark-worker-2"], ["spark"]]
    assert apps[:3] == [["ingest-1", "ingest-2"], ["streams-1", "streams-2"], ["dashboard-1", "dashboard-2"]]
    assert airflow == [["airflow"]]
    assert (postgres_exporter, monitor) == ([["postgres-exporter"]], [["monitor"]])
    assert third == [[["prometheus"]]]


class Meeting:
    """A component whose ``up`` and ``down`` return only once its partner has entered theirs too."""

    def __init__(self, name: str, barrier: threading.Barrier) -> None:
        self.name = name
        self.barrier = barrier

    def install(self) -> None:
        """Nothing to fetch."""

    def up(self) -> None:
        """Meet the partner (raises BrokenBarrierError if it never comes)."""
        self.barrier.wait()

    def down(self) -> None:
        """Meet the partner again."""
        self.barrier.wait()

    def status(self) -> Status:
        """Always healthy."""
        return Status(self.name, True, "")


def test_side_by_side_runs_its_parts_at_once() -> None:
    barrier = threading.Barrier(2, timeout=30)
    step = SideBySide("pair", [Meeting("a", barrier), Meeting("b", barrier)])
    step.up()  # one after the other, the first would wait for the second until the timeout
    step.down()
    assert step.status() == Status("pair", True, ", ", "2 up")


def test_side_by_side_raises_a_parts_failure() -> None:
    step = SideBySide(
        "pair", [Meeting("a", threading.Barrier(1)), Meeting("b", threading.Barrier(2, timeout=0.1))]
    )
    with pytest.raises(threading.BrokenBarrierError):
        step.up()


class Held:
    """A component whose ``up`` returns once released, then fails when told to."""

    def __init__(self, fail: bool) -> None:
        self.name = "held"
        self.release = threading.Event()
        self.fail = fail
        self.stopped = 0

    def install(self) -> None:
        """Nothing to fetch."""

    def up(self) -> None:
        """Wait for the release (bounded), then fail if told to."""
        assert self.release.wait(30)
        if self.fail:
            raise RuntimeError("held failed")

    def down(self) -> None:
        """Count the stop."""
        self.stopped += 1

    def status(self) -> Status:
        """Healthy once released."""
        return Status(self.name, self.release.is_set(), "")


@pytest.mark.parametrize("fail", [False, True])
def test_in_background_starts_now_and_is_waited_for_later(fail: bool) -> None:
    held = Held(fail)
    early = InBackground(held)
    early.up()  # returns although the component's up has not
    later = early.joined()
    held.release.set()
    if fail:
        with pytest.raises(RuntimeError, match="held failed"):
            later.up()
    else:
        later.up()
    later.down()
    assert held.stopped == 1
