"""Simulator rate: the highest events/s one process sustains (>= 95% of target) against a stand-in.

The stand-in (``simulator.standin``) runs in its own process and answers 202 to everything, so
the figure measures the simulator alone: model, faults, pacing, httpx and bookkeeping.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime

from rich.console import Console
from simulator.catalog import shipped_catalog
from simulator.sender import SendConfig
from simulator.simulation import RunOptions, simulate

PORT = int(os.environ.get("BENCH_SIM_PORT", "18766"))
SECONDS = float(os.environ.get("BENCH_SIM_SECONDS", "4"))
SINGLE_RATES = (250, 500, 1000, 1500, 2000, 3000)
BATCH_RATES = (5_000, 10_000, 20_000, 40_000, 80_000)


async def _probe(rate: float, batch_size: int, concurrency: int) -> dict[str, object]:
    opts = RunOptions(
        send=SendConfig(
            ingest_url=f"http://127.0.0.1:{PORT}",
            rate=rate,
            duration_s=SECONDS,
            batch_size=batch_size,
            concurrency=concurrency,
        ),
        regions={"US": 1, "GB": 1, "BR": 1, "JP": 1},
        start=datetime.now(UTC),
        progress=False,
    )
    stats = await simulate(shipped_catalog(), opts, Console(quiet=True))
    return stats.summary()


def _ceiling(rates: tuple[int, ...], batch_size: int, concurrency: int) -> float:
    best = 0.0
    for rate in rates:
        summary = asyncio.run(_probe(rate, batch_size, concurrency))
        ratio, achieved = summary["rate_ratio"], summary["achieved_rate"]
        print(
            f"  batch={batch_size:<4} target={rate:>6}/s achieved={achieved:>9}/s "
            f"({ratio:.1%}) p99={summary['latency_ms']['p99']} ms",
            flush=True,
        )  # type: ignore[str-format]
        if float(ratio) < 0.95:  # type: ignore[arg-type]
            break
        best = float(achieved)  # type: ignore[arg-type]
    return best


def main() -> None:
    """Ramp the target rate until the simulator falls below 95% of it; print the ceilings."""
    standin = subprocess.Popen(
        [sys.executable, "-m", "simulator.standin", "--port", str(PORT)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert standin.stdout is not None
        standin.stdout.readline()
        single = _ceiling(SINGLE_RATES, batch_size=0, concurrency=32)
        batched = _ceiling(BATCH_RATES, batch_size=500, concurrency=8)
    finally:
        standin.terminate()
        standin.wait(10)
    print(f"simulator single POST /play: {single:.0f} events/s sustained", flush=True)
    print(f"simulator POST /plays x500: {batched:.0f} events/s sustained", flush=True)


if __name__ == "__main__":
    main()
