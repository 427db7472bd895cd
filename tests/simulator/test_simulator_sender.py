"""The sender against a local stand-in answering a fixed status (the real ingest is e2e's job)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from simulator.catalog import Catalog
from simulator.cli import main
from simulator.faults import FaultConfig
from simulator.sender import SendConfig
from simulator.settings import SimulatorSettings
from simulator.simulation import RunOptions, simulate
from simulator.standin import StandinIngest
from topsongs_devstack.process import free_port

START = datetime(2025, 4, 23, 14, 0, tzinfo=UTC)


def _options(url: str, **send: object) -> RunOptions:
    config = SendConfig(**{"ingest_url": url, "rate": 500.0, "count": 300} | send)  # type: ignore[arg-type]
    return RunOptions(send=config, regions={"US": 1, "GB": 1}, start=START, progress=False)


async def test_sends_rate_times_duration_paced_by_the_bucket(catalog: Catalog) -> None:
    # How close the achieved rate comes to the target is bench/simulator_rate.py's figure; here
    # only what pacing guarantees: the count, and never faster than the rate (past the bucket's
    # burst of 10, the 600 plays take at least 2.95 s).
    async with StandinIngest() as ingest:
        stats = await simulate(catalog, _options(ingest.url, rate=200.0, count=None, duration_s=3.0))
    summary = stats.summary()
    assert summary["sent_events"] == 600
    assert summary["events_by_status"] == {"202": 600}
    assert summary["elapsed_s"] >= (600 - 10) / 200, summary
    assert ingest.requests == 600


async def test_batches_post_to_plays(catalog: Catalog) -> None:
    async with StandinIngest(record=True) as ingest:
        stats = await simulate(catalog, _options(ingest.url, batch_size=40))
    assert ingest.requests == 8  # 7 full batches and a last one of 20
    paths = {path for path, _ in ingest.bodies}
    assert paths == {"/plays"}
    events = [e for _, body in ingest.bodies for e in orjson.loads(body)["events"]]
    assert len(events) == 300 == stats.accepted_count
    assert len({e["event_id"] for e in events}) == 300


async def test_rejections_and_faults_are_counted(catalog: Catalog, tmp_path: Path) -> None:
    faults = FaultConfig(duplicate_rate=0.1, late_rate=0.1, malformed_rate=0.1)
    async with StandinIngest(status=422) as ingest:
        opts = RunOptions(
            send=SendConfig(ingest_url=ingest.url, rate=1000.0, count=400),
            regions={"US": 1},
            start=START,
            faults=faults,
            progress=False,
            report_path=tmp_path / "report.json",
        )
        stats = await simulate(catalog, opts)
    summary = stats.summary()
    assert summary["accepted_events"] == 0
    assert summary["rejected_events"] == 400 == summary["events_by_status"]["422"]
    assert all(summary["sent_by_kind"][k] > 10 for k in ("duplicate", "late", "malformed"))
    report = orjson.loads((tmp_path / "report.json").read_bytes())
    assert report["expected_top10"] == {}
    assert {r["status"] for r in report["rejected"]} == {"422"}


async def test_retries_resend_the_same_event(catalog: Catalog) -> None:
    async with StandinIngest(status=503, record=True) as ingest:
        stats = await simulate(
            catalog, _options(ingest.url, count=5, max_retries=2, retry_backoff_s=0.001, concurrency=1)
        )
    assert stats.retries == 10
    assert stats.events_by_status == {"503": 5}
    assert stats.retried_statuses == {"503": 15} and stats.retry_after_missing == 15
    ids = [orjson.loads(body)["event_id"] for _, body in ingest.bodies]
    assert len(ids) == 15 and len(set(ids)) == 5
    # Each request keeps its Idempotency-Key across its retries, and no two requests share one.
    keys = {(i, h["idempotency-key"]) for i, h in zip(ids, ingest.headers, strict=True)}
    assert len(keys) == 5 == len({k for _, k in keys})


async def test_the_api_key_file_is_sent(catalog: Catalog, tmp_path: Path) -> None:
    key_file = tmp_path / "ingest-api-key"
    key_file.write_text("sim-key-0123\n")
    key = SimulatorSettings(ingest_api_key=None).ingest_key(key_file)
    async with StandinIngest(record=True) as ingest:
        await simulate(catalog, _options(ingest.url, count=3, api_key=key))
    assert [h["x-api-key"] for h in ingest.headers] == ["sim-key-0123"] * 3
    key_file.write_text(" \n")
    with pytest.raises(ValueError, match="is empty"):
        SimulatorSettings().ingest_key(key_file)


async def test_retries_wait_what_retry_after_asks(catalog: Catalog) -> None:
    async with StandinIngest(status=503, retry_after=1) as ingest:
        stats = await simulate(
            catalog, _options(ingest.url, count=1, max_retries=2, retry_backoff_s=0.001, concurrency=1)
        )
    assert stats.retries == 2 and ingest.requests == 3
    assert stats.retry_after_missing == 0
    # Two waits of the server's 1 s, not the client's 1 ms and 2 ms backoff.
    assert stats.elapsed_s >= 2.0, stats.elapsed_s


def test_cli_run_writes_the_report(tmp_path: Path) -> None:
    port = free_port()
    standin = subprocess.Popen(
        [sys.executable, "-m", "simulator.standin", "--port", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert standin.stdout is not None and "answering 202" in standin.stdout.readline()
        report = tmp_path / "report.json"
        code = main(
            [
                "run",
                "--rate",
                "400",
                "--count",
                "400",
                "--regions",
                "US,GB:2",
                "--seed",
                "7",
                "--start",
                "2025-04-23T14:00:00+00:00",
                "--ingest-url",
                f"http://127.0.0.1:{port}",
                "--duplicate-rate",
                "0.05",
                "--report",
                str(report),
                "--no-progress",
            ]
        )
    finally:
        standin.terminate()
        standin.wait(10)
    assert code == 0
    doc = orjson.loads(report.read_bytes())
    assert doc["config"]["regions"] == {"US": 1.0, "GB": 2.0}
    assert doc["summary"]["accepted_events"] == 400
    assert doc["summary"]["unique_accepted"] == len(doc["accepted_event_ids"]) < 400
    chart = doc["expected_top10"]["GB"]["5m"][0]
    assert chart["window_end"] == "2025-04-23T14:01:00.000Z"  # rolling, minute by minute
    assert len(chart["entries"]) == 10


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_stops_the_run_with_its_report(sig: signal.Signals, tmp_path: Path) -> None:
    """Ctrl-C or `kill` ends `simulator run` with the report of what it sent, also when it was
    started with SIGINT ignored, as a shell's background job is; every request the stand-in
    answered is in it."""
    async with StandinIngest() as ingest:
        report = tmp_path / "report.json"
        argv = [sys.executable, "-m", "simulator.cli", "run", "--ingest-url", ingest.url]
        argv += ["--rate", "500", "--duration", "10m", "--report", str(report), "--no-progress"]
        ignore_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731
        run = await asyncio.create_subprocess_exec(*argv, preexec_fn=ignore_sigint)
        try:
            while ingest.requests < 200:
                assert run.returncode is None
                await asyncio.sleep(0.1)
            run.send_signal(sig)
            code = await asyncio.wait_for(run.wait(), 30)
        finally:
            if run.returncode is None:
                run.kill()
        received = ingest.requests
    assert code == 130
    doc = orjson.loads(report.read_bytes())
    assert doc["summary"]["interrupted"] is True
    # The requests on the wire at the signal got their answers before the report was written: it
    # names every play the stand-in accepted (a busy box once left 6 of 200 out, before the drain).
    assert doc["summary"]["accepted_events"] == received >= 200
    assert doc["summary"]["unanswered_events"] == 0


async def test_a_share_of_requests_goes_without_ids_and_keeps_its_key_on_retries(catalog: Catalog) -> None:
    async with StandinIngest(status=503, retry_after=0, record=True) as ingest:
        stats = await simulate(
            catalog,
            _options(
                ingest.url, count=40, batch_size=10, without_ids_share=0.5, max_retries=1, concurrency=1
            ),
        )
    assert stats.sent_without_ids == 20 and stats.events_by_status == {"503": 40}
    sent = [
        (h["idempotency-key"], orjson.loads(b)["events"])
        for (_, b), h in zip(ingest.bodies, ingest.headers, strict=True)
    ]
    without = [(key, events) for key, events in sent if all("event_id" not in e for e in events)]
    assert len(sent) == 8 and len(without) == 4  # every other request, each sent twice
    assert len({key for key, _ in without}) == 2  # a retry resends the same key and body
    assert sorted(stats.sent_with_ids) == sorted(
        {e["event_id"] for _, es in sent for e in es if "event_id" in e}
    )


async def test_the_ids_ingest_assigns_are_the_accepted_ones(catalog: Catalog) -> None:
    assigned = [f"00000000-0000-0000-0000-00000000000{i}" for i in range(2)]
    answer = orjson.dumps({"event_ids": assigned})
    async with StandinIngest(record=True, body=answer) as ingest:
        stats = await simulate(catalog, _options(ingest.url, count=4, batch_size=2, without_ids_share=0.5))
    assert stats.accepted_without_ids == assigned and stats.sent_without_ids == 2
    assert set(assigned) < set(stats.accepted) and len(stats.accepted) == 4
    assert stats.ids_changed_on_retry == 0
