"""The batch path as production runs it: plays keep flowing while the lake job runs on its normal
trigger, the hour's run is triggered through Airflow's REST API at the deadline and must wait for the
lake; then late plays and duplicates are restated by the restatement DAG under the real scheduler.
Every table is compared with a brute-force oracle by event_id."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from simulator.backfill import BackfillOptions, plan, plays
from simulator.catalog import shipped_catalog
from simulator.lake import upload_catalog
from simulator.sender import SendConfig
from topsongs_charts.lake import Lake
from topsongs_charts.progress import kafka_end_offsets, lake_behind
from topsongs_charts.restate import stale_hours
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import ContractSettings, KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.services.spark import spark_jars

from tests.e2e.airflow_stack import AirflowApi, pipeline_env, private_airflow, private_chart_database
from tests.e2e.charts_oracle import HOUR, REGIONS, oracle_day, oracle_hour, play, plays_hourly
from tests.e2e.conftest import ARTIFACTS, serve_dashboard, start_live_worker
from tests.ingest.support import serve
from tests.servers import serve_ingest

pytestmark = pytest.mark.slow

# Far-past plays are accepted only because this deployment widens ingest's horizon (and the
# restatement's, which follows the same contract setting).
MAX_AGE = timedelta(days=365 * 8)
TRIGGER = "40 seconds"


@pytest.fixture
def day() -> date:
    """A day of 2024 (the DAGs start in 2020); its charts live in the test's own database."""
    return date(2024, 1, 3) + timedelta(days=random.randrange(360))


@pytest.fixture
def charts(s3_settings: S3Settings, pg_settings: PostgresSettings, kafka_settings: KafkaSettings) -> Iterator:
    """Chart settings on a private lake prefix (the lake job's checkpoint under it) and a private
    chart database; both removed after."""
    root = f"tests/race-{uuid.uuid4().hex[:8]}"
    with private_chart_database(pg_settings) as postgres:
        yield ChartsSettings(
            lake=LakeLayout(plays_path=f"{root}/raw", checkpoint_location=f"{root}/checkpoints"),
            enriched_prefix=f"{root}/enriched",
            catalog_key=f"{root}/catalog/songs.parquet",
            lake_wait_limit=timedelta(minutes=4),
            lake_poll_s=2.0,
            s3=s3_settings,
            postgres=postgres,
            kafka=kafka_settings,
            contract=ContractSettings(max_event_age=MAX_AGE),
        )
    Lake.from_s3(s3_settings).remove_tree(root)


@pytest.fixture
async def lake_job(charts: ChartsSettings, tmp_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """The lake job on its normal processing-time trigger, running until the test ends."""
    env = {
        **os.environ,
        **pipeline_env(charts),
        "LAKE_JARS_DIR": str(spark_jars(DevstackSettings())),
        "LAKE_TRIGGER_INTERVAL": TRIGGER,
        "LAKE_UI_ENABLED": "false",
    }
    log = (tmp_path / "lake-job.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "spark.job", env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    yield proc
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 60)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    log.close()


@pytest.fixture
def live_worker(charts: ChartsSettings, tmp_path: Path) -> Iterator[None]:
    """The live side on the same topic, so its hour finals can be reconciled with the batch."""
    _, stop = start_live_worker(charts.kafka, tmp_path, TOPSONGS_MAX_EVENT_AGE=f"P{MAX_AGE.days}D")
    yield
    stop()


async def _charts(http: httpx.AsyncClient, path: str, **params: str) -> dict[str, dict]:
    return {region: (await http.get(path, params={"region": region, **params})).json() for region in REGIONS}


async def _lake_caught_up(charts: ChartsSettings, kafka_ends: dict[int, int], timeout_s: float) -> None:
    lake = Lake.from_s3(charts.s3)
    for _ in range(int(timeout_s)):
        if not lake_behind(charts, kafka_ends, lake):
            return
        await asyncio.sleep(1)
    raise AssertionError(f"the lake job did not commit {kafka_ends} in {timeout_s} s")


async def _run(
    api: AirflowApi,
    dag_id: str,
    interval: tuple[datetime, datetime] | None = None,
    logical_date: datetime | None = None,
) -> str:
    run_id = await api.trigger(dag_id, interval, logical_date)
    state = await api.wait(dag_id, run_id)
    assert state == "success", f"{dag_id} {run_id}: {state} {await api.task_states(dag_id, run_id)}"
    return run_id


async def test_hour_waits_for_the_lake_and_late_plays_are_restated(
    charts: ChartsSettings,
    lake_job: asyncio.subprocess.Process,
    day: date,
    tmp_path: Path,
    live_worker: None,
    browser_check,
) -> None:
    songs = shipped_catalog().songs[:30]
    upload_catalog(shipped_catalog(), charts.s3, key=charts.catalog_key)
    rng = random.Random(11)
    hour = datetime.combine(day, time(12), UTC)
    sent: list[dict[str, object]] = []
    ingest_settings = IngestSettings(kafka=charts.kafka, contract=charts.contract)

    async with private_airflow(pipeline_env(charts), tmp_path / "airflow") as api:
        # The restatement's own 5-minute tick starts only once the hour has its scheduled run: this
        # 2024 hour is long settled for it, so a tick during the first phase would publish the hour
        # before its hourly run does (in production that run settles first, at deadline + limit).
        for dag_id in ("plays_hourly_etl", "daily_charts"):
            await api.unpause(dag_id)
        async for client in serve(ingest_settings):

            async def post(events: list[dict[str, object]]) -> None:
                response = await client.post("/plays", json={"events": events})
                assert response.status_code == 202, response.text
                sent.extend(events)

            # Once the lake job has committed a first batch, the next trigger is ~40 s away: plays
            # posted now are in Kafka but not in the lake when the run starts.
            await post([play(rng, songs, hour) for _ in range(200)])
            await _lake_caught_up(charts, await asyncio.to_thread(kafka_end_offsets, charts.kafka), 240)
            for _ in range(8):
                await post([play(rng, songs, hour) for _ in range(150)])
                single = play(rng, songs, hour)
                assert (await client.post("/play", json=single)).status_code == 202
                sent.append(single)
                await asyncio.sleep(1)

            # The deadline: the hour's run, triggered through the REST API, must wait for the lake.
            run_id = await _run(api, "plays_hourly_etl", (hour, hour + HOUR))
            waited = await api.xcom("plays_hourly_etl", run_id, "lake_complete")
            assert isinstance(waited, dict) and waited["behind_at_start"] > 0, waited
            assert plays_hourly(charts.postgres, hour) == oracle_hour(sent, hour)
            # The day's run also loads the day's hours that have no load yet (09:00, empty so far).
            await _run(api, "daily_charts", (hour - 12 * HOUR, hour + 12 * HOUR))

            # Late plays (for the final hour, 3 hours and 2 days before it) and duplicates of
            # already-counted ids, posted the way a retrying client would.
            first_final = len({e["event_id"] for e in sent})
            earlier, two_days = hour - 3 * HOUR, hour - timedelta(days=2)
            late = [play(rng, songs, h) for h in (hour, earlier, two_days) for _ in range(60)]
            await post(late + rng.sample(sent, 40))
            # Meanwhile, what `make demo` does first: `simulator backfill` (here 12 h before a fixed
            # "now") through ingest; yesterday's daily chart and every past hour must appear.
            backfill_now = datetime.combine(day + timedelta(days=2), time(4, 30), UTC)
            backfilled = await _backfill(ingest_settings, backfill_now, hours=12)
            backfill_hours = [backfill_now.replace(minute=0) - n * HOUR for n in range(12, -1, -1)]
            await api.unpause("plays_restatement")
            ends = await asyncio.to_thread(kafka_end_offsets, charts.kafka)
            await _lake_caught_up(charts, ends, 240)
            # Triggered now rather than waiting for the 5-minute tick (which may also run, and
            # restate some of the hours first: then this run finds fewer). At the same moment, a
            # retry of the race hour's ETL (another run of its interval): the scheduler runs both at
            # once over the same hour and day, its late files and their claims; the hour's and the
            # day's locks must make that equal to some serial order (checked against the oracle).
            retry = asyncio.create_task(
                _run(api, "plays_hourly_etl", (hour, hour + HOUR), hour + HOUR + timedelta(seconds=1))
            )
            restatement = await _run(api, "plays_restatement")
            await retry
            stale = await api.xcom("plays_restatement", restatement, "find_stale_hours")
            assert isinstance(stale, list) and len(stale) <= charts.restate_batch_hours, stale
            assert stale_hours(charts, datetime.now(UTC)) == []
            # Every hour that gained plays was restated, by this run or a tick: exactly those.
            restated: set[str] = set()
            for run_id in await api.run_ids("plays_restatement"):
                found = await api.xcom("plays_restatement", run_id, "find_stale_hours")
                assert isinstance(found, list), found
                restated.update(found)
            race_hours = {two_days, earlier, hour}
            gained = {h.isoformat() for h in race_hours | set(backfill_hours)}
            # The race hour may have been taken by the ETL retry first: then no restatement finds it.
            assert restated <= gained and restated | {hour.isoformat()} == gained, restated

    for h in (two_days, earlier, hour):
        assert plays_hourly(charts.postgres, h) == oracle_hour(sent, h), h
    settings = DashboardSettings(kafka=charts.kafka, postgres=charts.postgres)
    async with serve_dashboard(settings) as base, httpx.AsyncClient(base_url=base) as http:
        hourly = await _charts(http, "/api/top/hourly", hour=hour.isoformat())
        late_here = Counter(e["region"] for e in late if e["played_at"] >= hour.isoformat())
        for region, chart in hourly.items():
            assert [(e["song_id"], e["plays"]) for e in chart["entries"]] == oracle_hour(sent, hour)[region][
                :10
            ]
            assert (chart["status"], chart["late_plays"]) == ("restated", late_here[region]), chart
        for d in (day, two_days.date()):
            daily = await _charts(http, "/api/top/daily", date=str(d))
            for region, chart in daily.items():
                assert [(e["song_id"], e["plays"]) for e in chart["entries"]] == oracle_day(sent, d)[region][
                    :10
                ]
                assert chart["status"] in {"final", "restated"}, chart
        # Every play of these hours is late for the live board: batch − live = its late drops.
        for d in (two_days.date(), day, backfill_now.date() - timedelta(days=1)):
            for region in REGIONS:
                rec = (
                    await http.get("/api/reconciliation", params={"region": region, "date": str(d)})
                ).json()
                assert rec["unexplained"] == 0, rec
                done = [h for h in rec["hours"] if h["status"] != "pending"]
                assert {h["status"] for h in done} <= {"agree", "explained"}, rec
                if d == day:  # the race hour: all its plays were late for live, none unexplained
                    (at_hour,) = [
                        h for h in rec["hours"] if h["hour"] == hour.isoformat().replace("+00:00", "Z")
                    ]
                    assert at_hour["status"] == "explained" and at_hour["live_plays"] == 0, at_hour
                    assert at_hour["late_dropped"] == at_hour["batch_plays"] > 0, at_hour
        yesterday = backfill_now.date() - timedelta(days=1)
        daily = await _charts(http, "/api/top/daily", date=str(yesterday))
        expected = oracle_day(backfilled, yesterday)
        for region, chart in daily.items():
            assert [(e["song_id"], e["plays"]) for e in chart["entries"]] == expected[region][:10]
            assert chart["status"] == "final", chart
        shot = ARTIFACTS / "history-backfill.png"
        top = daily["US"]["entries"][0]["title"]
        result = await browser_check("history-view.mjs", base, "US", str(yesterday), top, str(shot))
        assert result.returncode == 0, result.stdout
    assert first_final < len({e["event_id"] for e in sent})


async def _backfill(ingest: IngestSettings, now: datetime, hours: int) -> list[dict[str, object]]:
    """``simulator backfill`` against ingest on a port; returns the plays it sends (same seed, same
    model: the oracle's copy)."""
    env = {k: v for k, v in os.environ.items() if "OPENAI" not in k}  # the shipped catalog
    argv = ["--hours", str(hours), "--now", now.isoformat(), "--regions", ",".join(REGIONS)]
    argv += ["--plays-per-hour", "200", "--rate", "4000", "--no-progress", "--seed", "7"]
    async with serve_ingest(ingest) as url:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "simulator.cli",
            "backfill",
            *argv,
            "--ingest-url",
            url,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, out.decode()[-3000:]
    catalog = shipped_catalog()
    opts = BackfillOptions(
        send=SendConfig(ingest_url="", rate=1.0),
        regions=dict.fromkeys(REGIONS, 1.0),
        hours=hours,
        plays_per_hour=200,
        seed=7,
        now=now,
    )
    return [p.payload(catalog) for p in plays(catalog, opts, plan(opts, now))]
