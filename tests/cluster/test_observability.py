"""The profile's Prometheus scrapes every node and replica: the three Kafka nodes' JMX exporters,
haproxy's own exporter, each ingest, dashboard-api and streams process, the lake job's driver, the
PostgreSQL and StatsD exporters and the lag monitor, all `up`; the brokers', the balancer's and the
engines' own metrics, and the lag the monitor measures of the live worker and the lake job."""

from __future__ import annotations

import asyncio
import time

import httpx
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.prometheus import Prometheus, active_targets


async def _query(url: str, promql: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(timeout=5) as client:
        answer = (await client.get(f"{url}/api/v1/query", params={"query": promql})).json()
    assert answer["status"] == "success", answer
    result: list[dict[str, object]] = answer["data"]["result"]
    return result


async def test_every_node_and_replica_is_scraped_and_up(cluster: ClusterSettings) -> None:
    url = Prometheus(cluster.devstack(), host=cluster.prometheus_host).url
    nodes = {f"kafka-{i}" for i in range(1, len(cluster.kafka_hosts) + 1)}
    # Each process writes its target file when it is up; a file is read within 5 s, then scraped.
    written = {path.stem for path in cluster.devstack().targets_dir.glob("*.json")}
    assert nodes <= written
    assert "balancer" in written
    # One job each, as on the single-node profile.
    assert {"spark", "postgres-exporter", "statsd-exporter", "monitor"} <= written
    for service in ("ingest", "dashboard", "streams"):
        assert any(job.startswith(service) for job in written), f"no {service} target in {sorted(written)}"
    deadline = time.monotonic() + 90
    while True:
        targets = await asyncio.to_thread(active_targets, url)
        jobs = {t["labels"]["job"] for t in targets}
        down = sorted(t["scrapeUrl"] for t in targets if t["health"] != "up")
        if written <= jobs and not down:
            break
        assert time.monotonic() < deadline, f"not all up within 90 s: missing {written - jobs}, down {down}"
        await asyncio.sleep(1)
    # The brokers' metrics through their exporters: one active controller among the three, and
    # every node reports its under-replicated partitions (none offline).
    controllers = await _query(url, "sum(kafka_controller_kafkacontroller_activecontrollercount)")
    assert [float(r["value"][1]) for r in controllers] == [1.0]  # type: ignore[index]
    reporting = await _query(url, "count by (job) (kafka_server_replicamanager_underreplicatedpartitions)")
    assert {r["metric"]["job"] for r in reporting} == nodes  # type: ignore[index]
    offline = await _query(url, "sum(kafka_controller_kafkacontroller_offlinepartitionscount)")
    assert [float(r["value"][1]) for r in offline] == [0.0]  # type: ignore[index]
    # The balancer's front ends, with the connections its per-address cap refused (none here).
    fronts = await _query(url, "haproxy_frontend_denied_connections_total")
    assert {"ingest", "dashboard"} <= {r["metric"]["proxy"] for r in fronts}  # type: ignore[index]
    # The engines through the new jobs: PostgreSQL's exporter logged in, the S3 store's and Airflow's
    # StatsD, the lake job's driver.
    assert await _values(url, 'pg_up{job="postgres-exporter"}') == [1.0]
    statsd = await _query(
        url, 'count by (__name__) ({job="statsd-exporter", __name__=~"versitygw_.+|airflow_.+"})'
    )
    prefixes = {str(r["metric"]["__name__"]).split("_")[0] for r in statsd}  # type: ignore[index]
    assert prefixes == {"versitygw", "airflow"}, prefixes
    assert await _query(url, '{job="spark", __name__=~"metrics_spark_driver_.+"}')


async def test_the_monitor_measures_the_live_worker_and_the_lake_job(cluster: ClusterSettings) -> None:
    """The monitor (Kafka user `monitor`, read-only ACLs) reads the workers' group and the lake job's
    checkpoint: the lag in seconds of both, and the freshness of ingest, the live worker and the lake."""
    url = Prometheus(cluster.devstack(), host=cluster.prometheus_host).url
    consumers = {cluster.streams_app_id, "lake"}
    promql = "topsongs_consumer_lag_seconds"
    deadline = time.monotonic() + 60
    while True:
        found = await _query(url, promql)
        seen = {str(r["metric"]["consumer"]) for r in found}  # type: ignore[index]
        fresh = await _query(url, "topsongs_freshness_newest_timestamp_seconds")
        stages = {str(r["metric"]["stage"]) for r in fresh}  # type: ignore[index]
        if consumers <= seen and {"ingest", "live", "lake"} <= stages:
            break
        assert time.monotonic() < deadline, f"lag of {sorted(seen)}, freshness of {sorted(stages)} only"
        await asyncio.sleep(1)
    # Measured, not just once: every consumer's last success is recent (a refused read stops it).
    ages = await _query(url, "time() - topsongs_monitor_last_success_timestamp_seconds")
    recent = {str(r["metric"]["consumer"]) for r in ages if float(r["value"][1]) < 30}  # type: ignore[index]
    assert consumers <= recent, ages


async def _values(url: str, promql: str) -> list[float]:
    return [float(r["value"][1]) for r in await _query(url, promql)]  # type: ignore[index]
