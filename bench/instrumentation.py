"""What the Prometheus instrumentation costs: ingest and the Faust worker with and without it, and
Prometheus' own CPU and memory while it scrapes them under load (issue 17).

One run, private everything: a Prometheus (Debian's binary, devstack's launcher and scrape config)
on ``BENCH_PROMETHEUS_PORT``; ingest (devstack's launcher, 2 uvicorn workers, multiprocess metrics)
under the ``POST /plays`` load of ``bench ingest_throughput``'s client, once as deployed and once with
``INGEST_METRICS=false``; then one private plays topic drained from the start by a Faust worker, once
serving and counting its metrics (scraped) and once with ``STREAMS_METRICS=false``. The worker's
progress is read outside it, from its group's committed offsets, so both runs are measured alike.
Printed, never asserted: the box is shared. Topics are deleted, processes stopped, also on failure.
Run: ``.venv/bin/python -m bench instrumentation`` (needs the local Kafka: ``make up``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from ingest.kafka_setup import drop_topics
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.apps import write_targets
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.deployment.programs import streams_args
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import cpu_seconds
from topsongs_devstack.prometheus import Prometheus
from topsongs_devstack.stack import running

from bench._ingest_load import BatchLoad, api_key, ingest_process, timed_batches
from bench.live_faust import produce

PROMETHEUS_PORT = int(os.environ.get("BENCH_PROMETHEUS_PORT", "28090"))
INGEST_PORT = int(os.environ.get("BENCH_INSTRUMENTATION_INGEST_PORT", "28001"))
WORKER_METRICS_PORT = int(os.environ.get("BENCH_INSTRUMENTATION_WORKER_PORT", "28101"))
SECONDS = float(os.environ.get("BENCH_INSTRUMENTATION_SECONDS", "20"))
EVENTS = int(os.environ.get("BENCH_INSTRUMENTATION_EVENTS", "60000"))
CLIENTS, WORKERS = 4, 2


def family(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's workers), from /proc."""
    pids, i = [pid], 0
    while i < len(pids):
        for task in Path(f"/proc/{pids[i]}/task").glob("*/children"):
            try:
                pids += [int(child) for child in task.read_text().split()]
            except OSError:
                pass
        i += 1
    return pids


def memory_kib(pid: int) -> tuple[int, int]:
    """(resident now, resident peak) of ``pid`` in KiB, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def ingest_load(state: Path, kafka: KafkaSettings, metrics: bool) -> tuple[BatchLoad, float]:
    """One ingest under the batch load for SECONDS; its figures and CPU µs per accepted event."""
    env = {
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "INGEST_METRICS": str(metrics).lower(),
    }
    process = ingest_process(state, INGEST_PORT, env, WORKERS)
    with running([process]):
        pid = process.proc.pid()
        assert pid is not None
        url, key = f"http://127.0.0.1:{INGEST_PORT}", api_key(process)
        asyncio.run(timed_batches(url, api_key=key, clients=CLIENTS, seconds=3, warmup_s=0))  # warm
        before = cpu_seconds(family(pid))
        load = asyncio.run(timed_batches(url, api_key=key, clients=CLIENTS, seconds=SECONDS, warmup_s=0))
        spent = cpu_seconds(family(pid)) - before
    return load, spent / load.accepted_events * 1e6


async def committed(kafka: KafkaSettings, group: str) -> int:
    """Offsets the group has committed, summed over the plays partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(
        meta.offset for tp, meta in offsets.items() if tp.topic == kafka.plays_topic and meta.offset > 0
    )


def faust_drain(
    kafka: KafkaSettings, settings: DevstackSettings, n: int, metrics: bool, app_id: str
) -> tuple[float, float]:
    """Events/s of one worker draining the topic from its first commit to its last, and CPU µs per event."""
    env = {
        **os.environ,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "KAFKA_LIVE_HOURS_TOPIC": kafka.live_hours_topic,
        "STREAMS_APP_ID": app_id,
        "STREAMS_METRICS": str(metrics).lower(),
    }
    if metrics:
        env["STREAMS_METRICS_PORT"] = str(WORKER_METRICS_PORT)
        write_targets(settings, "streams", [f"127.0.0.1:{WORKER_METRICS_PORT}"])
    with tempfile.TemporaryDirectory() as data:
        argv = [sys.executable, "-m", "streams", *streams_args(data)]  # as deployed (-l info)
        proc = subprocess.Popen(argv, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
        try:
            started = None
            deadline = time.monotonic() + 900
            while (done := asyncio.run(committed(kafka, app_id))) < n and time.monotonic() < deadline:
                if done and started is None:
                    started = (time.perf_counter(), done, cpu_seconds([proc.pid]))
                time.sleep(0.5)
            assert started and done >= n, f"the worker committed {done} of {n} plays"
            cpu = cpu_seconds([proc.pid]) - started[2]
            rate = (done - started[1]) / (time.perf_counter() - started[0])
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)
            (settings.targets_dir / "streams.json").unlink(missing_ok=True)
    return rate, cpu / (done - started[1]) * 1e6


def main() -> None:
    """Measure each service with and without metrics, and Prometheus over the whole run; print."""
    run = uuid.uuid4().hex[:8]
    # Ingest's load repeats event ids and nothing reads it: the worker drains a topic of its own.
    kafka, live = private_topics("bench-instr-ingest", run), private_topics("bench-instr-live", run)
    app_ids = {metrics: f"bench-instr-{run}-{'on' if metrics else 'off'}" for metrics in (True, False)}
    asyncio.run(ensure_topics(kafka))
    asyncio.run(ensure_topics(live))
    ingest: dict[bool, tuple[BatchLoad, float]] = {}
    faust: dict[bool, tuple[float, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-instr-") as tmp:
            settings = DevstackSettings(state_dir=Path(tmp), prometheus_port=PROMETHEUS_PORT)
            prometheus = Prometheus(settings)
            with running([prometheus]):
                pid = prometheus.proc.pid()
                assert pid is not None
                began, cpu_before = time.perf_counter(), cpu_seconds([pid])
                for metrics in (True, False):
                    ingest[metrics] = ingest_load(Path(tmp) / f"ingest-{metrics}", kafka, metrics)
                sent = asyncio.run(produce(live, EVENTS))
                for metrics in (True, False):
                    faust[metrics] = faust_drain(live, settings, len(sent), metrics, app_ids[metrics])
                seconds = time.perf_counter() - began
                prom_cpu = cpu_seconds([pid]) - cpu_before
                rss, peak = memory_kib(pid)
    finally:
        asyncio.run(drop_topics(kafka))
        asyncio.run(drop_topics(live, *app_ids.values()))
    print(
        f"load average {os.getloadavg()[0]:.1f}; ingest {WORKERS} workers, {CLIENTS} clients, {SECONDS:.0f} s"
    )
    for metrics in (True, False):
        load, us = ingest[metrics]
        print(
            f"ingest POST /plays, metrics {'on ' if metrics else 'off'}: {load.line()}, {us:.1f} us CPU/event"
        )
    on, off = ingest[True], ingest[False]
    print(
        f"ratio ingest on/off: {on[0].events_per_s / off[0].events_per_s:.3f} events/s,"
        f" {on[1] / off[1]:.3f} CPU per event"
    )
    for metrics in (True, False):
        rate, us = faust[metrics]
        print(
            f"faust worker, metrics {'on ' if metrics else 'off'}: {rate:>9,.0f} events/s,"
            f" {us:.1f} us CPU/event"
        )
    print(
        f"ratio faust on/off: {faust[True][0] / faust[False][0]:.3f} events/s,"
        f" {faust[True][1] / faust[False][1]:.3f} CPU per event"
    )
    print(
        f"prometheus (scrapes every 5 s, {seconds:.0f} s under load):"
        f" {prom_cpu / seconds * 100:.2f}% of a core,"
        f" RSS {rss / 1024:.0f} MiB (peak {peak / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
