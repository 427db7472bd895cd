"""Limits under abuse: a legitimate probe's p99, the servers' memory and how fast bad clients are cut off.

Starts a private ingest (devstack's launcher: API keys, `--limit-concurrency`, 1 worker, on private
topics) and a private dashboard-api (devstack's launcher and WebSocket flags, 1 worker, real
PostgreSQL), then runs a legitimate probe in its own process: POST /play and GET /api/top/hourly
(an hour picked at random among the last 1,000, so most reads miss the cache) at PROBE_RATE req/s
each, open-loop (latency from each request's due time), and one /ws/live client that pings the
server 5 times a second (its latency is the pong's round trip). The probe runs alone first (the
baseline), then once under each abuse in turn:

- flood: one client (an API key of its own) posts 1,000-play batches of one song on 16 connections
  as fast as it can and ignores Retry-After; ingest runs with INGEST_RATE_LIMIT_EVENTS_PER_S=2000
  here (burst 2,000) so the limit is reached;
- slowloris: 2,000 connections to ingest from one address of their own (127.0.0.5; the probe is on
  127.0.0.1) each send a request head one line every 2 s, never ending it;
- ws-idle: 10,000 /ws/live connections that complete the handshake and then never read, from
  127.0.0.2-127.0.0.11 (1,000 each: DASHBOARD_LIVE_MAX_CLIENTS_PER_HOST) plus 500 more from 127.0.0.2,
  which the per-address cap must refuse;
- big-frames: 200 /ws/live connections each start a 16 MiB frame and keep writing it;
- trends: 16 clients ask GET /api/trend over 366 days for song ids that are all different (no cache).

For each it prints the probe's p99 per kind against the baseline (ratio), the probe's errors, the
servers' peak RSS (all their processes), how the server refused or cut off the bad clients and when
(seconds from the abuse's start until the last one was closed), and the box's load.

    uv run python -m bench abuse
    BENCH_ABUSE_SECONDS=15 BENCH_ABUSE_PROBE_RATE=20 BENCH_ABUSE_ONLY=flood,slowloris,... (defaults)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import socket
import struct
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import aiohttp
import orjson
from ingest.api_keys import digest, new_key, read_entries, write_keys
from ingest.kafka_setup import drop_topics
from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.listeners import descendants
from topsongs_devstack.process import free_port
from topsongs_devstack.services import dashboard
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench._ingest_load import api_key, ingest_process
from bench.rest_latency import quantile_ms
from tests.raw_http import frame_header, upgrade

SECONDS = float(os.environ.get("BENCH_ABUSE_SECONDS", "15"))
PROBE_RATE = float(os.environ.get("BENCH_ABUSE_PROBE_RATE", "20"))
ABUSES = ("flood", "slowloris", "ws-idle", "big-frames", "trends")
ONLY = tuple(os.environ.get("BENCH_ABUSE_ONLY", ",".join(ABUSES)).split(","))
RATE_LIMIT = 2000
SLOWLORIS = 2000
# The attacker's address: not the probe's, as a real one's is not (SERVING_MAX_CONNECTIONS_PER_ADDRESS).
SLOWLORIS_ADDRESS = "127.0.0.5"
WS_IDLE_PER_ADDRESS, WS_IDLE_ADDRESSES, WS_OVER_CAP = 1000, 10, 500
BIG_FRAMES = 200
TREND_CLIENTS = 16
REQUEST_TIMEOUT_S = 10.0
# After the abuse window, how long the bench waits for the server to cut off the bad clients left.
CUTOFF_WAIT_S = 20.0
TCP_ESTABLISHED = 1


def _raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _play(song: str) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "song_id": song,
        "title": f"Song {song}",
        "artist": "Bench",
        "user_id": f"u-{random.randrange(10_000)}",
        "region": "US",
        "played_at": datetime.now(UTC).isoformat(),
    }


# --- the probe (its own process) --------------------------------------------------------------


async def _paced(rate: float, seconds: float, one: Callable[[float], Awaitable[None]]) -> None:
    clock = time.perf_counter
    start, n = clock() + 0.05, int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()
    for i in range(n):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - clock()))
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S + 1)


async def _probe(ingest: str, key: str, api: str, seconds: float) -> dict:
    latencies: dict[str, list[float]] = {"POST /play": [], "GET /api/top/hourly": [], "WS ping": []}
    errors: Counter[str] = Counter()
    rng = random.Random()
    hour0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)

    async def timed(kind: str, due: float, call: Callable[[], Awaitable[int]]) -> None:
        try:
            status = await call()
        except (aiohttp.ClientError, TimeoutError, OSError, ConnectionClosed) as exc:
            reason = (
                f"close {exc.rcvd.code}"
                if isinstance(exc, ConnectionClosed) and exc.rcvd
                else type(exc).__name__
            )
            errors[f"{kind}: {reason}"] += 1
            return
        if status >= 300:
            errors[f"{kind}: HTTP {status}"] += 1
            return
        latencies[kind].append(time.perf_counter() - due)

    async with (
        aiohttp.ClientSession(ingest, timeout=timeout) as plays,
        aiohttp.ClientSession(api, timeout=timeout) as charts,
    ):

        async def post(due: float) -> None:
            async def call() -> int:
                headers = {"x-api-key": key}
                async with plays.post("/play", json=_play(f"s-{rng.randrange(500)}"), headers=headers) as r:
                    await r.read()
                    return r.status

            await timed("POST /play", due, call)

        async def hourly(due: float) -> None:
            hour = hour0 - timedelta(hours=rng.randrange(1, 1000))
            path = f"/api/top/hourly?region=US&hour={hour:%Y-%m-%dT%H:00Z}"

            async def call() -> int:
                async with charts.get(path) as r:
                    await r.read()
                    return r.status

            await timed("GET /api/top/hourly", due, call)

        async def live() -> None:
            url = api.replace("http", "ws", 1) + "/ws/live?region=US&window=5m"
            async with connect(url, ping_interval=None, open_timeout=REQUEST_TIMEOUT_S) as ws:
                reading = asyncio.create_task(_drain(ws))

                async def ping(due: float) -> None:
                    async def call() -> int:
                        await asyncio.wait_for(await ws.ping(), REQUEST_TIMEOUT_S)
                        return 200

                    await timed("WS ping", due, call)

                try:
                    await _paced(5, seconds, ping)
                finally:
                    reading.cancel()

        async def live_guarded() -> None:
            try:
                await live()
            except Exception as exc:  # refused or dropped: counted, the other probes go on
                errors[f"WS: {type(exc).__name__}"] += 1

        await asyncio.gather(
            _paced(PROBE_RATE, seconds, post), _paced(PROBE_RATE, seconds, hourly), live_guarded()
        )
    return {
        "p99": {kind: quantile_ms(sorted(values), 0.99) for kind, values in latencies.items()},
        "ok": {kind: len(values) for kind, values in latencies.items()},
        "errors": dict(errors),
    }


async def _drain(ws) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(Exception):
        async for _ in ws:
            pass


def probe(ingest: str, key: str, api: str, seconds: float) -> dict:
    """The legitimate probe, in the process that calls it."""
    return asyncio.run(_probe(ingest, key, api, seconds))


# --- what the bench watches -------------------------------------------------------------------


@dataclass
class Peak:
    """Peak RSS of each server (every process of it), sampled while an abuse runs."""

    pids: dict[str, int]
    peak_mib: dict[str, float] = field(default_factory=dict)

    async def watch(self, stop: asyncio.Event) -> None:
        """Sample every 0.25 s until ``stop``."""
        while not stop.is_set():
            for name, pid in self.pids.items():
                total = 0
                for p in descendants(pid):
                    with contextlib.suppress(OSError, ValueError, IndexError):
                        status = Path(f"/proc/{p}/status").read_text()  # noqa: ASYNC240 (procfs: no I/O wait)
                        total += int(status.split("VmRSS:")[1].split()[0])
                self.peak_mib[name] = max(self.peak_mib.get(name, 0.0), total / 1024)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)


def _tcp_state(sock: socket.socket) -> int:
    try:
        return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]
    except OSError:
        return 0


class Cutoff:
    """When the server closes or resets each bad client's socket, from the socket's start."""

    def __init__(self) -> None:
        self.alive: dict[socket.socket, float] = {}  # open socket -> when it started
        self.lifetimes: list[float] = []
        self.peak = 0

    def add(self, sock: socket.socket, since: float | None = None) -> None:
        """Watch ``sock`` from ``since`` (now by default)."""
        self.alive[sock] = time.monotonic() if since is None else since

    def sweep(self) -> None:
        """Record the sockets the server closed since the last sweep."""
        self.peak = max(self.peak, len(self.alive))
        now = time.monotonic()
        for sock, since in list(self.alive.items()):
            if _tcp_state(sock) != TCP_ESTABLISHED:
                self.lifetimes.append(now - since)
                del self.alive[sock]
                sock.close()

    async def watch(self, stop: asyncio.Event) -> None:
        """Sweep every 0.25 s until ``stop``."""
        while not stop.is_set():
            self.sweep()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)

    async def drain(self, limit_s: float) -> None:
        """Sweep until every socket was closed or ``limit_s`` passed; close the rest ourselves."""
        deadline = time.monotonic() + limit_s
        while self.alive and time.monotonic() < deadline:
            self.sweep()
            await asyncio.sleep(0.25)
        self.sweep()

    def report(self) -> str:
        """Closed how many, how soon (median, max), and how many were still open."""
        left = len(self.alive)
        _close_all(list(self.alive))
        self.alive.clear()
        done = sorted(self.lifetimes)
        if not done:
            return f"the server closed none; {left:,} still open at the end"
        return (
            f"the server closed {len(done):,}: {quantile_ms(done, 0.5) / 1000:.1f} s (median) / "
            f"{quantile_ms(done, 1.0) / 1000:.1f} s (max) after each started; {left:,} still open at the end"
        )


def _close_all(socks: list[socket.socket]) -> None:
    for s in socks:
        with contextlib.suppress(OSError):
            s.close()


async def _raw_connect(host: str, port: int, local: str | None = None) -> socket.socket:
    sock = socket.socket()
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    if local:
        sock.bind((local, 0))
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    return sock


# --- the abuses -------------------------------------------------------------------------------


@dataclass
class Servers:
    """Where the private servers listen, and the keys."""

    ingest_port: int
    api_port: int
    probe_key: str
    flood_key: str


async def flood(servers: Servers, seconds: float) -> str:
    """One client, one song, 16 connections of 1,000-play batches, Retry-After ignored."""
    statuses: Counter[int] = Counter()
    retry_after: Counter[str] = Counter()
    body = orjson.dumps({"events": [_play("s-flood") for _ in range(1000)]})
    headers = {"content-type": "application/json", "x-api-key": servers.flood_key}
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{servers.ingest_port}", timeout=timeout) as session:

        async def client() -> None:
            while time.monotonic() < deadline:
                try:
                    async with session.post("/plays", data=body, headers=headers) as r:
                        await r.read()
                        statuses[r.status] += 1
                        if r.status == 429:
                            retry_after[r.headers.get("retry-after", "?")] += 1
                except (aiohttp.ClientError, TimeoutError):
                    statuses[0] += 1

        await asyncio.gather(*(client() for _ in range(16)))
    requests = sum(statuses.values())
    other = {status: n for status, n in statuses.items() if status not in (202, 429)}
    return (
        f"{requests:,} batches ({requests / seconds:,.0f}/s): {statuses[202]:,} accepted "
        f"({statuses[202] * 1000 / seconds:,.0f} plays/s), {statuses[429]:,} refused 429 "
        f"(Retry-After {dict(retry_after)}), other {other}"
    )


async def slowloris(servers: Servers, seconds: float) -> str:
    """2,000 connections to ingest, each trickling a request head that never ends."""
    began = time.monotonic()
    cutoff = Cutoff()
    failed = 0
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(200)
    stop = asyncio.Event()
    watcher = asyncio.create_task(cutoff.watch(stop))

    async def one() -> None:
        nonlocal failed
        async with gate:
            try:
                sock = await _raw_connect("127.0.0.1", servers.ingest_port, SLOWLORIS_ADDRESS)
                cutoff.add(sock)
                await loop.sock_sendall(sock, b"POST /play HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                failed += 1

    await asyncio.gather(*(one() for _ in range(SLOWLORIS)))
    opened = time.monotonic() - began
    line = 0
    while time.monotonic() - began < seconds and cutoff.alive:
        await asyncio.sleep(2)
        line += 1
        for sock in list(cutoff.alive):
            with contextlib.suppress(OSError):
                sock.send(b"X-%d: %d\r\n" % (line, line))
    stop.set()
    await watcher
    await cutoff.drain(CUTOFF_WAIT_S)
    return (
        f"{SLOWLORIS:,} connections opened in {opened:.1f} s ({failed} failed), one header line "
        f"each every 2 s; {cutoff.report()}"
    )


async def _handshake(host: str, port: int, local: str) -> tuple[socket.socket, bytes, bytes]:
    """Open /ws/live from ``local``; returns the socket, the response head and what followed it."""
    sock = await _raw_connect(host, port, local)
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(sock, upgrade("/ws/live?region=US&window=5m"))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), REQUEST_TIMEOUT_S)
        if not chunk:
            raise ConnectionResetError("closed during the handshake")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return sock, head, rest


def _close_code(data: bytes) -> int | None:
    """The code of the server's close frame among the (unmasked) frames in ``data``, if there."""
    while len(data) >= 2:
        opcode, size, at = data[0] & 0x0F, data[1] & 0x7F, 2
        if size == 126:
            size, at = int.from_bytes(data[2:4], "big"), 4
        elif size == 127:
            size, at = int.from_bytes(data[2:10], "big"), 10
        if len(data) < at + size:
            return None
        if opcode == 0x8:
            return struct.unpack("!H", data[at : at + 2])[0] if size >= 2 else 1005
        data = data[at + size :]
    return None


async def ws_idle(servers: Servers, seconds: float) -> str:
    """10,000 /ws/live clients that never read past the handshake, 1,000 per source address, then
    500 more from the last address while its 1,000 are open (over the per-address cap)."""
    began = time.monotonic()
    cutoff = Cutoff()
    refused: Counter[str] = Counter()
    gate = asyncio.Semaphore(500)
    stop = asyncio.Event()

    async def one(local: str, over: bool) -> None:
        async with gate:
            try:
                sock, head, rest = await _handshake("127.0.0.1", servers.api_port, local)
            except (OSError, TimeoutError) as exc:
                refused[f"connect {type(exc).__name__}"] += 1
                return
        if not head.startswith(b"HTTP/1.1 101"):
            refused[head.split(b"\r\n")[0].decode(errors="replace")] += 1
            sock.close()
            return
        if over:
            # Over the cap the server accepts, then closes with 1013: read until its close frame.
            loop = asyncio.get_running_loop()
            with contextlib.suppress(OSError, TimeoutError):
                while (code := _close_code(rest)) is None:
                    chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 5)
                    if not chunk:
                        break
                    rest += chunk
                if code is not None:
                    refused[f"close {code}"] += 1
                    sock.close()
                    return
            refused["over the cap but served"] += 1
        cutoff.add(sock)

    watcher = asyncio.create_task(cutoff.watch(stop))
    for i in range(WS_IDLE_ADDRESSES):
        await asyncio.gather(*(one(f"127.0.0.{2 + i}", False) for _ in range(WS_IDLE_PER_ADDRESS)))
    await asyncio.gather(*(one(f"127.0.0.{1 + WS_IDLE_ADDRESSES}", True) for _ in range(WS_OVER_CAP)))
    connected = time.monotonic() - began
    await asyncio.sleep(max(0.0, seconds - connected))
    stop.set()
    await watcher
    await cutoff.drain(CUTOFF_WAIT_S)
    return (
        f"{len(cutoff.lifetimes) + len(cutoff.alive):,} non-reading clients connected in {connected:.0f} s, "
        f"at most {cutoff.peak:,} open at once; refused {dict(refused)}; {cutoff.report()}"
    )


async def big_frames(servers: Servers, seconds: float) -> str:
    """200 /ws/live clients each start a 16 MiB frame and write it as fast as the server reads."""
    payload = os.urandom(1 << 20)
    results: Counter[str] = Counter()
    sent_bytes: list[int] = []
    closed_after: list[float] = []
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(50)

    async def one() -> None:
        async with gate:
            try:
                sock, head, _ = await _handshake("127.0.0.1", servers.api_port, "127.0.0.12")
            except (OSError, TimeoutError) as exc:
                results[f"connect {type(exc).__name__}"] += 1
                return
        if not head.startswith(b"HTTP/1.1 101"):
            results["no 101"] += 1
            sock.close()
            return
        started = time.monotonic()
        sent = 0
        try:
            await loop.sock_sendall(sock, frame_header(0x2, 16 << 20))
            while sent < 16 << 20 and time.monotonic() - started < seconds:
                await asyncio.wait_for(loop.sock_sendall(sock, payload), seconds)
                sent += len(payload)
            results["sent it all" if sent >= 16 << 20 else "still writing at the end"] += 1
        except (OSError, TimeoutError) as exc:
            results[f"cut off ({type(exc).__name__})"] += 1
            closed_after.append(time.monotonic() - started)
        finally:
            sent_bytes.append(sent)
            sock.close()

    await asyncio.gather(*(one() for _ in range(BIG_FRAMES)))
    most = max(sent_bytes, default=0)
    slowest = max(closed_after, default=float("nan"))
    return (
        f"{BIG_FRAMES} clients: {dict(results)}; at most {most / (1 << 20):.1f} MiB written by one "
        f"before it was cut off (socket buffers included); the last cut off {slowest:.2f} s after "
        "its frame began"
    )


async def trends(servers: Servers, seconds: float) -> str:
    """16 clients, each asking 366-day trends of a new song id as soon as the last one answered."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=366)
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=60)
    counter = iter(range(10**9))
    async with aiohttp.ClientSession(f"http://127.0.0.1:{servers.api_port}", timeout=timeout) as session:

        async def client() -> None:
            while time.monotonic() < deadline:
                path = (
                    f"/api/trend?region=US&song_id=abuse-{next(counter)}"
                    f"&from={start:%Y-%m-%dT%H:00Z}&to={end:%Y-%m-%dT%H:00Z}"
                )
                t = time.perf_counter()
                try:
                    async with session.get(path) as r:
                        await r.read()
                        statuses[r.status] += 1
                except (aiohttp.ClientError, TimeoutError):
                    statuses[0] += 1
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(client() for _ in range(TREND_CLIENTS)))
    latencies.sort()
    return (
        f"{sum(statuses.values()):,} trend requests ({sum(statuses.values()) / seconds:,.1f}/s), statuses "
        f"{dict(statuses)}, p50 {quantile_ms(latencies, 0.5):,.0f} ms, "
        f"p99 {quantile_ms(latencies, 0.99):,.0f} ms"
    )


RUNS: dict[str, Callable[[Servers, float], Awaitable[str]]] = {
    "flood": flood,
    "slowloris": slowloris,
    "ws-idle": ws_idle,
    "big-frames": big_frames,
    "trends": trends,
}


# --- the run ----------------------------------------------------------------------------------


async def _measure(
    pool: ProcessPoolExecutor, servers: Servers, pids: dict[str, int], abuse: str | None
) -> dict:
    ingest = f"http://127.0.0.1:{servers.ingest_port}"
    api = f"http://127.0.0.1:{servers.api_port}"
    peak = Peak(pids)
    stop = asyncio.Event()
    watcher = asyncio.create_task(peak.watch(stop))
    began = time.monotonic()
    if abuse is None:
        result = await asyncio.wrap_future(pool.submit(probe, ingest, servers.probe_key, api, SECONDS))
        what = "-"
    else:
        # The abuse starts first and the probe a moment later, so it measures the abuse at full strength.
        task = asyncio.create_task(RUNS[abuse](servers, SECONDS + 5))
        await asyncio.sleep(5)
        result = await asyncio.wrap_future(pool.submit(probe, ingest, servers.probe_key, api, SECONDS))
        what = await task
    stop.set()
    await watcher
    return {
        **result,
        "rss": peak.peak_mib,
        "what": what,
        "seconds": time.monotonic() - began,
        "load": os.getloadavg()[0],
    }


def _print(label: str, r: dict, base: dict | None) -> None:
    print(f"\n[{label}] load {r['load']:.1f}, {r['seconds']:.0f} s", flush=True)
    for kind, p99 in r["p99"].items():
        ratio = f"  x{p99 / base['p99'][kind]:.2f} of baseline" if base and base["p99"][kind] else ""
        print(f"  probe {kind:<22} p99 {p99:8.1f} ms  ({r['ok'][kind]:,} ok){ratio}", flush=True)
    print(f"  probe errors: {r['errors'] or 0}", flush=True)
    print("  peak RSS: " + ", ".join(f"{n} {mib:,.0f} MiB" for n, mib in r["rss"].items()), flush=True)
    if r["what"] != "-":
        print(f"  abuse: {r['what']}", flush=True)


async def _run(folder: Path) -> None:
    kafka = private_topics("bench-abuse")
    await ensure_topics(kafka)
    topics = {"KAFKA_PLAYS_TOPIC": kafka.plays_topic, "KAFKA_LIVE_TOPIC": kafka.live_topic}
    limits = {"INGEST_RATE_LIMIT_EVENTS_PER_S": str(RATE_LIMIT), "INGEST_RATE_LIMIT_BURST": str(RATE_LIMIT)}
    ingest = ingest_process(folder / "ingest", free_port(), {**topics, **limits})
    api: AppService = dashboard.service(
        DevstackSettings(state_dir=folder / "dashboard"), port=free_port(), workers=1, env=topics
    )
    try:
        ingest.up()
        api.up()
        # A second client with its own key (and so its own rate limit): read again without a restart.
        keys_file = ingest_keys(ingest.settings).keys_file
        flood_key = new_key()
        write_keys(keys_file, {**read_entries(keys_file), "flooder": digest(flood_key)})
        servers = Servers(ingest.port or 0, api.port or 0, api_key(ingest), flood_key)
        pids = {"ingest": ingest.proc.pid() or 0, "dashboard-api": api.proc.pid() or 0}
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            base = await _measure(pool, servers, pids, None)
            _print("baseline: the probe alone", base, None)
            for abuse in ONLY:
                result = await _measure(pool, servers, pids, abuse)
                _print(abuse, result, base)
                await asyncio.sleep(3)  # the server settles (closed sockets, freed memory) before the next
    finally:
        for service in (api, ingest):
            with contextlib.suppress(Exception):
                print(f"  {service.name} log tail:\n{service.proc.tail(5)}", flush=True)
            service.down()
        await drop_topics(kafka)


def main() -> None:
    """Start the private servers, run the baseline and every abuse, print, stop."""
    _raise_nofile()  # the servers started from here inherit it
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
    print(f"load average at start: {os.getloadavg()}, open files limit {nofile}")
    print(
        f"probe: {PROBE_RATE:g} POST /play/s + {PROBE_RATE:g} GET /api/top/hourly/s + 1 /ws/live "
        f"client pinging 5/s, {SECONDS:.0f} s per run; ingest's rate limit {RATE_LIMIT:,} events/s "
        "per client",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-abuse-") as folder:
        asyncio.run(_run(Path(folder)))
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
