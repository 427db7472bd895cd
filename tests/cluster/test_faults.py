"""The fault battery: the cluster profile under the simulator's 1,000 plays/s while its processes fail.

One run of `simulator run` sends through haproxy for the whole battery; its plays are stamped two
hours back (`--start`), so that their UTC hour is closed and late for the live side (which drops
them: its allowed lateness is 10 minutes) and its hourly chart can be computed inside the test by a
run of `plays_hourly_etl` triggered through Airflow's REST API, as an operator would. The faults,
one after another so each one's 503s can be told apart:

1. SIGKILL the active controller, restart it; 2. SIGKILL the leader of a plays partition (another
node), restart it; 3. SIGSTOP a third node for 30 s (a hung host), SIGCONT; then, at once (none of
them touches the others' part): 4. SIGKILL one streams worker, while current plays are sent for the
live charts; 5. SIGKILL one Spark worker (its executor goes with it) while the query runs; 6.
SIGKILL one ingest process.

Counted by `event_id` afterwards: every 202 is in Kafka; the lake holds exactly Kafka's plays (the
same ids, each as often); the hour's `plays_hourly` and `top_songs_hourly` equal a brute-force
oracle over Kafka's plays of that hour; every retried answer carried Retry-After and no request
outlived the client's bound; the live charts equal their oracle. Each fault's figures are printed
(run with `-s`) and kept in the test's messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from topsongs_charts.lake import Lake
from topsongs_charts.progress import Offsets, kafka_end_offsets, lake_behind
from topsongs_charts.raw import lake_files
from topsongs_charts.settings import ChartsSettings
from topsongs_core.events import PlayEvent
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import ContractSettings, KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.apps import AppService
from topsongs_devstack.cluster.apps import balancer, services
from topsongs_devstack.cluster.kafka import KafkaNode, cluster_health, controller_leader
from topsongs_devstack.cluster.settings import ClusterSettings, service_kafka_settings
from topsongs_devstack.cluster.spark import SparkWorker, daemons, master_state
from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.services.airflow import USER

from tests.e2e.airflow_stack import AirflowApi
from tests.e2e.charts_oracle import oracle_hour, plays_hourly, top_songs_hourly
from tests.streams.live_oracle import plays, wait_for_oracle

pytestmark = pytest.mark.timeout(900)

RATE = 1000  # plays/s the simulator sends for the whole battery
BATCH = 20  # plays per POST /plays: 50 requests/s
CLIENT_TIMEOUT_S = 15.0  # the simulator's HTTP timeout: ingest's 5 s deadline and its 2 s Retry-After fit
STOP_S = 30.0  # how long the hung broker stays stopped
LIVE_REGIONS = ("US", "GB", "DE")
ETL = "plays_hourly_etl"
HOUR = timedelta(hours=1)


@dataclass
class Fault:
    """What one fault did: when, how long until the system was whole again, and the 503s meanwhile."""

    name: str
    recovery_s: float = 0.0
    answered_5xx: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """One printable line of figures."""
        extra = ", ".join(f"{k} {v}" for k, v in self.detail.items())
        return f"{self.name}: recovered in {self.recovery_s:.1f} s, {self.answered_5xx} 5xx answers; {extra}"


@dataclass
class Battery:
    """The run's outcome for the tests below to judge."""

    hour: datetime
    report: dict[str, Any]
    faults: list[Fault]
    kafka_ids: Counter[str]
    hour_plays: dict[str, dict[str, object]]  # event_id → play, Kafka's plays stamped in ``hour``
    lake_ids: Counter[str]
    etl: tuple[AirflowApi, str]  # the REST client and the hour's plays_hourly_etl run, started at once

    def accepted(self) -> set[str]:
        """Event ids the simulator got a 202 for."""
        return set(self.report["accepted_event_ids"])

    def lost(self) -> set[str]:
        """Accepted ids that are not in Kafka."""
        return self.accepted() - set(self.kafka_ids)

    def duplicated(self) -> int:
        """Extra Kafka records of accepted ids (a retried 503 whose first try had reached Kafka)."""
        accepted = self.accepted()
        return sum(n - 1 for i, n in self.kafka_ids.items() if n > 1 and i in accepted)


class Cluster:
    """Handles on the session profile's processes, and clients as the admin user."""

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self.admin = service_kafka_settings(settings, "admin")
        self.apps = {app.name: app for app in services(settings)}
        self.lb = balancer(settings)
        self.spark_workers = [d for d in daemons(settings) if isinstance(d, SparkWorker)]
        self.ingest_url = f"http://{settings.balancer_host}:{settings.ingest_port}"
        # ingest's keys file and the simulator's key, made in the profile's state by the first start
        self.ingest_key_file = ingest_keys(settings.devstack()).simulator_key
        self.dashboard_url = f"http://{settings.balancer_host}:{settings.dashboard_port}"
        s3 = S3Settings(endpoint_url=f"http://{settings.s3_host}:{settings.s3_port}")
        self.charts = ChartsSettings(
            lake=LakeLayout(),
            s3=s3,
            postgres=PostgresSettings(host=settings.postgres_host, port=settings.postgres_port),
            kafka=self.admin,
        )
        self.lake = Lake.from_s3(s3)

    def node(self, index: int) -> KafkaNode:
        """Kafka node ``index`` (1-based, its node id)."""
        return KafkaNode(self.settings, index)

    async def healthy_kafka(self, timeout_s: float = 120) -> float:
        """Wait until every node answers on its own listener and the cluster has three brokers and no
        partition short of replicas; seconds it took. (Right after a kill the metadata still lists the
        dead node in sync for a while: the cluster view alone would call it whole too early.)"""
        started = time.monotonic()
        nodes = [self.node(n) for n in range(1, len(self.settings.kafka_hosts) + 1)]

        async def whole() -> bool:
            answering = await asyncio.gather(*(asyncio.to_thread(node.status) for node in nodes))
            if not all(status.healthy for status in answering):
                return False
            try:
                health = await cluster_health(self.admin)
            except Exception:  # a node that is starting refuses or drops the admin's requests
                return False
            return health.brokers == 3 and health.under_replicated == 0

        await eventually(whole, timeout_s, "Kafka back to 3 brokers, 0 under-replicated")
        return time.monotonic() - started

    @asynccontextmanager
    async def admin_client(self) -> AsyncIterator[AIOKafkaAdminClient]:
        """A started admin client of the cluster, as the admin user; closed after the block."""
        admin = AIOKafkaAdminClient(**aiokafka_connection(self.admin), request_timeout_ms=5000)
        await admin.start()
        try:
            yield admin
        finally:
            await admin.close()

    async def leaders(self) -> dict[int, int]:
        """Leader node of each plays partition."""
        async with self.admin_client() as admin:
            (topic,) = await admin.describe_topics([self.admin.plays_topic])
        return {p["partition"]: p["leader"] for p in topic["partitions"]}

    async def assignments(self) -> dict[str, set[int]]:
        """Streams group member → plays partitions it owns (empty while the group rebalances)."""
        async with self.admin_client() as admin:
            (response,) = await admin.describe_consumer_groups([self.settings.streams_app_id])
        owned: dict[str, set[int]] = {}
        for _err, _gid, state, _ptype, _proto, members, *_ in response.groups:
            if state != "Stable":
                return {}
            for member_id, client_id, _host, _meta, raw in members:
                owned[f"{client_id} {member_id}"] = {
                    p
                    for topic, partitions in ConsumerProtocolMemberAssignment.decode(raw).assignment
                    if topic == self.admin.plays_topic
                    for p in partitions
                }
        return owned

    def airflow_password(self) -> str:
        """The Airflow admin's generated password."""
        path = self.settings.state_dir / "airflow" / "simple_auth_manager_passwords.json"
        return str(json.loads(path.read_text())[USER])


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout_s: float, what: str, every_s: float = 1.0
) -> None:
    """Await ``check`` every ``every_s`` until true, bounded. Once a second by default: most checks
    open secured Kafka clients, and on 2 cores their handshakes slow the recovery they watch."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"{what} within {timeout_s:.0f} s"
        await asyncio.sleep(every_s)


def kill(app: AppService | SparkWorker, sig: signal.Signals = signal.SIGKILL) -> int:
    """Send ``sig`` to the process group of a running process; its pid."""
    pid = app.proc.pid()
    assert pid is not None, f"{app.name} is not running"
    os.killpg(pid, sig)
    return pid


async def post(client: httpx.AsyncClient, events: list[PlayEvent]) -> None:
    """POST one batch of live plays; a 503 must carry Retry-After and is resent (bounded)."""
    body = {"events": [orjson.loads(e.to_json()) for e in events]}
    for _ in range(10):
        resp = await client.post("/plays", json=body)
        if resp.status_code != 503:
            assert resp.status_code == 202, resp.text
            return
        await asyncio.sleep(float(resp.headers["retry-after"]))
    raise AssertionError("503 ten times in a row")


async def send_live(cluster: Cluster, events: list[PlayEvent]) -> None:
    """Current plays for the live charts, through the balancer, four requests at a time."""
    slots = asyncio.Semaphore(4)
    key = {"x-api-key": cluster.ingest_key_file.read_text().strip()}
    client = httpx.AsyncClient(base_url=cluster.ingest_url, timeout=CLIENT_TIMEOUT_S, headers=key)
    async with client:

        async def one(batch: list[PlayEvent]) -> None:
            async with slots:
                await post(client, batch)

        await asyncio.gather(*(one(events[i : i + BATCH]) for i in range(0, len(events), BATCH)))


class Load:
    """`simulator run` at RATE plays/s through the balancer, stamped from ``start``, until stopped."""

    def __init__(self, cluster: Cluster, start: datetime, report: Path) -> None:
        self.report_path = report
        argv = [
            *(sys.executable, "-m", "simulator.cli", "run"),
            *("--ingest-url", cluster.ingest_url, "--rate", str(RATE), "--batch-size", str(BATCH)),
            *("--api-key-file", str(cluster.ingest_key_file)),
            *("--duration", "15m", "--start", start.isoformat(), "--seed", "2311"),
            *("--concurrency", "32", "--timeout", str(CLIENT_TIMEOUT_S), "--max-retries", "12"),
            *("--report", str(report), "--no-progress"),
        ]
        self.log = report.with_suffix(".log")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> dict[str, Any]:
        """Stop it (SIGTERM: it reports what it sent so far) and return its report; never leave it running."""
        self.proc.terminate()
        try:
            code = self.proc.wait(60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        assert code == 130, f"simulator exited {code}:\n{self.log.read_text()[-3000:]}"
        report: dict[str, Any] = orjson.loads(self.report_path.read_bytes())
        return report


async def kill_node(
    cluster: Cluster,
    victim: int,
    fault: Fault,
    taken_over: Callable[[], Awaitable[bool]],
    what: str,
    every_s: float = 1.0,
) -> Fault:
    """SIGKILL node ``victim``; once ``taken_over`` holds (``what``: the other nodes took its role),
    restart it and wait until the cluster is whole; ``fault`` gets the times and the 5xx meanwhile."""
    before, started = cluster.lb.answered_5xx("ingest"), time.monotonic()
    kill(cluster.node(victim).broker())
    await eventually(taken_over, 60, what, every_s)
    fault.detail[f"{what} in s"] = round(time.monotonic() - started, 1)
    await asyncio.to_thread(cluster.node(victim).up)
    await cluster.healthy_kafka()
    fault.recovery_s = time.monotonic() - started
    fault.answered_5xx = cluster.lb.answered_5xx("ingest") - before
    return fault


async def kill_controller(cluster: Cluster) -> Fault:
    """SIGKILL the active controller; a new one is elected; the node restarts and catches up."""
    victim = controller_leader(cluster.settings)
    assert victim is not None

    async def elected() -> bool:
        return controller_leader(cluster.settings) not in (None, victim)

    fault = Fault(f"SIGKILL active controller (node {victim})")
    # The quorum-state files are cheap to read: a finer figure.
    return await kill_node(cluster, victim, fault, elected, "new controller elected", every_s=0.25)


async def kill_leader(cluster: Cluster) -> Fault:
    """SIGKILL the leader of a plays partition that is not the controller; restart it."""
    controller = controller_leader(cluster.settings)
    leaders = await cluster.leaders()
    victim = next(node for node in sorted(set(leaders.values())) if node != controller)
    led = sorted(p for p, node in leaders.items() if node == victim)

    async def moved() -> bool:
        try:
            now = await cluster.leaders()
        except Exception:
            return False
        return all(now.get(p) not in (victim, -1, None) for p in led)

    fault = Fault(f"SIGKILL leader of partitions {led} (node {victim})")
    return await kill_node(cluster, victim, fault, moved, "new leaders elected")


async def stop_broker(cluster: Cluster) -> Fault:
    """SIGSTOP a node that is not the controller (a hung host: its connections stay open) for STOP_S."""
    controller = controller_leader(cluster.settings)
    victim = next(n for n in (3, 2, 1) if n != controller)
    fault = Fault(f"SIGSTOP node {victim} for {STOP_S:.0f} s")
    before, started = cluster.lb.answered_5xx("ingest"), time.monotonic()
    broker = cluster.node(victim).broker()
    kill(broker, signal.SIGSTOP)
    try:
        await asyncio.sleep(STOP_S)
    finally:
        kill(broker, signal.SIGCONT)
    await cluster.healthy_kafka()
    fault.recovery_s = time.monotonic() - started - STOP_S
    fault.detail["recovery counted from SIGCONT"] = True
    fault.answered_5xx = cluster.lb.answered_5xx("ingest") - before
    return fault


async def kill_streams_worker(cluster: Cluster, live: list[PlayEvent]) -> Fault:
    """SIGKILL streams-1 between two sends of current plays; streams-2 takes every partition and the
    live charts (through the balancer's dashboard-api) equal the oracle of all of them."""
    partitions = set(range(cluster.admin.plays_partitions))

    async def shared() -> bool:
        owned = await cluster.assignments()
        return len(owned) == 2 and all(owned.values()) and set().union(*owned.values()) == partitions

    await eventually(shared, 120, "two streams workers sharing the plays partitions")
    half = len(live) // 2
    await send_live(cluster, live[:half])
    victim = cluster.apps["streams-1"]
    fault, started = Fault("SIGKILL streams-1"), time.monotonic()
    kill(victim)
    await send_live(cluster, live[half:])

    async def taken_over() -> bool:
        owned = await cluster.assignments()
        return len(owned) == 1 and next(iter(owned.values())) == partitions

    await eventually(taken_over, 180, "streams-2 owning every plays partition")
    fault.detail["partitions taken over in s"] = round(time.monotonic() - started, 1)
    async with httpx.AsyncClient(base_url=cluster.dashboard_url, timeout=10) as http:
        await wait_for_oracle(http, live, LIVE_REGIONS, timeout_s=180)
    fault.recovery_s = time.monotonic() - started
    fault.detail["live charts equal the oracle after s"] = round(fault.recovery_s, 1)
    await asyncio.to_thread(victim.up)
    return fault


async def kill_spark_worker(cluster: Cluster) -> Fault:
    """SIGKILL spark-worker-1 and its executor while the query runs; the query goes on with the other
    worker's executor (the lake's committed offsets pass Kafka's end offsets of the moment of the kill)."""
    worker = cluster.spark_workers[0]
    (app,) = (master_state(cluster.settings) or {}).get("activeapps", [])
    assert app["cores"] == cluster.settings.lake_cores_max, app
    for daemon in cluster.spark_workers:  # the lake job had an executor on each worker
        work = daemon.work_dir / "work" / app["id"]
        assert list(work.glob("*/stderr")), f"no executor of {app['id']} ran on {daemon.name}"
    fault, started = Fault(f"SIGKILL {worker.name} (and its executor)"), time.monotonic()
    ends = await asyncio.to_thread(kafka_end_offsets, cluster.admin)
    kill(worker)

    await lake_caught_up(cluster, 180, ends)  # the query goes on, on the other worker
    fault.recovery_s = time.monotonic() - started
    fault.detail["alive workers while it was down"] = _alive_hosts(cluster)
    await eventually(
        lambda: asyncio.to_thread(lambda: worker.host not in _alive_hosts(cluster)),
        90,
        f"the master dropping {worker.name}",
    )
    await asyncio.to_thread(worker.up)
    return fault


def _alive_hosts(cluster: Cluster) -> list[str]:
    state = master_state(cluster.settings) or {}
    return [w["host"] for w in state.get("workers", []) if w.get("state") == "ALIVE"]


async def kill_ingest(cluster: Cluster) -> Fault:
    """SIGKILL ingest-1: haproxy marks it DOWN and sends everything to ingest-2; restart it."""
    victim = cluster.apps["ingest-1"]
    fault = Fault("SIGKILL ingest-1")
    before, started = cluster.lb.answered_5xx("ingest"), time.monotonic()
    kill(victim)

    async def down() -> bool:
        return cluster.lb.servers().get("ingest/ingest-1") == "DOWN"

    await eventually(down, 30, "haproxy marking ingest-1 DOWN", every_s=0.25)
    fault.detail["marked DOWN in s"] = round(time.monotonic() - started, 2)
    await asyncio.sleep(3)  # ingest-2 alone takes the load
    await asyncio.to_thread(victim.up)

    async def up() -> bool:
        return cluster.lb.servers().get("ingest/ingest-1") == "UP"

    await eventually(up, 60, "haproxy marking ingest-1 UP again", every_s=0.25)
    fault.recovery_s = time.monotonic() - started
    fault.answered_5xx = cluster.lb.answered_5xx("ingest") - before
    return fault


async def read_plays(kafka: KafkaSettings) -> list[dict[str, Any]]:
    """Every record of the plays topic up to its end offsets of now, decoded."""
    tps = [TopicPartition(kafka.plays_topic, p) for p in range(kafka.plays_partitions)]
    consumer = AIOKafkaConsumer(**aiokafka_connection(kafka), enable_auto_commit=False)
    found: list[dict[str, Any]] = []
    async with consumer:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + 120
        while not all([await consumer.position(tp) >= ends[tp] for tp in tps]):
            assert time.monotonic() < deadline, f"plays not read to {ends} within 120 s"
            for records in (await consumer.getmany(timeout_ms=1000, max_records=20_000)).values():
                found.extend(orjson.loads(r.value) for r in records if r.value)
    return found


def read_lake_ids(cluster: Cluster) -> Counter[str]:
    """event_id of every row in the raw Parquet files Spark's log has committed."""
    ids: Counter[str] = Counter()
    for key in lake_files(cluster.lake, cluster.charts.lake.plays_path, honour_spark_log=True):
        ids.update(cluster.lake.read_parquet(key, columns=["event_id"]).column("event_id").to_pylist())
    return ids


async def lake_caught_up(cluster: Cluster, timeout_s: float = 240, ends: Offsets | None = None) -> float:
    """Wait until the lake's newest commit covers ``ends`` (Kafka's end offsets of now by default);
    seconds it took."""
    started = time.monotonic()
    if ends is None:
        ends = await asyncio.to_thread(kafka_end_offsets, cluster.admin)
    target = ends

    async def covered() -> bool:
        return not await asyncio.to_thread(lake_behind, cluster.charts, target, cluster.lake)

    await eventually(covered, timeout_s, f"the lake covering Kafka's end offsets {ends}")
    return time.monotonic() - started


@pytest.fixture(scope="module")
async def battery(cluster: ClusterSettings) -> AsyncIterator[Battery]:
    """Run the load and the faults once; read back Kafka, the lake and the hour's charts."""
    handles = Cluster(cluster)
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0) - 2 * HOUR
    await handles.healthy_kafka(60)
    load = Load(handles, hour + timedelta(seconds=30), cluster.state_dir / "battery-report.json")
    faults: list[Fault] = []
    live = plays(LIVE_REGIONS, 1500, songs=30, seed=23)  # current plays, for the live charts
    try:
        await asyncio.sleep(5)  # steady load first
        assert load.proc.poll() is None, load.log.read_text()
        faults.append(await kill_controller(handles))
        faults.append(await kill_leader(handles))
        faults.append(await stop_broker(handles))
        before = handles.lb.answered_5xx("ingest")
        app_faults = await asyncio.gather(
            kill_streams_worker(handles, live), kill_spark_worker(handles), kill_ingest(handles)
        )
        faults.extend(app_faults)
        app_faults[-1].detail["5xx while streams, Spark and ingest faults ran"] = (
            handles.lb.answered_5xx("ingest") - before
        )
    finally:
        report = load.stop()
    for fault in faults:
        print(fault.line())
    # As an operator would once the hour is complete: a run of its ETL, which itself waits for the
    # lake to hold every play Kafka has now. Dated now: the scheduler's run of the previous hour
    # holds that hour's start as its logical date, and a DAG has one run per logical date.
    url = f"http://{cluster.airflow_hosts[0]}:{cluster.airflow_port}"
    api = await AirflowApi.login(url, handles.airflow_password())
    await api.unpause(ETL)
    run_id = await api.trigger(ETL, (hour, hour + HOUR), logical_date=datetime.now(UTC))
    caught_up = await lake_caught_up(handles)
    print(f"lake covered Kafka's end offsets {caught_up:.1f} s after the load stopped")
    records = await read_plays(handles.admin)
    hour_plays = {
        str(r["event_id"]): r
        for r in records
        if hour <= datetime.fromisoformat(str(r["played_at"]).replace("Z", "+00:00")) < hour + HOUR
    }
    outcome = Battery(
        hour=hour,
        report=report,
        faults=faults,
        kafka_ids=Counter(str(r["event_id"]) for r in records),
        hour_plays=hour_plays,
        lake_ids=await asyncio.to_thread(read_lake_ids, handles),
        etl=(api, run_id),
    )
    write_figures(outcome, caught_up)
    yield outcome


def write_figures(battery: Battery, caught_up_s: float) -> None:
    """The run's figures in artifacts/cluster-faults.json (`make test` prints no passing test's output)."""
    figures = {
        "simulator": battery.report["summary"],
        "accepted": len(battery.accepted()),
        "lost": len(battery.lost()),
        "duplicated_in_kafka": battery.duplicated(),
        "lake_rows": sum(battery.lake_ids.values()),
        "kafka_records": sum(battery.kafka_ids.values()),
        "lake_caught_up_s": round(caught_up_s, 1),
        "faults": [
            {"fault": f.name, "recovery_s": round(f.recovery_s, 1), "5xx": f.answered_5xx, **f.detail}
            for f in battery.faults
        ],
    }
    out = REPO_ROOT / "artifacts" / "cluster-faults.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))


async def test_every_accepted_play_is_in_kafka_and_the_lake_exactly(battery: Battery) -> None:
    summary, accepted, lost = battery.report["summary"], battery.accepted(), battery.lost()
    # The load ran for the whole battery, at half the target rate or more (figures in the note).
    assert summary["elapsed_s"] > 60 and len(accepted) >= RATE * summary["elapsed_s"] / 2, summary
    print(f"accepted {len(accepted)}, lost {len(lost)}, duplicated in Kafka {battery.duplicated()}")
    assert not lost, f"{len(lost)} plays answered 202 are not in Kafka, e.g. {sorted(lost)[:5]}"
    assert accepted <= set(battery.hour_plays), "every accepted play is stamped in the battery's hour"
    missing = battery.kafka_ids - battery.lake_ids
    extra = battery.lake_ids - battery.kafka_ids
    assert not missing and not extra, (
        f"lake vs Kafka: {sum(missing.values())} missing, {sum(extra.values())} extra"
    )


def test_retries_were_asked_for_and_no_request_hung(battery: Battery) -> None:
    summary = battery.report["summary"]
    print("retried answers:", summary["retried_statuses"], "latency ms:", summary["latency_ms"])
    # Every answer the simulator retried said when to come back; none timed out at the client.
    assert summary["retry_after_missing"] == 0, summary
    errors = {k: v for k, v in summary["events_by_status"].items() if k != "202"}
    assert errors == {}, (
        f"events not accepted in the end: {errors}; rejected: {battery.report['rejected'][:5]}"
    )
    assert summary["latency_ms"]["max"] < CLIENT_TIMEOUT_S * 1000


async def test_the_hour_processed_by_airflow_equals_the_oracle(
    battery: Battery, cluster: ClusterSettings
) -> None:
    api, run_id = battery.etl
    state = await api.wait(ETL, run_id, timeout_s=420)
    assert state == "success", await api.task_states(ETL, run_id)
    pg, regions = Cluster(cluster).charts.postgres, ContractSettings().regions
    want = oracle_hour(list(battery.hour_plays.values()), battery.hour, regions)

    # The restatement DAG may be restating the same hour meanwhile (the lake gained files): both
    # compute from the whole lake, so the tables settle on the oracle.
    async def settled() -> bool:
        return await asyncio.to_thread(plays_hourly, pg, battery.hour, regions) == want

    await eventually(settled, 120, f"plays_hourly of {battery.hour} equal to the oracle")
    top = {region: songs[: Cluster(cluster).charts.top_n] for region, songs in want.items()}
    assert top_songs_hourly(pg, battery.hour, regions) == top
