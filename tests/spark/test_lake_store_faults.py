"""The S3 store SIGKILLed while the lake job commits micro-batches under load, then restarted: the
lake, read through the sink's log, holds exactly the plays Kafka holds, each once.

The store is a private versitygw (the shared one at 17070 is never touched); the job runs as
`make up` runs it, on a private topic of the shared broker, and is started again when the outage
killed it, as an operator (`make up`) or compose (`restart: unless-stopped`) would.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from aiokafka import AIOKafkaProducer
from topsongs_charts.lake import Lake
from topsongs_charts.raw import lake_files
from topsongs_core.lake_layout import SPARK_LOG, LakeLayout
from topsongs_core.settings import KafkaSettings, S3Settings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.objectstore import ObjectStore
from topsongs_devstack.process import free_port
from topsongs_devstack.services.spark import spark_jars

from tests.engines import private_state_dir, sigkill_server
from tests.ingest.support import read_all
from tests.spark.lake_job import running_job
from tests.spark.lake_plays import make_plays

PLAYS_PER_S = 50
DOWN_S = 3.0  # how long the store stays dead (a supervisor's restart delay)
WAIT_S = 300.0  # bound of every wait (a JVM start on a busy 2-core machine included)


@dataclass(frozen=True)
class Commit:
    """Where the plays query is in its commit protocol, read from the store's files on disk."""

    planned: int  # newest offsets/N: batch N is planned
    logged: int  # newest _spark_metadata/N: its files are part of the table
    committed: int  # newest commits/N: its offsets are done
    unlisted: frozenset[str]  # Parquet files on disk that the sink's log does not name (yet)


# The moments of a micro-batch's commit at which the store dies; ``orphans`` are files of attempts
# killed before (never listed), which are not a batch under way.
STAGES: dict[str, Callable[[Commit, frozenset[str]], bool]] = {
    "batch planned, no file written yet": lambda c, orphans: c.planned > c.logged and c.unlisted <= orphans,
    "files written, not yet in the sink's log": lambda c, orphans: bool(c.unlisted - orphans),
    "sink log written, checkpoint commit not yet": lambda c, orphans: c.logged > c.committed,
}


class StoreOnDisk:
    """The private store's bucket folder, read directly (no request reaches the gateway)."""

    def __init__(self, store: ObjectStore, lake: LakeLayout) -> None:
        bucket = store.s3.bucket
        self.prefix = lake.plays_path
        self.dataset = store.root / bucket / lake.plays_path
        self.checkpoint = store.root / bucket / lake.checkpoint_key(bucket, "plays")
        self._logged: dict[str, list[str]] = {}  # log file name -> the files it adds

    def commit(self) -> Commit:
        """The commit protocol's state now."""
        log = self.dataset / SPARK_LOG
        for entry in _numbered(log):
            if entry.name not in self._logged:
                lines = [json.loads(line) for line in entry.read_text().splitlines()[1:] if line.strip()]
                self._logged[entry.name] = [
                    _relative(unquote(e["path"]), self.prefix) for e in lines if e.get("action") == "add"
                ]
        # A compaction lists every file of the batches before it once more.
        since = max((_number(n) for n in self._logged if n.endswith(".compact")), default=-1)
        listed = {f for name, files in self._logged.items() if _number(name) >= since for f in files}
        written = {
            str(p.relative_to(self.dataset))
            for p in self.dataset.glob("region=*/date=*/hour=*/*.parquet")
            if not p.name.startswith(".")
        }
        return Commit(
            planned=_newest(self.checkpoint / "offsets"),
            logged=_newest(log),
            committed=_newest(self.checkpoint / "commits"),
            unlisted=frozenset(written - listed),
        )


def _number(name: str) -> int:
    return int(name.split(".")[0])


def _numbered(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.name.split(".")[0].isdigit()]
    except FileNotFoundError:
        return []


def _newest(folder: Path) -> int:
    return max((_number(p.name) for p in _numbered(folder)), default=-1)


def _relative(uri: str, prefix: str) -> str:
    return uri[uri.index(f"/{prefix}/") + len(prefix) + 2 :]


@pytest.fixture
def private_store() -> Iterator[ObjectStore]:
    """A versitygw of this test's own (free port, own folder), up with the lake bucket."""
    devstack = DevstackSettings(state_dir=private_state_dir("store-faults-"))
    store = ObjectStore(devstack, S3Settings(endpoint_url=f"http://127.0.0.1:{free_port()}"))
    store.up()
    yield store
    store.down()


async def produce(kafka: KafkaSettings, stop: asyncio.Event) -> int:
    """PLAYS_PER_S plays a second (keyed as ingest does) until ``stop``; returns how many were sent."""
    sent = 0
    async with AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, linger_ms=20, enable_idempotence=True
    ) as producer:
        while not stop.is_set():
            for play in make_plays(PLAYS_PER_S // 10):
                await producer.send(kafka.plays_topic, play.to_json(), key=play.kafka_key())
            sent += PLAYS_PER_S // 10
            await asyncio.sleep(0.1)
        await producer.flush()
    return sent


async def kafka_event_ids(kafka: KafkaSettings, sent: int) -> Counter[str]:
    """Every play the topic holds, by event_id (``sent`` of them, and any copy beyond)."""
    return Counter(json.loads(value)["event_id"] for _, _, value in await read_all(kafka, sent, 120))


def lake_event_ids(s3: S3Settings, lake: LakeLayout) -> Counter[str]:
    """Every play the lake holds, by event_id: the files the sink's log commits, as the ETL reads them."""
    store = Lake.from_s3(s3)
    ids: Counter[str] = Counter()
    for key in lake_files(store, lake.plays_path, honour_spark_log=True):
        ids.update(store.read_parquet(key, columns=["event_id"])["event_id"].to_pylist())
    return ids


class LakeJobs:
    """The lake job against the private store, started again when it has died (as `make up` would)."""

    def __init__(self, env: dict[str, str], log: Path, stack: ExitStack) -> None:
        self.env, self.log, self.stack = env, log, stack
        self.job: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def ensure_running(self) -> None:
        if self.job is not None and self.job.poll() is None:
            return
        if self.job is not None:
            self.restarts += 1
            print(f"lake job exited with {self.job.returncode}; started again", flush=True)
        self.job = self.stack.enter_context(running_job(self.env, self.log))


async def test_store_killed_at_each_commit_stage_loses_and_doubles_nothing(
    private_store: ObjectStore, kafka_settings: KafkaSettings
) -> None:
    s3, lake = private_store.s3, LakeLayout()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "S3_ENDPOINT_URL": s3.endpoint_url or "",
        "LAKE_JARS_DIR": str(spark_jars(private_store.settings)),
        "LAKE_TRIGGER_INTERVAL": "0 seconds",  # batches back to back: a commit is always under way
        "LAKE_UI_ENABLED": "false",
    }
    disk = StoreOnDisk(private_store, lake)
    log = private_store.settings.logs_dir / "lake-job.log"
    stop = asyncio.Event()
    load = asyncio.create_task(produce(kafka_settings, stop))
    recoveries: dict[str, float] = {}
    orphans: frozenset[str] = frozenset()
    with ExitStack() as stack:
        jobs = LakeJobs(env, log, stack)
        jobs.ensure_running()
        for stage, reached in STAGES.items():
            await wait_for(lambda: reached(disk.commit(), orphans), f"stage {stage!r}", jobs, log, 0.01)
            pid = private_store.proc.pid()
            assert pid is not None
            sigkill_server(pid)
            killed = disk.commit()
            await asyncio.sleep(DOWN_S)
            await asyncio.to_thread(private_store.up)
            restarted = time.monotonic()
            # Recovered: the batch in flight at the kill, or a later one, is committed.
            await wait_for(lambda: disk.commit().committed >= killed.planned, "a commit", jobs, log, 0.1)
            recoveries[stage] = round(time.monotonic() - restarted, 1)
            orphans = disk.commit().unlisted
            print(f"killed at {stage!r}: {killed.planned=} {killed.logged=} {killed.committed=}", flush=True)
        stop.set()
        sent = await load
        held = await kafka_event_ids(kafka_settings, sent)
        assert held.total() >= sent
        stopped = time.monotonic()
        await wait_for(lambda: lake_event_ids(s3, lake).total() >= held.total(), "drained lake", jobs, log, 2)
        drained = time.monotonic() - stopped
    landed = lake_event_ids(s3, lake)
    print(
        f"{held.total()} plays; recovery seconds by stage {recoveries}; lake drained {drained:.1f}s after"
        f" the load stopped; job started again {jobs.restarts} times; {len(disk.commit().unlisted)} files"
        " of killed attempts left out of the log"
    )
    assert landed == held
    assert set(landed.values()) == {1}


async def wait_for(check: Callable[[], bool], what: str, jobs: LakeJobs, log: Path, interval: float) -> float:
    """Poll ``check`` (off the event loop) until it holds, starting the job again when it died;
    returns the seconds waited."""
    start = time.monotonic()
    while not await asyncio.to_thread(check):
        jobs.ensure_running()
        assert time.monotonic() - start < WAIT_S, f"no {what} within {WAIT_S:.0f}s:\n{tail(log)}"
        await asyncio.sleep(interval)
    return time.monotonic() - start


def tail(log: Path) -> str:
    """The end of the job's log, for a failure's message."""
    return log.read_text(errors="replace")[-3000:]
