"""Seconds to start and stop the whole cluster profile from nothing, as `tests/cluster` does, against
the plan it replaced (issue 19 §5).

Baseline (same run, first): the waves as they were until 2026-12-07, each part one chain in order
(the three Kafka nodes one after another, the Spark workers and the service processes too) and
Airflow in the second wave. Then the current plan (``cluster.stack.waves``): numbered siblings side
by side, Airflow started in the background right after PostgreSQL. Each run is a private profile
(tests/cluster's ``private_settings``: its own state dir, a free port for every listener), so both
start cold (format, initdb, `airflow db migrate`); each step's up and down is timed and printed, so
the totals come with the profile that explains them. Everything started is stopped, also on failure.

    uv run python -m bench cluster_start
    BENCH_CLUSTER_START_RUNS=baseline,current (default; either alone runs one)
    CLUSTER_START_TIMEOUT_S (180 s per step's health wait; more on a crowded machine)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.cluster.stack import parts, waves
from topsongs_devstack.component import Component
from topsongs_devstack.stack import down_in_waves, up_in_waves

from tests.cluster.conftest import private_settings, private_state_dir

Plan = list[list[list[Component]]]
RUNS = os.environ.get("BENCH_CLUSTER_START_RUNS", "baseline,current").split(",")


def baseline_plan(settings: ClusterSettings) -> Plan:
    """The waves until 2026-12-07: Kafka beside PostgreSQL and S3; Spark, the services and Airflow;
    Prometheus. Each part one chain, its components one after another."""
    by_part = parts(settings)
    grouped = (("kafka", "stack"), ("spark", "apps", "airflow"), ("observability",))
    return [[by_part[p] for p in wave] for wave in grouped]


def _timed(plan: Plan, log: list[str], started: float) -> None:
    """Wrap each step's up and down so that it logs when it ends and how long it took."""
    lock = threading.Lock()
    for wave in plan:
        for chain in wave:
            for step in chain:
                for verb in ("up", "down"):
                    act: Callable[[], None] = getattr(step, verb)

                    def timed(act: Callable[[], None] = act, what: str = f"{step.name}.{verb}") -> None:
                        begun = time.monotonic()
                        try:
                            act()
                        finally:
                            now = time.monotonic()
                            with lock:
                                log.append(f"{now - started:7.1f} s  {what} took {now - begun:.1f} s")

                    setattr(step, verb, timed)


def run(name: str, build: Callable[[ClusterSettings], Plan]) -> tuple[float, float]:
    """Start a private profile with ``build``'s plan and stop it; (up seconds, down seconds)."""
    settings = private_settings(
        private_state_dir(), airflow_task_heartbeat_timeout_s=15, airflow_retry_delay_s=5
    )
    plan = build(settings)
    log: list[str] = []
    started = time.monotonic()
    _timed(plan, log, started)
    load = os.getloadavg()[0]
    up_s = down_s = float("nan")
    try:
        up_in_waves(plan)
        up_s = time.monotonic() - started
    finally:
        stopping = time.monotonic()
        down_in_waves(plan)
        down_s = time.monotonic() - stopping
        # Also when a step failed: the steps that ended say where the time went.
        print(f"--- {name} ({settings.state_dir}), load {load:.1f} → {os.getloadavg()[0]:.1f}")
        print("\n".join(log))
        print(f"{name}: up {up_s:.1f} s, down {down_s:.1f} s", flush=True)
    return up_s, down_s


def main() -> None:
    """Both plans, baseline first; totals and ratios."""
    plans = {"baseline": baseline_plan, "current": waves}
    results: dict[str, tuple[float, float]] = {}
    for name in RUNS:
        try:
            results[name] = run(name, plans[name])
        except Exception as exc:  # a start that failed (its steps are printed) must not hide the other
            print(f"{name}: failed: {exc}", flush=True)
    for name, (up_s, down_s) in results.items():
        print(f"{name}: up {up_s:.1f} s, down {down_s:.1f} s, both {up_s + down_s:.1f} s")
    if {"baseline", "current"} <= results.keys():
        (b_up, b_down), (c_up, c_down) = results["baseline"], results["current"]
        print(
            f"current/baseline: up {c_up / b_up:.2f}x, down {c_down / b_down:.2f}x, "
            f"both {(c_up + c_down) / (b_up + b_down):.2f}x"
        )


if __name__ == "__main__":
    main()
