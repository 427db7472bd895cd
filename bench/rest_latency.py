"""History REST latency at a constant 1,000 req/s, against GET /healthz on the same server.

Seeds PostgreSQL with the charts loader (`load_hourly`, `load_daily`) for a few regions over two
past days (closed intervals with final charts, what history mostly serves) and starts
dashboard-api under uvicorn: 1 worker, then 2, without the shared cache; then the largest count
with a redis-server of its own, cold, and once more restarted against the redis that run filled
(as after a deploy). It drives an open-loop pacer (aiohttp in a separate process): request i is
due at ``start + i / rate`` whatever happened to the earlier ones, and its latency runs from that
due time to the last byte of the answer, so a stall shows up in the figures instead of slowing the
pacer (no coordinated omission). The mix cycles /api/top/hourly, /api/top/daily and /api/trend
from the server's cold start (the warm-up before it asks only /healthz, to open the connections);
the baseline is the same pacer against /healthz (the framework floor: uvicorn + FastAPI + the
client, no database). The seeded days are removed.

    uv run python -m bench rest_latency
    BENCH_REST_RATE=1000 BENCH_REST_SECONDS=15 BENCH_REST_WORKERS=1,2 BENCH_REST_REDIS=1 (defaults)
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import aiohttp
import httpx
import pyarrow as pa
from topsongs_charts.loads import delete_day, load_daily, load_hourly
from topsongs_charts.rollup import top_songs
from topsongs_core.settings import PostgresSettings
from topsongs_devstack.process import free_port
from topsongs_devstack.redis_server import RedisServer

RATE = float(os.environ.get("BENCH_REST_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_REST_SECONDS", "15"))
WARMUP_S = 2.0
WORKERS = tuple(int(w) for w in os.environ.get("BENCH_REST_WORKERS", "1,2").split(","))
REDIS = os.environ.get("BENCH_REST_REDIS", "1") == "1"
TARGET_P99_MS = 20.0
REQUEST_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 512

# Past days (no test uses 1961): their charts are final, as most history reads are. Until 2026-12-06
# they were days of 2041, whose charts count as open and are re-read every `history_cache_open_s`.
DAYS = (date(1961, 3, 1), date(1961, 3, 2))
REGIONS = ("US", "GB", "DE", "JP")
SONGS = 300
TOP_N = 10


def _per_song(rng: random.Random, scale: int) -> pa.Table:
    """Plays per (region, song): Zipf-like, so the top of every chart is a few dozen songs."""
    rows = [
        (region, f"s-{s:03d}", f"Song {s}", f"Artist {s % 80}", ("pop", "rock", "hip-hop")[s % 3], plays)
        for region in REGIONS
        for s in range(SONGS)
        if (plays := int(scale / (s + 1) ** 0.9 * rng.uniform(0.6, 1.4))) > 0
    ]
    names = ["region", "song_id", "song", "artist", "genre", "plays"]
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


def seed(pg: PostgresSettings) -> int:
    """Load every hour and both days through the charts loader; returns the hourly loads written."""
    rng = random.Random(2041)
    hours = 0
    for day in DAYS:
        start = datetime.combine(day, datetime.min.time(), UTC)
        tables = []
        for h in range(24):
            per_song = _per_song(rng, 400)
            load_hourly(
                pg,
                start + timedelta(hours=h),
                per_song.select(["region", "song_id", "plays"]),
                top_songs(per_song, TOP_N),
            )
            tables.append(per_song)
            hours += 1
        day_table = pa.concat_tables(tables).group_by(["region", "song_id", "song", "artist", "genre"])
        per_day = day_table.aggregate([("plays", "sum")]).rename_columns(
            ["region", "song_id", "song", "artist", "genre", "plays"]
        )
        load_daily(pg, start, per_day.select(["region", "song_id", "plays"]), top_songs(per_day, TOP_N))
    return hours


def mixed_paths(n: int) -> list[str]:
    """``n`` history requests cycling hourly / daily / trend over the seeded interval."""
    rng = random.Random(7)
    first = datetime.combine(DAYS[0], datetime.min.time(), UTC)
    paths = []
    for i in range(n):
        region = rng.choice(REGIONS)
        if i % 3 == 0:
            hour = first + timedelta(hours=rng.randrange(48))
            paths.append(f"/api/top/hourly?region={region}&hour={hour:%Y-%m-%dT%H:%MZ}")
        elif i % 3 == 1:
            paths.append(f"/api/top/daily?region={region}&date={rng.choice(DAYS).isoformat()}")
        else:
            start = first + timedelta(hours=rng.randrange(24))
            paths.append(
                f"/api/trend?region={region}&song_id=s-{rng.randrange(20):03d}"
                f"&from={start:%Y-%m-%dT%H:%MZ}&to={start + timedelta(hours=24):%Y-%m-%dT%H:%MZ}"
            )
    return paths


def quantile_ms(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of sorted seconds, in milliseconds (nan when empty)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def _paced(session: aiohttp.ClientSession, paths: list[str], rate: float, seconds: float) -> dict:
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
    clock = time.perf_counter
    n = int(rate * seconds)
    # Each answered request's latency and the second of the run it was due in (where the tail sits).
    answered: list[tuple[float, int]] = []
    errors: Counter[str] = Counter()
    tasks: set[asyncio.Task[None]] = set()

    async def one(path: str, due: float) -> None:
        try:
            async with session.get(path) as resp:
                await resp.read()
                if resp.status != 200:
                    errors[f"HTTP {resp.status}"] += 1
                    return
        except (aiohttp.ClientError, TimeoutError) as exc:
            errors[type(exc).__name__] += 1
            return
        answered.append((clock() - due, int(due - start)))

    start = clock() + 0.05
    i = 0
    while i < n:
        now = clock()
        while i < n and start + i / rate <= now:
            task = asyncio.create_task(one(paths[i % len(paths)], start + i / rate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        await asyncio.sleep(max(0.0, start + i / rate - clock()))
    sent = clock() - start
    if tasks:
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S + 1)
    elapsed = clock() - start
    for task in list(tasks):
        task.cancel()
        errors["unfinished"] += 1
    answered.sort()
    latencies = [latency for latency, _ in answered]
    slowest = answered[::-1][: max(1, len(answered) // 100)]
    return {
        "slowest_by_second": dict(sorted(Counter(second for _, second in slowest).items())),
        "requests": n,
        "ok": len(latencies),
        "errors": dict(errors),
        "send_rate": n / sent,
        "rate": len(latencies) / elapsed,
        "p50": quantile_ms(latencies, 0.50),
        "p99": quantile_ms(latencies, 0.99),
        "max": quantile_ms(latencies, 1.0),
    }


async def _pace_async(base_url: str, paths: list[str], rate: float, seconds: float) -> dict:
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:
        # Opens the connections without reading a chart: the history mix starts on cold caches.
        await _paced(session, ["/healthz"], rate, WARMUP_S)
        return await _paced(session, paths, rate, seconds)


def pace(base_url: str, paths: list[str], rate: float, seconds: float) -> dict:
    """Open-loop load in this (client) process; uvloop when available, as the server has it."""
    try:
        import uvloop

        return uvloop.run(_pace_async(base_url, paths, rate, seconds))
    except ImportError:
        return asyncio.run(_pace_async(base_url, paths, rate, seconds))


def start_server(port: int, workers: int, env: Mapping[str, str]) -> subprocess.Popen:
    """dashboard-api under uvicorn in its own process group, ``env`` added to its environment;
    returns once /healthz answers."""
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "dashboard_api.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--no-access-log", "--log-level", "warning",
        ],
        start_new_session=True,
        env={**os.environ, **env},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard-api exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                # A multi-worker server answers from the first ready worker; let the others boot.
                time.sleep(1.0 * (workers - 1))
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError("dashboard-api did not become healthy within 60 s")


def stop(proc: subprocess.Popen) -> None:
    """Terminate the server's whole process group (uvicorn's supervisor and its workers)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _line(label: str, r: dict) -> str:
    errors = sum(r["errors"].values())
    detail = f" {r['errors']}" if errors else ""
    return (
        f"{label:<44} {r['rate']:>7,.0f} req/s (sent {r['send_rate']:,.0f})  p50 {r['p50']:6.1f} ms"
        f"  p99 {r['p99']:7.1f} ms  max {r['max']:7.1f} ms  errors {errors}/{r['requests']}{detail}"
    )


def _redis(folder: str) -> RedisServer:
    """A redis-server of the benchmark's own, as `make up` configures the history cache's."""
    return RedisServer(
        "bench-redis",
        "127.0.0.1",
        free_port(),
        state_dir=Path(folder) / "redis",
        secrets_dir=Path(folder) / "secrets",
        run_dir=Path(folder) / "run",
        logs_dir=Path(folder) / "logs",
        start_timeout_s=30,
        detail="bench",
        config=("maxmemory 256mb", "maxmemory-policy allkeys-lru"),
    )


def runs(redis_url: str | None) -> list[tuple[str, int, dict[str, str]]]:
    """(label, processes, environment) of each measured server: no shared cache for every worker
    count, then the largest count with redis cold, and restarted with redis as that run left it."""
    alone = {"DASHBOARD_HISTORY_REDIS_URL": ""}
    plan = [(f"{w} process(es)", w, alone) for w in WORKERS]
    if redis_url:
        shared = {"DASHBOARD_HISTORY_REDIS_URL": redis_url}
        most = max(WORKERS)
        plan += [(f"{most} process(es) + redis, cold", most, shared)]
        plan += [(f"{most} process(es) + redis, restarted", most, shared)]
    return plan


def measure(
    client: ProcessPoolExecutor, paths: list[str], label: str, workers: int, env: dict[str, str]
) -> dict:
    """Start a server, pace /healthz then the history mix from its cold start, stop it."""
    port = free_port()
    server = start_server(port, workers, env)
    try:
        url = f"http://127.0.0.1:{port}"
        base = client.submit(pace, url, ["/healthz"], RATE, SECONDS).result(timeout=120)
        mixed = client.submit(pace, url, paths, RATE, SECONDS).result(timeout=120)
        probe = httpx.get(url + paths[0], timeout=5).json()
        print(f"[{label}] probe {paths[0]} -> {len(probe['entries'])} entries", flush=True)
    finally:
        stop(server)
    return {"label": label, "base": base, "mixed": mixed}


def main() -> None:
    """Seed, measure /healthz and the history mix per server configuration, print, clean up."""
    print(f"load average at start: {os.getloadavg()}", flush=True)
    pg = PostgresSettings()
    n = int(RATE * SECONDS)
    paths = mixed_paths(3000)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as folder:
        redis = _redis(folder) if REDIS else None
        try:
            began = time.perf_counter()
            hours = seed(pg)
            print(f"seeded {hours} hourly + {len(DAYS)} daily loads x {len(REGIONS)} regions "
                  f"in {time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
            if redis is not None:
                redis.up()
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as client:
                for label, workers, env in runs(redis.url() if redis else None):
                    results.append(measure(client, paths, label, workers, env))
        finally:
            if redis is not None:
                redis.down()
            for day in DAYS:
                delete_day(pg, day)
    print(f"\nopen-loop {RATE:,.0f} req/s x {SECONDS:.0f} s = {n:,} requests/run, "
          f"{WARMUP_S:.0f} s warm-up on /healthz, history mix from a cold start")  # fmt: skip
    first = results[0]["mixed"]
    for r in results:
        base, mixed = r["base"], r["mixed"]
        print(_line(f"baseline GET /healthz, {r['label']}", base))
        print(_line(f"history mix, {r['label']}", mixed))
        print(
            f"{'':<44} p99/target {TARGET_P99_MS:.0f} ms = {mixed['p99'] / TARGET_P99_MS:.2f}x, "
            f"p99/baseline p99 = {mixed['p99'] / base['p99']:.2f}x, "
            f"p99/{results[0]['label']} p99 = {mixed['p99'] / first['p99']:.2f}x, "
            f"achieved/offered = {mixed['rate'] / RATE:.2f}"
        )
        print(f"{'':<44} slowest 1% by second of the run: {mixed['slowest_by_second']}")
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
