"""Slowloris through the cluster profile's balancer: a legitimate POST /play probe's p99 and how long
haproxy lets the slow connections live, with and without its request timeout.

One ingest process as devstack starts it, on private topics of the single-node Kafka that `make bench`
has started, with the servers' per-address cap off as behind the balancer
(`BEHIND_BALANCER`), and devstack's haproxy in front of it with the cluster profile's ingest front
end (per-address cap `CLUSTER_BALANCER_MAX_CONNECTIONS_PER_ADDRESS`, Idempotency-Key stamp). Two
balancers in turn: one with `timeout http-request` left at an hour (what haproxy did before
2026-12-07: its client timeout restarts with every byte) and one at the profile's
`CLUSTER_BALANCER_REQUEST_TIMEOUT_S`. For each: the probe alone (baseline), then the probe while
`bench abuse`'s slowloris (2,000 connections from 127.0.0.5, a header line each every 2 s) runs
against the balancer. The probe is 20 POST /play a second, open loop, in its own process.

    uv run python -m bench balancer_slowloris
    BENCH_ABUSE_SECONDS=15 (default, as bench abuse)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import aiohttp
from ingest.kafka_setup import drop_topics
from topsongs_devstack.cluster.balancer import Balancer, Pool
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.deployment.programs import BEHIND_BALANCER
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import free_port

from bench._ingest_load import api_key, ingest_process
from bench.abuse import (
    PROBE_RATE,
    REQUEST_TIMEOUT_S,
    SECONDS,
    SLOWLORIS,
    Servers,
    _paced,
    _play,
    _raise_nofile,
    slowloris,
)
from bench.rest_latency import quantile_ms

BEFORE_S = 3600.0  # "no request timeout": only the client timeout, restarted by every byte


async def _post_probe(url: str, key: str, seconds: float) -> dict:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, headers={"X-API-Key": key}) as session:

        async def one(due: float) -> None:
            try:
                async with session.post(f"{url}/play", json=_play("s-probe")) as resp:
                    await resp.read()
                    if resp.status != 202:
                        errors[f"HTTP {resp.status}"] += 1
                        return
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                errors[type(exc).__name__] += 1
                return
            latencies.append(time.perf_counter() - due)

        await _paced(PROBE_RATE, seconds, one)
    latencies.sort()
    return {"ok": len(latencies), "p99": quantile_ms(latencies, 0.99), "errors": dict(errors)}


def post_probe(url: str, key: str, seconds: float) -> dict:
    """The probe, in the process that calls it."""
    return asyncio.run(_post_probe(url, key, seconds))


async def _variant(pool: ProcessPoolExecutor, balancer: Balancer, key: str, label: str) -> None:
    port = balancer.pools[0].bind[1]
    url = f"http://127.0.0.1:{port}"
    await asyncio.to_thread(balancer.up)
    try:
        base = await asyncio.wrap_future(pool.submit(post_probe, url, key, SECONDS))
        attack = asyncio.create_task(slowloris(Servers(port, 0, key, ""), SECONDS + 5))
        await asyncio.sleep(5)  # at full strength before the probe starts
        under = await asyncio.wrap_future(pool.submit(post_probe, url, key, SECONDS))
        what = await attack
        denied = balancer_denied(balancer)
    finally:
        await asyncio.to_thread(balancer.down)
    ratio = under["p99"] / base["p99"] if base["p99"] else float("nan")
    print(f"\n[{label}] load {os.getloadavg()[0]:.1f}", flush=True)
    print(
        f"  probe alone       POST /play p99 {base['p99']:7.1f} ms ({base['ok']:,} ok, errors "
        f"{base['errors'] or 0})"
    )
    print(
        f"  probe + slowloris POST /play p99 {under['p99']:7.1f} ms ({under['ok']:,} ok, errors "
        f"{under['errors'] or 0})  x{ratio:.2f} of alone"
    )
    print(f"  slowloris: {what}; refused at accept by the per-address cap: {denied}", flush=True)


def balancer_denied(balancer: Balancer) -> str:
    """Connections the front end refused (haproxy's `dcon`) and its 4xx answers (408s among them)."""
    rows = [row for row in balancer.stats() if row.get("svname") == "FRONTEND"]
    return ", ".join(
        f"{row.get('dcon', '?')} (front end's 4xx answers: {row.get('hrsp_4xx', '?')})" for row in rows
    )


async def _run(folder: Path) -> None:
    kafka = private_topics("bench-lb-slowloris")
    await ensure_topics(kafka)
    topics = {"KAFKA_PLAYS_TOPIC": kafka.plays_topic, "KAFKA_LIVE_TOPIC": kafka.live_topic}
    ingest = ingest_process(folder / "ingest", free_port(), {**topics, **BEHIND_BALANCER})
    profile = ClusterSettings()
    try:
        ingest.up()
        key = api_key(ingest)
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            for label, timeout_s in (
                ("before: no request timeout", BEFORE_S),
                (
                    f"now: request timeout {profile.balancer_request_timeout_s:g} s",
                    profile.balancer_request_timeout_s,
                ),
            ):
                front = Pool(
                    "ingest",
                    ("127.0.0.1", free_port()),
                    [("ingest-1", "127.0.0.1", ingest.port or 0)],
                    stamp_idempotency_key=True,
                    max_connections_per_address=profile.balancer_max_connections_per_address,
                )
                devstack = DevstackSettings(state_dir=folder / f"lb-{int(timeout_s)}")
                await _variant(pool, Balancer(devstack, [front], request_timeout_s=timeout_s), key, label)
                await asyncio.sleep(3)
    finally:
        with contextlib.suppress(Exception):
            print(f"  ingest log tail:\n{ingest.proc.tail(5)}", flush=True)
        ingest.down()
        await drop_topics(kafka)


def main() -> None:
    """Start ingest, run both balancers, print, stop."""
    _raise_nofile()
    print(
        f"load average at start: {os.getloadavg()}; probe {PROBE_RATE:g} POST /play/s for {SECONDS:.0f} s; "
        f"slowloris {SLOWLORIS:,} connections from one address",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-lb-") as folder:
        asyncio.run(_run(Path(folder)))
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
