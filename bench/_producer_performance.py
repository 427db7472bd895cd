"""Kafka's own Java producer as a baseline: org.apache.kafka.tools.ProducerPerformance on our broker.

The kafka-tools jars come from Maven Central through the same `maven_copy` that fetches the
broker's (devstack/maven/kafka-tools/pom.xml), into the shared cache, once per Kafka version.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from topsongs_core.settings import KafkaSettings
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.kafka import maven_copy

POM = REPO_ROOT / "devstack" / "maven" / "kafka-tools" / "pom.xml"
MAIN = "org.apache.kafka.tools.ProducerPerformance"


def tools_jars(devstack: DevstackSettings) -> Path:
    """The folder of kafka-tools and its runtime jars for ``DEVSTACK_KAFKA_VERSION``."""
    version = devstack.kafka_version
    dest = devstack.cache_dir / "jars" / f"kafka-tools-{version}"
    return maven_copy(POM, dest, f"Kafka tools {version}", {"kafka.version": version})


def producer_performance(
    kafka: KafkaSettings, records: int, record_size: int, *, linger_ms: int, batch_bytes: int
) -> float:
    """records/s ProducerPerformance reached sending ``records`` of ``record_size`` bytes to the plays topic.

    acks=all, idempotent, linger and batch size as ingest's producer; no throttle (--throughput -1).
    Its records have no key (the sticky partitioner spreads them), the one thing it cannot copy.
    """
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "Java 17+ is needed for ProducerPerformance: apt-get install openjdk-17-jre-headless"
        )
    jars = tools_jars(DevstackSettings())
    argv = [
        java,
        "-Xmx512m",
        "-cp",
        f"{jars}/*",
        MAIN,
        "--topic",
        kafka.plays_topic,
        "--num-records",
        str(records),
        "--record-size",
        str(record_size),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={kafka.bootstrap_servers}",
        "acks=all",
        "enable.idempotence=true",
        f"linger.ms={linger_ms}",
        # Java's default (16 KiB) leaves it bound by the broker's latency on a busy box: 30k
        # against 55k records/s at 512 KiB in one test on the shared machine.
        f"batch.size={batch_bytes}",
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    # The last line sums the run: "N records sent, R records/sec (M MB/sec), ..."
    summary = re.findall(r"^\d+ records sent, ([\d.]+) records/sec", out, re.MULTILINE)
    if not summary:
        raise RuntimeError(f"ProducerPerformance printed no summary:\n{out[-2000:]}")
    return float(summary[-1])
