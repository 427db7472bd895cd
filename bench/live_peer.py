"""The Faust live worker against its peer, Quix Streams, on the same job, data and topic.

One private plays topic is filled once; then the Faust worker (``python -m streams``) and the same job
written for Quix Streams 3.28.1 (``bench/_quix_peer.py``, run from ``.venv-bench``) each drain it from
the start: duplicates dropped by event id, per-(region, song) per-minute counts on event time, and per
region the exact top 10 and plays of the 5m, 60m and hour windows. Each is measured from its first
handled play to its last (events/s, and CPU µs per event from /proc, which does not depend on how
much of a core the box leaves it), and each one's published charts must equal the brute-force oracle
of the plays sent, else the run fails. Every topic of the run is deleted afterwards.
Run: ``.venv/bin/python -m bench live_peer`` (needs the local Kafka and ``scripts/setup-bench.sh``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from ingest.kafka_setup import drop_topics
from topsongs_core.events import PlayEvent
from topsongs_core.settings import KafkaSettings
from topsongs_core.timefmt import iso_z
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import cpu_seconds

from bench.live_faust import exact, faust_rate, produce

HERE = Path(__file__).parent
PEER_PYTHON = HERE.parent / ".venv-bench" / "bin" / "python"


async def quix_charts(kafka: KafkaSettings, topic: str) -> dict[str, dict[str, Any]]:
    """The newest chart of every ``REGION|window`` the peer published, as a live snapshot's fields."""
    async with AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest", enable_auto_commit=False
    ) as consumer:
        await consumer.topics()  # loads the metadata partitions_for_topic answers from
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        charts: dict[str, dict[str, Any]] = {}
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    charts[record.key.decode()] = orjson.loads(record.value)
    for chart in charts.values():
        chart["window_start"] = iso_z(chart["window_start"], "seconds")
        chart["window_end"] = iso_z(chart["window_end"], "seconds")
    return charts


def handled(progress: Path) -> int:
    """Plays the peer has handled so far (it rewrites the file at each checkpoint)."""
    try:
        return int(progress.read_text())
    except (OSError, ValueError):
        return 0


def quix_rate(kafka: KafkaSettings, sent: list[PlayEvent], group: str, output: str) -> tuple[float, float]:
    """Events/s of the peer from its first checkpoint with plays to the last, and events per CPU second;
    raise unless its charts equal the oracle of ``sent``."""
    n = len(sent)
    with tempfile.TemporaryDirectory(prefix="bench-quix-") as tmp:
        progress = Path(tmp) / "handled"
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
            "QUIX_CONSUMER_GROUP": group,
            "QUIX_OUTPUT_TOPIC": output,
            "QUIX_STATE_DIR": str(Path(tmp) / "state"),
            "QUIX_PROGRESS_FILE": str(progress),
        }
        proc = subprocess.Popen(
            [str(PEER_PYTHON), str(HERE / "_quix_peer.py")], env=env, start_new_session=True
        )
        try:
            started = None
            deadline = time.monotonic() + 600
            while (done := handled(progress)) < n and time.monotonic() < deadline:
                assert proc.poll() is None, f"the Quix peer exited with {proc.returncode}"
                if done and started is None:
                    started = (time.perf_counter(), done, cpu_seconds([proc.pid]))
                time.sleep(0.1)  # a file read: polling costs the peer nothing
            assert started and done == n, f"the Quix peer handled {done} of {n} plays"
            cpu = cpu_seconds([proc.pid]) - started[2]
            rate = (done - started[1]) / (time.perf_counter() - started[0])
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)
    charts = asyncio.run(quix_charts(kafka, output))
    regions = sorted({e.region for e in sent})
    differ = [
        key for key in (f"{r}|{w}" for r in regions for w in ("5m", "60m", "hour")) if key not in charts
    ]
    differ += [key for key, chart in charts.items() if not exact(sent, chart)]
    assert not differ, f"the Quix peer's charts differ from the oracle: {differ[:4]}"
    return rate, (done - started[1]) / cpu


def main() -> None:
    """Fill one topic, drain it with each engine, check both, print the ratio per CPU second."""
    if not PEER_PYTHON.exists():
        raise RuntimeError("the peer's environment is missing: bash scripts/setup-bench.sh (make bench does)")
    n = int(os.environ.get("BENCH_LIVE_PEER_EVENTS", "60000"))
    kafka = private_topics("bench-peer")
    suffix = uuid.uuid4().hex[:8]
    faust_id, quix_group = f"bench-faust-{suffix}", f"bench-quix-{suffix}"
    output = f"{quix_group}-charts"
    asyncio.run(ensure_topics(kafka))
    try:
        sent = asyncio.run(produce(kafka, n))
        faust, faust_cpu, exact_after = faust_rate(kafka, sent, faust_id)
        quix, quix_cpu = quix_rate(kafka, sent, quix_group, output)
    finally:
        # Quix names its changelogs changelog__<group>--<topic>--<store>.
        dropped = asyncio.run(drop_topics(kafka, faust_id, quix_group, f"changelog__{quix_group}"))
    print(f"load average {os.getloadavg()[0]:.1f}; events: {n}, partitions: {kafka.plays_partitions}")
    print(f"output: both engines' charts equal to the oracle (Faust {exact_after:.0f} s after its last play)")
    print(f"topics deleted afterwards: {len(dropped)}")
    print(f"faust worker:        {faust:>7,.0f} events/s, {1e6 / faust_cpu:5.0f} us CPU per event")
    print(f"quix streams 3.28.1: {quix:>7,.0f} events/s, {1e6 / quix_cpu:5.0f} us CPU per event")
    per_cpu = faust_cpu / quix_cpu
    print(f"ratio faust/quix:    {faust / quix:.2f} events/s, {per_cpu:.2f} per CPU second (aim 1.5)")


if __name__ == "__main__":
    main()
