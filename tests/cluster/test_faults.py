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

It is also the ambiguous-write battery (issue 18): half of the simulator's requests carry no
`event_id`s (`--without-ids-share 0.5`; ingest derives them from the request's Idempotency-Key, which
the simulator keeps on its retries after Retry-After), as do the live plays of two of the four live
regions. Fault 3 stops the leader of plays partitions for longer than ingest's produce timeout, so
requests are answered 503 while their records may still land; fault 6 freezes ingest-1 for a second
before the SIGKILL, so it dies with requests in flight that haproxy resends to ingest-2. Per id class
it counts acked, lost, duplicated in Kafka (one id twice: allowed) and double counted (one play
under two ids: in Kafka, so in PostgreSQL, which counts distinct ids; and in the live charts).

Counted by `event_id` afterwards: every 202 is in Kafka; the lake holds exactly Kafka's plays (the
same ids, each as often); the hour's `plays_hourly` and `top_songs_hourly` equal a brute-force
oracle over Kafka's plays of that hour; every retried answer carried Retry-After and no request
outlived the client's bound; the live charts equal their oracle. Each fault's figures are printed
(run with `-s`) and kept in the test's messages.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
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
from ingest.settings import IngestSettings
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
from tests.streams.live_oracle import expected, plays, wait_for_oracle

pytestmark = pytest.mark.timeout(900)

RATE = 1000  # plays/s the simulator sends for the whole battery
BATCH = 20  # plays per POST /plays: 50 requests/s
CLIENT_TIMEOUT_S = 15.0  # the simulator's HTTP timeout: ingest's 5 s deadline and its 2 s Retry-After fit
STOP_S = 30.0  # how long the hung broker stays stopped
# How long a live client resends a batch answered 503: the stop, then the broker's return to the ISR
# (it was fenced) and the producers' metadata refresh, on a 2-core machine that may be busy with the
# background image builds of `make test` (10 resends, 70 s at most, were once too few in CI).
RESEND_WITHIN_S = STOP_S + 120.0
LIVE_REGIONS = ("US", "GB", "DE", "BR")
# Live plays of these regions are sent without event_ids (the other class: with the client's own).
WITHOUT_IDS_REGIONS = ("DE", "BR")
WITH_IDS, WITHOUT_IDS = "client ids", "no client ids"  # the two id classes, as the figures name them
PRODUCE_TIMEOUT_S = IngestSettings.model_fields["produce_timeout_s"].default  # the profile keeps it
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
    hour_records: list[dict[str, Any]]  # every Kafka record stamped in ``hour``, copies included
    live: LiveClients
    figures: dict[str, Any] = field(default_factory=dict)  # written by write_figures, added to by tests

    def write_figures(self) -> None:
        """``figures`` in artifacts/cluster-faults.json."""
        out = REPO_ROOT / "artifacts" / "cluster-faults.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(orjson.dumps(self.figures, option=orjson.OPT_INDENT_2))

    def id_class(self, event_id: str) -> str:
        """WITH_IDS when the simulator sent this id itself, else WITHOUT_IDS (ingest derived it)."""
        return WITH_IDS if event_id in self.client_ids else WITHOUT_IDS

    @functools.cached_property
    def client_ids(self) -> frozenset[str]:
        """Every event_id the simulator sent itself (answered or not)."""
        return frozenset(self.report["sent_client_ids"])

    def acked(self, cls: str) -> set[str]:
        """Accepted ids of an id class."""
        without = set(self.report["accepted_without_client_ids"])
        return without if cls == WITHOUT_IDS else self.accepted() - without

    def records(self, cls: str) -> list[dict[str, Any]]:
        """The hour's Kafka records of an id class."""
        return [r for r in self.hour_records if self.id_class(str(r["event_id"])) == cls]

    def id_classes(self) -> dict[str, dict[str, int]]:
        """Per id class: acked, lost, duplicated in Kafka (copies of one id) and double counted (one
        play under more than one id: what every chart, counting distinct ids, would count twice)."""
        figures = {}
        for cls in (WITH_IDS, WITHOUT_IDS):
            records, acked = self.records(cls), self.acked(cls)
            copies = Counter(str(r["event_id"]) for r in records)
            figures[cls] = {
                "acked": len(acked),
                "lost": len(acked - set(self.kafka_ids)),
                "duplicated_in_kafka": sum(n - 1 for n in copies.values()),
                "double_counted_in_kafka": double_counted(records),
            }
        return figures

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


def play_of(record: dict[str, Any]) -> tuple[object, ...]:
    """What tells one play from another, its event_id aside (the simulator never repeats it)."""
    return tuple(record[k] for k in ("user_id", "song_id", "region", "played_at", "ms_played", "device"))


def double_counted(records: list[dict[str, Any]]) -> int:
    """Plays that are in ``records`` under more than one event_id: the ids beyond the first."""
    ids: dict[tuple[object, ...], set[str]] = {}
    for r in records:
        ids.setdefault(play_of(r), set()).add(str(r["event_id"]))
    return sum(len(group) - 1 for group in ids.values())


def one_per_play(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record of each play (the first), whatever its ids."""
    return list({play_of(r): r for r in reversed(records)}.values())


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


@dataclass
class LiveClients:
    """What the live plays' clients were answered, per id class."""

    acked: Counter[str] = field(default_factory=Counter)  # events answered 202
    answered_503: Counter[str] = field(default_factory=Counter)  # events answered 503 (then resent)
    ids_changed: int = 0  # events sent without ids whose id in one answer differs from another's


def id_class(event: PlayEvent) -> str:
    """The id class of a live play: its region says whether its client sends its event_id."""
    return WITHOUT_IDS if event.region in WITHOUT_IDS_REGIONS else WITH_IDS


async def post(client: httpx.AsyncClient, events: list[PlayEvent], tally: LiveClients) -> None:
    """POST one batch of live plays of one id class, with a fresh Idempotency-Key kept on its resends;
    a 503 must carry Retry-After and is resent (bounded) after it."""
    cls = id_class(events[0])
    items = [orjson.loads(e.to_json()) for e in events]
    if cls == WITHOUT_IDS:
        items = [{k: v for k, v in item.items() if k != "event_id"} for item in items]
    headers = {"idempotency-key": str(uuid.uuid4())}
    named: list[str] | None = None
    deadline = time.monotonic() + RESEND_WITHIN_S
    while time.monotonic() < deadline:
        resp = await client.post("/plays", json={"events": items}, headers=headers)
        if resp.headers.get("content-type") == "application/json" and resp.status_code in (202, 503):
            ids = resp.json()["event_ids"]  # haproxy's own 503 (no server left) is plain text
            if cls == WITHOUT_IDS and named is not None:
                tally.ids_changed += sum(a != b for a, b in zip(named, ids, strict=True))
            named = ids
        if resp.status_code != 503:
            assert resp.status_code == 202, resp.text
            tally.acked[cls] += len(events)
            return
        tally.answered_503[cls] += len(events)
        await asyncio.sleep(float(resp.headers["retry-after"]))
    raise AssertionError(f"503 to every resend for {RESEND_WITHIN_S:.0f} s")


async def send_live(cluster: Cluster, events: list[PlayEvent], tally: LiveClients) -> None:
    """Current plays for the live charts, through the balancer, four requests at a time; each
    request holds plays of one id class."""
    slots = asyncio.Semaphore(4)
    key = {"x-api-key": cluster.ingest_key_file.read_text().strip()}
    client = httpx.AsyncClient(base_url=cluster.ingest_url, timeout=CLIENT_TIMEOUT_S, headers=key)
    batches = [
        part[i : i + BATCH]
        for cls in (WITH_IDS, WITHOUT_IDS)
        for part in [[e for e in events if id_class(e) == cls]]
        for i in range(0, len(part), BATCH)
    ]
    async with client:

        async def one(batch: list[PlayEvent]) -> None:
            async with slots:
                await post(client, batch, tally)

        await asyncio.gather(*(one(batch) for batch in batches))


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
            *("--report", str(report), "--no-progress", "--without-ids-share", "0.5"),
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


async def stop_leader(cluster: Cluster, live: list[PlayEvent], tally: LiveClients) -> Fault:
    """SIGSTOP the leader of plays partitions (a hung host: its connections stay open), one that is
    not the controller when another leads any, for STOP_S, far past ingest's produce timeout: the
    requests for its partitions are answered 503 while their records may still land. ``live`` is
    sent meanwhile, so the live charts see those ambiguous writes too."""
    assert STOP_S > 2 * PRODUCE_TIMEOUT_S
    controller = controller_leader(cluster.settings)
    leaders = await cluster.leaders()
    candidates = sorted({n for n in leaders.values() if n >= 0}, key=lambda n: (n == controller, -n))
    victim = candidates[0]
    led = sorted(p for p, node in leaders.items() if node == victim)
    fault = Fault(f"SIGSTOP leader of partitions {led} (node {victim}) for {STOP_S:.0f} s")
    fault.detail["controller"] = victim == controller
    before, started = cluster.lb.answered_5xx("ingest"), time.monotonic()
    broker = cluster.node(victim).broker()
    kill(broker, signal.SIGSTOP)
    try:
        sending = asyncio.create_task(send_live(cluster, live, tally))
        await asyncio.sleep(STOP_S)
    finally:
        kill(broker, signal.SIGCONT)
    await sending
    await cluster.healthy_kafka()
    fault.recovery_s = time.monotonic() - started - STOP_S
    fault.detail["recovery counted from SIGCONT"] = True
    fault.answered_5xx = cluster.lb.answered_5xx("ingest") - before
    return fault


async def kill_streams_worker(
    cluster: Cluster, live: list[PlayEvent], tally: LiveClients, counted: list[PlayEvent]
) -> Fault:
    """SIGKILL streams-1 between two sends of current plays; streams-2 takes every partition and the
    live charts (through the balancer's dashboard-api) equal the oracle of all of them and of
    ``counted`` (sent before), per play, whichever id class its client is of."""
    partitions = set(range(cluster.admin.plays_partitions))

    async def shared() -> bool:
        owned = await cluster.assignments()
        return len(owned) == 2 and all(owned.values()) and set().union(*owned.values()) == partitions

    await eventually(shared, 120, "two streams workers sharing the plays partitions")
    half = len(live) // 2
    await send_live(cluster, live[:half], tally)
    victim = cluster.apps["streams-1"]
    fault, started = Fault("SIGKILL streams-1"), time.monotonic()
    kill(victim)
    await send_live(cluster, live[half:], tally)

    async def taken_over() -> bool:
        owned = await cluster.assignments()
        return len(owned) == 1 and next(iter(owned.values())) == partitions

    await eventually(taken_over, 180, "streams-2 owning every plays partition")
    fault.detail["partitions taken over in s"] = round(time.monotonic() - started, 1)
    async with httpx.AsyncClient(base_url=cluster.dashboard_url, timeout=10) as http:
        snaps = await wait_for_oracle(http, counted + live, LIVE_REGIONS, timeout_s=180)
    fault.recovery_s = time.monotonic() - started
    fault.detail["live double counted"] = live_double_counted(snaps, counted + live)
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


def live_double_counted(
    snaps: dict[tuple[str, str], dict[str, Any]], sent: list[PlayEvent]
) -> dict[str, int]:
    """Per id class, plays the live charts count beyond the oracle of distinct plays (each song of
    each chart), over the snapshots that matched it: 0 unless the oracle check is wrong."""
    excess: Counter[str] = Counter({WITH_IDS: 0, WITHOUT_IDS: 0})
    for (region, _window), snap in snaps.items():
        want = {
            e["song_id"]: e["plays"] for e in expected(sent, region, snap["window_start"], snap["window_end"])
        }
        over = sum(max(0, e["plays"] - want.get(e["song_id"], 0)) for e in snap["entries"])
        excess[WITHOUT_IDS if region in WITHOUT_IDS_REGIONS else WITH_IDS] += over
    return dict(excess)


def resent_by_haproxy(cluster: Cluster) -> int:
    """Requests the ingest pool retried or redispatched to another server so far (`retry-on`)."""
    rows = [r for r in cluster.lb.stats() if r["pxname"] == "ingest" and r["svname"] == "BACKEND"]
    return sum(int(r["wretr"] or 0) + int(r["wredis"] or 0) for r in rows)


async def kill_ingest(cluster: Cluster) -> Fault:
    """SIGKILL ingest-1 mid-request: frozen (SIGSTOP) for a second first, so requests are in flight in
    it when it dies (some past their send to Kafka) and haproxy resends them to ingest-2 with their
    Idempotency-Key; haproxy marks it DOWN and sends everything to ingest-2; restart it."""
    victim = cluster.apps["ingest-1"]
    fault = Fault("SIGKILL ingest-1 mid-request")
    before, started = cluster.lb.answered_5xx("ingest"), time.monotonic()
    resent = resent_by_haproxy(cluster)
    kill(victim, signal.SIGSTOP)
    await asyncio.sleep(1.0)
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
    fault.detail["requests haproxy resent"] = resent_by_haproxy(cluster) - resent
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
    tally, stopped_live = LiveClients(), []
    try:
        await asyncio.sleep(5)  # steady load first
        assert load.proc.poll() is None, load.log.read_text()
        faults.append(await kill_controller(handles))
        faults.append(await kill_leader(handles))
        # Current plays for the live charts, stamped when they are sent.
        stopped_live = plays(LIVE_REGIONS, 600, songs=30, seed=22)
        faults.append(await stop_leader(handles, stopped_live, tally))
        before = handles.lb.answered_5xx("ingest")
        live = plays(LIVE_REGIONS, 1200, songs=30, seed=23)
        app_faults = await asyncio.gather(
            kill_streams_worker(handles, live, tally, stopped_live),
            kill_spark_worker(handles),
            kill_ingest(handles),
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
    hour_records = [
        r
        for r in records
        if hour <= datetime.fromisoformat(str(r["played_at"]).replace("Z", "+00:00")) < hour + HOUR
    ]
    hour_plays = {str(r["event_id"]): r for r in hour_records}
    outcome = Battery(
        hour=hour,
        report=report,
        faults=faults,
        kafka_ids=Counter(str(r["event_id"]) for r in records),
        hour_plays=hour_plays,
        lake_ids=await asyncio.to_thread(read_lake_ids, handles),
        etl=(api, run_id),
        hour_records=hour_records,
        live=tally,
    )
    write_figures(outcome, caught_up)
    yield outcome


def write_figures(battery: Battery, caught_up_s: float) -> None:
    """The run's figures in artifacts/cluster-faults.json (`make test` prints no passing test's output)."""
    figures = battery.figures
    figures |= {
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
        "id_classes": battery.id_classes(),
        "live_clients": {
            "acked": dict(battery.live.acked),
            "answered_503": dict(battery.live.answered_503),
            "ids_changed_between_answers": battery.live.ids_changed,
        },
    }
    battery.write_figures()


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
    # Double counted in PostgreSQL: its plays beyond the oracle over distinct plays (not ids), in
    # all; per id class, its class's ids beyond its plays (PostgreSQL counts distinct ids, above).
    plays_only = oracle_hour(one_per_play(battery.hour_records), battery.hour, regions)
    pg_now = await asyncio.to_thread(plays_hourly, pg, battery.hour, regions)
    extra = {
        (region, song): n - dict(plays_only[region]).get(song, 0)
        for region, songs in pg_now.items()
        for song, n in songs
        if n > dict(plays_only[region]).get(song, 0)
    }
    per_class = {
        cls: total(oracle_hour(battery.records(cls), battery.hour, regions))
        - total(oracle_hour(one_per_play(battery.records(cls)), battery.hour, regions))
        for cls in (WITH_IDS, WITHOUT_IDS)
    }
    for cls, n in per_class.items():
        battery.figures["id_classes"][cls]["double_counted_in_postgresql"] = n
    battery.figures["double_counted_in_postgresql"] = sum(extra.values())
    battery.write_figures()
    print(f"double counted in PostgreSQL: {sum(extra.values())} in all, per id class {per_class}")
    assert not extra and not any(per_class.values()), (
        f"plays_hourly counts plays twice: {list(extra.items())[:5]}"
    )


def total(chart: dict[str, list[tuple[str, int]]]) -> int:
    """Every play of a per-region chart."""
    return sum(n for songs in chart.values() for _song, n in songs)


def test_no_play_is_lost_or_counted_twice_in_either_id_class(battery: Battery) -> None:
    """The ambiguous-write battery's verdict: per id class, every 202 is in Kafka and no play is there
    under two ids (copies of one id are allowed: downstream counts each id once); the live charts
    equalled the oracle of distinct plays; no answer named other ids for a play than an earlier one."""
    classes = battery.figures["id_classes"]
    live = next(f.detail["live double counted"] for f in battery.faults if "live double counted" in f.detail)
    summary = battery.report["summary"]
    for cls in (WITH_IDS, WITHOUT_IDS):
        print(f"{cls}: {classes[cls]}, live: acked {battery.live.acked[cls]}, double counted {live[cls]}")
    changed = (summary["ids_changed_on_retry"], battery.live.ids_changed)
    print(f"ids changed between answers: simulator {changed[0]}, live {changed[1]}")
    # Both classes were loaded and met the faults' ambiguous answers.
    assert all(classes[cls]["acked"] > 10_000 for cls in classes), classes
    assert all(battery.live.acked[cls] > 0 for cls in classes), battery.live
    assert all(c["lost"] == 0 and c["double_counted_in_kafka"] == 0 for c in classes.values()), classes
    assert live == {WITH_IDS: 0, WITHOUT_IDS: 0}
    assert changed == (0, 0)
