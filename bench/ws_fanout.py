"""Live fan-out: how many /ws/live wall displays (1 update/s) dashboard-api keeps beside fast clients.

The realistic path, on private topics: a producer posts ~200 plays/s for one region to Kafka, a
Faust worker (`python -m streams`) turns them into chart candidates on the live topic, and
dashboard-api (uvicorn as devstack runs it: two worker processes, dashboard_api.serving's
WebSocket flags, no permessage-deflate, default settings) merges them and fans each update out.
Client processes (`websockets`, offering permessage-deflate as browsers do; the server declines it)
hold the connections: the stepped "slow" clients ask for /ws/live?region=US&window=5m&rate=1 (a
wall display), and BENCH_WS_FAST clients (held from the first step on) ask for the UI's rate
(BENCH_WS_FAST_RATE, default 20). Every update is timed from its ``generated_at`` (stamped by the
server just before fan-out; same machine, same clock) to its arrival, per class.

Slow clients are added in steps (100, 1k, 2.5k, 5k, 10k) and every step is measured over a fixed
window; the 100-client step is the baseline. Stepping stops at the first count that no longer
sustains 1 update/s, so the answer is the highest count that did.

    uv run python -m bench ws_fanout
    BENCH_WS_STEPS=100,1000,2500,5000,10000 BENCH_WS_PROCESSES=4 BENCH_WS_SERVER_WORKERS=2
    BENCH_WS_FAST=10 BENCH_WS_FAST_RATE=20 (defaults; BENCH_WS_SERVER_WORKERS=1: a single
    dashboard-api process); BENCH_WS_PROTOCOL (default: devstack's protocol; e.g.
    websockets-sansio for uvicorn's own); BENCH_WS_SLOW_QUERY (default "&rate=1"; empty for a
    server without per-connection rates, run with DASHBOARD_LIVE_RATE_HZ=1 instead). Every step
    also prints the CPU cores the server (all its processes) and the client processes used, and
    how the connections are spread over the server's processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from dashboard_api.serving import websocket_flags
from dashboard_api.settings import DashboardSettings
from ingest.kafka_setup import drop_topics
from topsongs_core.events import PlayEvent
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.deployment.programs import streams_args
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import cpu_seconds, free_port
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

STEPS = tuple(int(s) for s in os.environ.get("BENCH_WS_STEPS", "100,1000,2500,5000,10000").split(","))
PROCESSES = int(os.environ.get("BENCH_WS_PROCESSES", "4"))
WS_PROTOCOL = os.environ.get("BENCH_WS_PROTOCOL", "")  # default: the protocol devstack serves with
SERVER_WORKERS = int(os.environ.get("BENCH_WS_SERVER_WORKERS", "2"))  # as devstack runs it
FAST = int(os.environ.get("BENCH_WS_FAST", "10"))
FAST_RATE = os.environ.get("BENCH_WS_FAST_RATE", "20")
SLOW_QUERY = os.environ.get("BENCH_WS_SLOW_QUERY", "&rate=1")
BASELINE_S, STEP_S, FINAL_S = 20.0, 8.0, 30.0
GRACE_S = 3.0
RATE_HZ = 1.0
PLAYS_PER_S = 200
REGION, WINDOW = "US", "5m"
CONNECT_CONCURRENCY = 64
# A step sustains 1 update/s when a typical slow client still gets ~1 update/s and (almost) every
# client got as many within one period (each phase group has its own seq, so the count of a typical
# client, not the union of seqs, is what the server generated).
SUSTAINED_RATE, SUSTAINED_RATIO, SUSTAINED_P99_S = 0.95 * RATE_HZ, 0.99, 1.0 / RATE_HZ


def _raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- producer process -------------------------------------------------------------------------


async def _produce(topic: str, stop: mp.synchronize.Event, seconds: float) -> None:
    rng = random.Random(1)
    weights = [1 / (s + 1) for s in range(60)]
    deadline = time.monotonic() + seconds
    async with AIOKafkaProducer(bootstrap_servers=KafkaSettings().bootstrap_servers, linger_ms=5) as producer:
        while not stop.is_set() and time.monotonic() < deadline:
            tick = time.monotonic()
            for s in rng.choices(range(60), weights, k=PLAYS_PER_S // 10):
                event = PlayEvent(
                    song_id=f"s-{s:03d}",
                    title=f"Song {s}",
                    artist=f"Artist {s % 20}",
                    user_id=f"u-{rng.randrange(10_000)}",
                    region=REGION,
                    played_at=datetime.now(UTC),
                )
                await producer.send(topic, event.to_json(), key=event.kafka_key())
            await asyncio.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))


def producer_main(topic: str, stop: mp.synchronize.Event, seconds: float) -> None:
    """~PLAYS_PER_S plays/s of one region until ``stop`` is set or ``seconds`` pass."""
    asyncio.run(_produce(topic, stop, seconds))


# --- client processes -------------------------------------------------------------------------


class Recorder:
    """Per-connection update counts and delivery lags of the updates generated inside a window."""

    def __init__(self) -> None:
        self.window = (float("inf"), float("inf"))
        self.counts: list[int] = []
        self.lags: list[float] = []
        self.seqs: set[int] = set()
        self.last_seq: list[int | None] = []
        self.gaps = 0
        self.closed: set[int] = set()
        self.closed_before: set[int] = set()

    def add(self) -> int:
        self.counts.append(0)
        self.last_seq.append(None)
        return len(self.counts) - 1

    def start(self, t0: float, t1: float) -> None:
        self.window = (t0, t1)
        self.counts = [0] * len(self.counts)
        self.lags, self.seqs, self.gaps = [], set(), 0
        self.closed_before = set(self.closed)

    def update(self, idx: int, raw: str | bytes, now: float) -> None:
        message = orjson.loads(raw)
        seq = message["seq"]
        last, self.last_seq[idx] = self.last_seq[idx], seq
        if message["type"] != "update":
            return
        if last is not None and seq != last + 1:
            self.gaps += 1
        generated = datetime.fromisoformat(message["generated_at"]).timestamp()
        if self.window[0] <= generated < self.window[1]:
            self.counts[idx] += 1
            self.lags.append(now - generated)
            self.seqs.add(seq)

    def report(self) -> dict:
        open_at_start = [i for i in range(len(self.counts)) if i not in self.closed_before]
        return {
            "clients": len(open_at_start),
            "counts": [self.counts[i] for i in open_at_start],
            "lags": self.lags,
            "seqs": sorted(self.seqs),
            "gaps": self.gaps,
            "dropped": len(self.closed - self.closed_before),
        }


async def _listen(ws: ClientConnection, rec: Recorder, idx: int) -> None:
    try:
        async for raw in ws:
            rec.update(idx, raw, time.time())
    except ConnectionClosed:
        pass
    finally:
        rec.closed.add(idx)


async def _grow(url: str, rec: Recorder, sockets: list[ClientConnection], tasks: set, n: int) -> int:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    failed = 0

    async def one() -> None:
        nonlocal failed
        async with gate:
            try:
                # Browsers do not ping; the server's own pings keep idle connections honest.
                ws = await connect(url, ping_interval=None, open_timeout=30, close_timeout=2)
            except Exception:  # refused, reset or timed out: counted, not fatal
                failed += 1
                return
        sockets.append(ws)
        task = asyncio.create_task(_listen(ws, rec, rec.add()))
        tasks.add(task)

    await asyncio.gather(*(one() for _ in range(n)))
    return failed


async def _client(pipe: Connection, url: str, fast_url: str, fast: int) -> None:
    loop = asyncio.get_running_loop()
    rec, fast_rec = Recorder(), Recorder()
    sockets: list[ClientConnection] = []
    fast_sockets: list[ClientConnection] = []
    tasks: set[asyncio.Task[None]] = set()
    try:
        while True:
            command, *args = await loop.run_in_executor(None, pipe.recv)
            if command == "grow":
                began = time.perf_counter()
                failed = await _grow(url, rec, sockets, tasks, args[0] - len(sockets))
                failed += await _grow(fast_url, fast_rec, fast_sockets, tasks, fast - len(fast_sockets))
                pipe.send({"open": len(sockets) - len(rec.closed), "failed": failed,
                           "seconds": time.perf_counter() - began})  # fmt: skip
            elif command == "measure":
                t0, t1 = args
                rec.start(t0, t1)
                fast_rec.start(t0, t1)
                await asyncio.sleep(max(0.0, t1 + GRACE_S - time.time()))
                pipe.send({"slow": rec.report(), "fast": fast_rec.report()})
            else:
                return
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                asyncio.gather(*(ws.close() for ws in sockets + fast_sockets), return_exceptions=True), 10
            )


def client_main(pipe: Connection, url: str, fast_url: str, fast: int) -> None:
    """Hold WebSocket clients (``fast`` of them at the fast rate) and answer grow / measure / stop."""
    _raise_nofile()
    try:
        import uvloop

        uvloop.run(_client(pipe, url, fast_url, fast))
    except ImportError:
        asyncio.run(_client(pipe, url, fast_url, fast))


# --- controller -------------------------------------------------------------------------------


def _worker(kafka: KafkaSettings, app_id: str, data: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "STREAMS_APP_ID": app_id,
    }
    # as deployed: `-l info` (at warn Faust's spinner sets the root logger to DEBUG)
    command = [sys.executable, "-m", "streams", *streams_args(data)]
    with open(Path(data) / "worker.log", "wb") as log:
        # The worker's output goes to a file: printed only when it fails to start.
        return subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)


def _server(kafka: KafkaSettings, port: int) -> subprocess.Popen:
    # Every client connects from 127.0.0.1: the per-address cap is raised to the largest step.
    env = {
        **os.environ,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "DASHBOARD_LIVE_MAX_CLIENTS_PER_HOST": str(max(STEPS) + FAST),
    }
    flags = websocket_flags(DashboardSettings())
    if WS_PROTOCOL:
        flags[flags.index("--ws") + 1] = WS_PROTOCOL
    command = [
        sys.executable, "-m", "uvicorn", "dashboard_api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
        "--workers", str(SERVER_WORKERS), *flags,
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_raise_nofile)


def _stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _wait_live(live: str, procs: list[subprocess.Popen], seconds: float) -> float:
    """Seconds until the live chart of REGION has entries and advances (worker + feed are up)."""
    began = time.monotonic()
    seen: int | None = None
    while time.monotonic() - began < seconds:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("the streams worker or dashboard-api exited during start-up")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            body = httpx.get(live, timeout=2).json()
            if body["entries"] and seen is not None and body["seq"] > seen:
                return time.monotonic() - began
            seen = body["seq"] if body["entries"] else None
        time.sleep(0.5)
    raise RuntimeError(f"no live updates within {seconds:.0f} s")


def _collect(pipes: list[Connection], timeout: float, what: str) -> list[dict]:
    answers = []
    for pipe in pipes:
        if not pipe.poll(timeout):
            raise RuntimeError(f"a client process did not finish {what} within {timeout:.0f} s")
        answers.append(pipe.recv())
    return answers


def _with_children(pids: list[int]) -> list[int]:
    """``pids`` and every process whose parent is one of them (uvicorn's workers)."""
    found = list(pids)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) in pids:
                found.append(int(stat.parent.name))
    return found


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def _sockets(pid: int) -> int:
    """How many sockets process ``pid`` holds open."""
    with contextlib.suppress(OSError):
        return sum(os.readlink(fd).startswith("socket:") for fd in Path(f"/proc/{pid}/fd").iterdir())
    return 0


def summarize(target: int, grown: list[dict], reports: list[dict], seconds: float, cpu: dict) -> dict:
    """One step's figures (of one client class) from every client process's report."""
    clients = sum(r["clients"] for r in reports)
    counts = sorted(c for r in reports for c in r["counts"])
    lags = sorted(lag for r in reports for lag in r["lags"])
    delivered = sum(counts)
    # What the server generated for a typical client in the window (each outlet has its own seq).
    updates = _quantile(counts, 0.5) if counts else 0
    generated = updates / seconds
    return {
        "target": target,
        "clients": clients,
        "connect_failed": sum(g["failed"] for g in grown),
        "connect_s": max(g["seconds"] for g in grown),
        "generated_per_s": generated,
        "delivered_per_s": delivered / seconds,
        "per_client_per_s": delivered / seconds / clients if clients else 0.0,
        "min_client_per_s": counts[0] / seconds if counts else 0.0,
        "ratio": delivered / (clients * updates) if clients and updates else 0.0,
        "p50": _quantile(lags, 0.5),
        "p99": _quantile(lags, 0.99),
        "max": lags[-1] if lags else float("nan"),
        "gaps": sum(r["gaps"] for r in reports),
        "dropped": sum(r["dropped"] for r in reports),
        "seconds": seconds,
        **cpu,
    }


def sustained(step: dict) -> bool:
    """~1 update/s generated, and every client got (almost) every one within one update period."""
    return (
        step["generated_per_s"] >= SUSTAINED_RATE
        and step["ratio"] >= SUSTAINED_RATIO
        and step["p99"] <= SUSTAINED_P99_S
        and step["dropped"] == 0
    )


def _print_step(s: dict, fast: dict | None, spread: list[int]) -> None:
    print(
        f"{s['clients']:>6,} slow clients ({s['connect_failed']} failed to connect, last batch in"
        f" {s['connect_s']:4.1f} s), {s['seconds']:.0f} s: generated {s['generated_per_s']:.2f} upd/s,"
        f" delivered {s['delivered_per_s']:>8,.0f} msg/s = {s['per_client_per_s']:.2f}/client"
        f" (min {s['min_client_per_s']:.2f}), delivered/expected {s['ratio']:.3f},"
        f" lag p50 {s['p50'] * 1000:6.0f} ms p99 {s['p99'] * 1000:6.0f} ms max {s['max'] * 1000:6.0f} ms,"
        f" seq gaps {s['gaps']}, dropped {s['dropped']}; CPU cores: server {s['server_cpu']:.2f},"
        f" clients {s['client_cpu']:.2f}; sockets per server process {spread}"
        + ("" if sustained(s) else "  << not sustained"),
        flush=True,
    )
    if fast is not None and fast["clients"]:
        print(
            f"{fast['clients']:>6,} fast clients (rate={FAST_RATE}): {fast['per_client_per_s']:.2f} upd/s per"
            f" client (min {fast['min_client_per_s']:.2f}), lag p50 {fast['p50'] * 1000:6.0f} ms"
            f" p99 {fast['p99'] * 1000:6.0f} ms max {fast['max'] * 1000:6.0f} ms, seq gaps {fast['gaps']},"
            f" dropped {fast['dropped']}",
            flush=True,
        )


def run_steps(pipes: list[Connection], server: int, clients: list[int]) -> tuple[list[dict], list[dict]]:
    """Grow the clients step by step and measure each step; stop at the first unsustained one."""
    steps: list[dict] = []
    fast_steps: list[dict] = []
    for number, target in enumerate(STEPS):
        seconds = BASELINE_S if number == 0 else FINAL_S if target == STEPS[-1] else STEP_S
        shares = [target // PROCESSES + (i < target % PROCESSES) for i in range(PROCESSES)]
        for pipe, share in zip(pipes, shares, strict=True):
            pipe.send(("grow", share))
        grown = _collect(pipes, 600, "connecting")  # a loaded 2-core box needs minutes for 10k
        t0 = time.time() + 1.0
        for pipe in pipes:
            pipe.send(("measure", t0, t0 + seconds))
        time.sleep(max(0.0, t0 - time.time()))
        cpu0 = cpu_seconds(_with_children([server])), cpu_seconds(clients)
        time.sleep(max(0.0, t0 + seconds - time.time()))
        # Cores busy in the window: the clients share the machine, so they can starve the server.
        cpu = {
            "server_cpu": (cpu_seconds(_with_children([server])) - cpu0[0]) / (time.time() - t0),
            "client_cpu": (cpu_seconds(clients) - cpu0[1]) / (time.time() - t0),
        }
        spread = sorted((_sockets(pid) for pid in _with_children([server])[1:]), reverse=True)
        reports = _collect(pipes, GRACE_S + 60, "measuring")
        steps.append(summarize(target, grown, [r["slow"] for r in reports], seconds, cpu))
        fast_steps.append(summarize(FAST, grown, [r["fast"] for r in reports], seconds, cpu))
        _print_step(steps[-1], fast_steps[-1], spread)
        if not sustained(steps[-1]):
            break
    return steps, fast_steps


def main() -> None:
    """Start worker, server, producer and clients; step up the clients; print; clean everything up."""
    print(f"load average at start: {os.getloadavg()}", flush=True)
    suffix = uuid.uuid4().hex[:8]
    app_id = f"bench-ws-{suffix}"
    kafka = private_topics("bench-ws", suffix)
    asyncio.run(ensure_topics(kafka))
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws/live?region={REGION}&window={WINDOW}{SLOW_QUERY}"
    fast_url = f"ws://127.0.0.1:{port}/ws/live?region={REGION}&window={WINDOW}&rate={FAST_RATE}"
    live = f"http://127.0.0.1:{port}/api/live?region={REGION}&window={WINDOW}"
    ctx = mp.get_context("spawn")
    stop_producing = ctx.Event()
    procs: list[subprocess.Popen] = []
    children: list[mp.process.BaseProcess] = []
    pipes: list[Connection] = []
    steps: list[dict] = []
    fast_steps: list[dict] = []
    with tempfile.TemporaryDirectory() as data:
        try:
            procs.append(_worker(kafka, app_id, data))
            procs.append(_server(kafka, port))
            producer = ctx.Process(target=producer_main, args=(kafka.plays_topic, stop_producing, 240))
            producer.start()
            children.append(producer)
            try:
                print(f"live chart advancing after {_wait_live(live, procs, 90):.1f} s", flush=True)
            except RuntimeError:
                print((Path(data) / "worker.log").read_text()[-3000:], file=sys.stderr)
                raise
            for number in range(PROCESSES):
                ours, theirs = ctx.Pipe()
                fast = FAST // PROCESSES + (number < FAST % PROCESSES)
                child = ctx.Process(target=client_main, args=(theirs, url, fast_url, fast))
                child.start()
                children.append(child)
                pipes.append(ours)
            clients = [c.pid for c in children[1:] if c.pid is not None]
            steps, fast_steps = run_steps(pipes, procs[1].pid, clients)
        finally:
            for pipe in pipes:
                with contextlib.suppress(OSError):
                    pipe.send(("stop",))
            stop_producing.set()
            for child in children:
                child.join(20)
                if child.is_alive():
                    child.terminate()
                    child.join(5)
            for proc in reversed(procs):
                _stop(proc)
            with contextlib.suppress(Exception):
                asyncio.run(drop_topics(kafka, app_id))
    if steps:
        base, last = steps[0], steps[-1]
        best = max((s["clients"] for s in steps if sustained(s)), default=0)
        print(f"\nhighest client count sustaining {RATE_HZ:.0f} update/s: {best:,}")
        print(
            f"{last['clients']:,} vs {base['clients']:,} clients: delivered/expected {last['ratio']:.3f}"
            f" vs {base['ratio']:.3f}; lag p50 {last['p50'] / base['p50']:.1f}x,"
            f" p99 {last['p99'] / base['p99']:.1f}x the baseline"
        )
        fast_base, fast_last = fast_steps[0], fast_steps[-1]
        if fast_last["clients"] and fast_base["p99"] > 0:
            ms = {name: fast_last[name] * 1000 for name in ("p50", "p99")}
            print(
                f"fast clients beside {last['clients']:,} slow ones: lag p50 {ms['p50']:.0f} ms,"
                f" p99 {ms['p99']:.0f} ms = {fast_last['p99'] / fast_base['p99']:.1f}x their p99"
                f" beside {base['clients']:,}"
            )
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
