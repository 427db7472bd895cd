"""POST /plays events/s on the cluster profile beside one ingest process on the single-node Kafka.

Baseline (same run, first): one ingest process as devstack starts it (1 uvicorn worker) on
127.0.0.1, producing to a private topic of the shared single-node Kafka (RF 1, PLAINTEXT) that
`make bench` has started. Cluster: a private cluster profile in a temporary state dir with a free
port for every listener (tests/cluster's `private_settings`, so it stays off the ports of a running
`make cluster-up`): the three Kafka nodes with the product's topics and ACLs (RF 3, min ISR 2,
SASL_SSL with SCRAM-SHA-512), the two ingest processes as the `ingest` user and haproxy's ingest
front end; nothing else of the profile starts, as ingest needs nothing else. Both get the same
client (``bench._ingest_load.timed_batches``) for the same time; everything started is stopped,
and the baseline's topics deleted, also on failure.

    uv run python -m bench cluster_ingest
    BENCH_CLUSTER_CLIENTS=4 BENCH_CLUSTER_SECONDS=15 BENCH_CLUSTER_WARMUP_S=3 (defaults)
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import httpx
from ingest.kafka_setup import drop_topics
from prometheus_client.parser import text_string_to_metric_families
from topsongs_devstack.apps import AppService
from topsongs_devstack.cluster import apps, kafka
from topsongs_devstack.cluster.balancer import Balancer
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import free_port
from topsongs_devstack.stack import running

from bench._ingest_load import BatchLoad, api_key, ingest_process, timed_batches
from tests.cluster.conftest import private_settings

CLIENTS = int(os.environ.get("BENCH_CLUSTER_CLIENTS", "4"))
SECONDS = float(os.environ.get("BENCH_CLUSTER_SECONDS", "15"))
WARMUP_S = float(os.environ.get("BENCH_CLUSTER_WARMUP_S", "3"))
NOT_STARTED = "PostgreSQL, S3, migrations, Spark, streams, dashboard-api, Airflow"


def _load(url: str, key: str) -> BatchLoad:
    return asyncio.run(timed_batches(url, api_key=key, clients=CLIENTS, seconds=SECONDS, warmup_s=WARMUP_S))


def single_node(state_dir: Path) -> BatchLoad:
    """One ingest process on the shared single-node Kafka, on a private topic deleted afterwards."""
    topics = private_topics("bench-cluster-base")
    asyncio.run(ensure_topics(topics))
    port = free_port()
    env = {"KAFKA_BOOTSTRAP_SERVERS": topics.bootstrap_servers, "KAFKA_PLAYS_TOPIC": topics.plays_topic}
    try:
        process = ingest_process(state_dir, port, env)
        with running([process]):
            return _load(f"http://127.0.0.1:{port}", api_key(process))
    finally:
        asyncio.run(drop_topics(topics))


def _accepted_by(process: AppService) -> float:
    """The process's own count of events it answered 202 for (`ingest_events_accepted_total`)."""
    text = httpx.get(f"http://{process.host}:{process.port}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "ingest_events_accepted_total"
    )


def cluster(settings: ClusterSettings) -> tuple[BatchLoad, list[str], str]:
    """The cluster's Kafka, both ingest processes and haproxy up; the load through haproxy; all down.

    Returns the figures, the components that ran, and what each ingest process and haproxy saw.
    """
    ingest = [process for process in apps.services(settings) if process.name.startswith("ingest-")]
    # Only the profile's ingest front end: its dashboard pool would health-check addresses where no
    # process of this run listens (or another run's dashboard does).
    profile = apps.balancer(settings)
    balancer = Balancer(profile.settings, [pool for pool in profile.pools if pool.name == "ingest"])
    parts = [*kafka.nodes(settings), *ingest, balancer]
    with running(parts):
        states = ", ".join(f"{server} {state}" for server, state in sorted(balancer.servers().items()))
        load = _load(f"http://{settings.balancer_host}:{settings.ingest_port}", api_key(ingest[0]))
        served = ", ".join(f"{p.name} {_accepted_by(p):,.0f} events" for p in ingest)
    detail = f"served (warm-up included): {served}; haproxy before the load: {states}"
    return load, [p.name for p in parts], detail


def main() -> None:
    """Measure both, print events/s, latencies, the ratio and what differs between the two set-ups."""
    with tempfile.TemporaryDirectory(prefix="bench-cl-") as tmp:
        base_dir, cluster_dir = Path(tmp, "single"), Path(tmp, "cluster")
        base = single_node(base_dir)
        print(f"single node  POST /plays direct     : {base.line()}", flush=True)
        load, ran, detail = cluster(private_settings(cluster_dir))
    print(f"cluster      POST /plays via haproxy: {load.line()}")
    print(f"  ran: {', '.join(ran)}; not started: {NOT_STARTED}")
    print(f"  {detail}")
    print(
        f"ratio cluster/single: events/s {load.events_per_s / base.events_per_s:.2f}x, "
        f"p50 {load.p50_ms / base.p50_ms:.2f}x, p99 {load.p99_ms / base.p99_ms:.2f}x"
    )
    print(
        "what differs: cluster = RF 3 (min ISR 2), acks=all over SASL_SSL (SCRAM-SHA-512, TLS) to 3 "
        "brokers, two ingest processes behind haproxy; single = RF 1, acks=all over PLAINTEXT to one "
        "broker, one ingest process, no balancer. Same box, same client: "
        f"{CLIENTS} clients, 1,000-event batches, {WARMUP_S:.0f} s warm-up, {SECONDS:.0f} s measured each"
    )


if __name__ == "__main__":
    main()
