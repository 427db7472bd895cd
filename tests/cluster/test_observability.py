"""The profile's Prometheus scrapes every node and replica: the three Kafka nodes' JMX exporters,
haproxy's own exporter and each ingest, dashboard-api and streams process, all `up`, and the
brokers' and the balancer's own metrics."""

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
