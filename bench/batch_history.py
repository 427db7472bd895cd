"""Batch history latencies through the real path: ingest → Kafka → lake job (normal trigger) → Airflow.

- hour deadline → final chart: plays of an hour keep flowing, then its `plays_hourly_etl` run is
  triggered through the REST API (the deadline) and timed until it succeeded (p50 / max over
  ``BENCH_BATCH_HOURS`` hours); baseline: the same run for an hour whose lake is already complete.
- late play → restated chart: one late play, until the lake committed it, plus one `plays_restatement`
  run (the scheduled tick adds at most its 5-minute interval on top).
- 24 h backfill: `simulator backfill --hours 24` sent, in the lake and restated (plays/s end to end);
  baseline: the sending alone.

Run: ``uv run python -m bench batch_history`` (needs the local Kafka, PostgreSQL and S3: ``make up``
engines). It starts its own lake job, ingest and a private Airflow on free ports, on private topics,
a lake prefix and a chart database of its own that it deletes afterwards.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import httpx
from ingest.settings import IngestSettings
from simulator.backfill import BackfillOptions, plan
from simulator.catalog import shipped_catalog
from simulator.lake import upload_catalog
from simulator.sender import SendConfig
from topsongs_charts.lake import Lake
from topsongs_charts.progress import kafka_end_offsets, lake_behind
from topsongs_charts.restate import stale_hours
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import ContractSettings, PostgresSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.services.spark import spark_jars

from tests.e2e.airflow_stack import AirflowApi, pipeline_env, private_airflow, private_chart_database
from tests.servers import serve_ingest

HOUR = timedelta(hours=1)
MAX_AGE = timedelta(days=365 * 8)
REGIONS = ("US", "GB", "BR", "DE")


def _settings(root: str, postgres: PostgresSettings) -> ChartsSettings:
    kafka = private_topics("bench-batch")
    return ChartsSettings(
        postgres=postgres,
        lake=LakeLayout(plays_path=f"{root}/raw", checkpoint_location=f"{root}/checkpoints"),
        enriched_prefix=f"{root}/enriched",
        catalog_key=f"{root}/catalog/songs.parquet",
        kafka=kafka,
        contract=ContractSettings(max_event_age=MAX_AGE),
        lake_poll_s=1.0,
    )


class Bench:
    """One run's engines and clients."""

    def __init__(self, charts: ChartsSettings, api: AirflowApi, http: httpx.AsyncClient, url: str) -> None:
        self.charts, self.api, self.http, self.url = charts, api, http, url
        self.songs = shipped_catalog().songs[:60]
        self.rng = random.Random(3)

    def play(self, hour: datetime) -> dict[str, object]:
        song = self.rng.choices(self.songs, [1 / (i + 1) for i in range(len(self.songs))])[0]
        return {
            "song_id": song.song_id,
            "title": song.title,
            "artist": song.artist,
            "user_id": f"u-{self.rng.randrange(900)}",
            "region": self.rng.choice(REGIONS),
            "played_at": (hour + timedelta(seconds=self.rng.randrange(3600))).isoformat(),
        }

    async def post(self, hour: datetime, n: int) -> None:
        response = await self.http.post("/plays", json={"events": [self.play(hour) for _ in range(n)]})
        response.raise_for_status()

    async def lake_caught_up(self) -> float:
        """Seconds until the lake holds what Kafka holds now."""
        started = time.perf_counter()
        ends = await asyncio.to_thread(kafka_end_offsets, self.charts.kafka)
        lake = Lake.from_s3(self.charts.s3)
        while True:
            if not lake_behind(self.charts, ends, lake):
                return time.perf_counter() - started
            await asyncio.sleep(0.5)

    async def run(self, dag_id: str, interval: tuple[datetime, datetime] | None = None) -> tuple[float, str]:
        """Seconds from the REST trigger to the run's success."""
        started = time.perf_counter()
        run_id = await self.api.trigger(dag_id, interval)
        state = await self.api.wait(dag_id, run_id, timeout_s=1800)
        if state != "success":
            raise RuntimeError(f"{dag_id} {run_id} {state}: {await self.api.task_states(dag_id, run_id)}")
        return time.perf_counter() - started, run_id

    async def deadline_to_final(self, hour: datetime) -> tuple[float, float]:
        """Plays flow for 10 s, then the hour's run is triggered: (seconds to final, seconds waited)."""
        for _ in range(10):
            await self.post(hour, 200)
            await asyncio.sleep(1)
        seconds, run_id = await self.run("plays_hourly_etl", (hour, hour + HOUR))
        waited = await self.api.xcom("plays_hourly_etl", run_id, "lake_complete")
        return seconds, float(waited["waited_s"]) if isinstance(waited, dict) else float("nan")

    async def complete_lake_run(self, hour: datetime) -> float:
        """The baseline: the same run for an hour whose plays are all in the lake already."""
        for _ in range(10):
            await self.post(hour, 200)
        await self.lake_caught_up()
        return (await self.run("plays_hourly_etl", (hour, hour + HOUR)))[0]

    async def restate_all(self) -> float:
        """Seconds of restatement runs until nothing is stale."""
        total = 0.0
        while stale_hours(self.charts, datetime.now(UTC)):
            total += (await self.run("plays_restatement"))[0]
        return total

    async def backfill(self, now: datetime) -> tuple[int, float]:
        """``simulator backfill --hours 24`` at its defaults: (plays, seconds to send)."""
        env = {k: v for k, v in os.environ.items() if "OPENAI" not in k}
        argv = ["backfill", "--hours", "24", "--now", now.isoformat(), "--no-progress", "--ingest-url"]
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulator.cli", *argv, self.url, env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await proc.communicate()
        seconds = time.perf_counter() - started
        if proc.returncode:
            raise RuntimeError(out.decode()[-2000:])
        regions = dict.fromkeys(ContractSettings().regions, 1.0)  # the command's default mix
        opts = BackfillOptions(send=SendConfig(ingest_url=self.url, rate=1.0), regions=regions, now=now)
        return sum(h.sent for h in plan(opts, now)), seconds


async def _main(hours: int, postgres: PostgresSettings) -> None:
    root = f"bench/batch-{uuid.uuid4().hex[:8]}"
    charts = _settings(root, postgres)
    await ensure_topics(charts.kafka)
    upload_catalog(shipped_catalog(), charts.s3, key=charts.catalog_key)
    day = date(2023, 1, 5) + timedelta(days=random.randrange(300))
    jars = spark_jars(DevstackSettings())
    lake_env = {**os.environ, **pipeline_env(charts), "LAKE_JARS_DIR": str(jars), "LAKE_UI_ENABLED": "false"}
    trigger = lake_env.setdefault("LAKE_TRIGGER_INTERVAL", "30 seconds")
    lake_job = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "spark.job", env=lake_env, stdout=asyncio.subprocess.DEVNULL
    )
    ingest = IngestSettings(kafka=charts.kafka, contract=charts.contract)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with (
                private_airflow(pipeline_env(charts), Path(tmp)) as api,
                serve_ingest(ingest) as url,
                httpx.AsyncClient(base_url=url, timeout=30) as http,
            ):
                for dag_id in ("plays_hourly_etl", "daily_charts", "plays_restatement"):
                    await api.unpause(dag_id)
                bench = Bench(charts, api, http, url)
                start = datetime.combine(day, clock(8), UTC)
                await bench.post(start - HOUR, 10)  # the lake job's first batch
                await bench.lake_caught_up()
                finals = [await bench.deadline_to_final(start + k * HOUR) for k in range(hours)]
                baseline = await bench.complete_lake_run(start + hours * HOUR)
                seconds = [f for f, _ in finals]
                print(
                    f"hour deadline → final chart over {hours} hours (lake trigger {trigger}): "
                    f"p50 {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s "
                    f"(waited for the lake {', '.join(f'{w:.1f}' for _, w in finals)} s); baseline, lake "
                    f"already complete: {baseline:.1f} s → p50 {statistics.median(seconds) / baseline:.2f}x",
                    flush=True,
                )

                await bench.post(start, 1)
                lake_s = await bench.lake_caught_up()
                run_s = await bench.restate_all()
                print(
                    f"late play → restated chart: {lake_s + run_s:.1f} s (lake {lake_s:.1f} s + restatement "
                    f"run {run_s:.1f} s), ≤ {lake_s + run_s + 300:.0f} s with the 5-minute tick; "
                    f"{(lake_s + run_s + 300) / 900:.2f}x the 15-minute bound",
                    flush=True,
                )

                now = datetime.combine(day + timedelta(days=3), clock(5, 30), UTC)
                began = time.perf_counter()
                plays, send_s = await bench.backfill(now)
                lake_s = await bench.lake_caught_up()
                run_s = await bench.restate_all()
                total = time.perf_counter() - began
                print(
                    f"24 h backfill end to end: {plays:,} plays in {total:.1f} s = {plays / total:,.0f}/s "
                    f"(send {send_s:.1f} s, lake catch-up {lake_s:.1f} s, restatement {run_s:.1f} s); "
                    f"baseline, sending alone: {plays / send_s:,.0f} plays/s → ratio "
                    f"{send_s / total:.2f}x",
                    flush=True,
                )
    finally:
        lake_job.terminate()
        await lake_job.wait()
        Lake.from_s3(charts.s3).remove_tree(root)


def main() -> None:
    """Entry point of ``python -m bench batch_history``."""
    with private_chart_database(PostgresSettings()) as postgres:
        asyncio.run(_main(int(os.environ.get("BENCH_BATCH_HOURS", "3")), postgres))


if __name__ == "__main__":
    main()
