"""The backfill: reproducible past hours, reruns that re-send the same ids, the daily curve, the CLI."""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from simulator.backfill import BackfillOptions, plan, plays, window
from simulator.catalog import Catalog
from simulator.cli import main, parser
from simulator.listening import ListeningConfig, ListeningModel
from simulator.sender import SendConfig
from simulator.settings import SimulatorSettings
from simulator.standin import StandinIngest
from topsongs_core.events import PlayEvent

NOW = datetime(2025, 4, 23, 14, 20, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _options(**over: Any) -> BackfillOptions:
    base: dict[str, Any] = {
        "send": SendConfig(ingest_url="http://unused", rate=1.0),
        "regions": {"US": 1.0, "JP": 1.0},
        "hours": 3,
        "plays_per_hour": 300.0,
        "progress": False,
    }
    return BackfillOptions(**(base | over))


def _events(catalog: Catalog, now: datetime = NOW, **over: Any) -> list[dict[str, Any]]:
    opts = _options(now=now, **over)
    return [p.payload(catalog) for p in plays(catalog, opts, plan(opts, now))]


def _by_hour(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    hours: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        hours[event["played_at"][:13]].append(event)
    return hours


@pytest.fixture
def standin() -> Iterator[StandinIngest]:
    """A recording 202 stand-in on its own thread, so the (synchronous) CLI can talk to it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = StandinIngest(record=True)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def _received(server: StandinIngest) -> list[dict[str, Any]]:
    return [e for _, body in server.bodies for e in orjson.loads(body)["events"]]


def test_same_seed_and_window_same_events(catalog: Catalog) -> None:
    first = _events(catalog)
    assert len(first) > 500
    assert _events(catalog) == first
    assert len({e["event_id"] for e in first}) == len(first)
    other = _events(catalog, seed=8)
    assert not {e["event_id"] for e in first} & {e["event_id"] for e in other}


def test_a_later_run_resends_the_ids_of_the_hours_both_cover(catalog: Catalog) -> None:
    early = _by_hour(_events(catalog))  # [11:00, 14:19:30)
    late = _by_hour(_events(catalog, now=NOW + timedelta(hours=1, minutes=20)))  # [12:00, 15:39:30)
    assert sorted(early) == ["2025-04-23T11", "2025-04-23T12", "2025-04-23T13", "2025-04-23T14"]
    assert sorted(late) == ["2025-04-23T12", "2025-04-23T13", "2025-04-23T14", "2025-04-23T15"]
    for hour in ("2025-04-23T12", "2025-04-23T13"):
        assert early[hour] == late[hour]
    # the hour that was still running: the first run sent a prefix of what the second sends
    partial, whole = early["2025-04-23T14"], late["2025-04-23T14"]
    assert 0 < len(partial) < len(whole)
    assert whole[: len(partial)] == partial
    assert not {e["event_id"] for e in early["2025-04-23T11"]} & {
        e["event_id"] for e in late["2025-04-23T15"]
    }


def test_ids_differ_from_a_live_run_started_on_the_hour(catalog: Catalog) -> None:
    hour = datetime(2025, 4, 23, 13, tzinfo=UTC)
    live = ListeningModel(
        catalog, ListeningConfig(regions={"US": 1.0, "JP": 1.0}, rate=300 / 3600, start=hour)
    )
    live_ids = {p.event_id for p in itertools.islice(live.plays(), 300)}
    backfilled = {e["event_id"] for e in _by_hour(_events(catalog))["2025-04-23T13"]}
    assert len(backfilled) > 100
    assert not live_ids & backfilled


def test_every_play_is_inside_the_window_and_the_horizon(catalog: Catalog) -> None:
    events = _events(catalog, hours=166, plays_per_hour=12.0, regions={"GB": 1.0, "AU": 1.0})
    start, end = window(NOW, 166)
    assert start == datetime(2025, 4, 16, 16, tzinfo=UTC)  # 14:00 - 6 days 22 h
    assert end == NOW - timedelta(minutes=1)
    stamps = [datetime.fromisoformat(e["played_at"]) for e in events]
    assert min(stamps) == start
    assert end - timedelta(minutes=10) < max(stamps) < end
    assert len({s.replace(minute=0, second=0, microsecond=0) for s in stamps}) == 167  # no hour left out
    # ingest checks against its own clock; the send takes a minute or so after NOW
    for moment in (NOW, NOW + timedelta(minutes=30)):
        for event in events:
            PlayEvent.model_validate(event, context={"now": moment})


def test_plays_per_hour_follow_the_local_day(catalog: Catalog) -> None:
    us = Counter(
        (int(e["played_at"][11:13]) - 5) % 24 for e in _events(catalog, hours=24, regions={"US": 1.0})
    )
    assert sum(us[h] for h in (4, 5, 6, 7)) < 0.5 * sum(us[h] for h in (18, 19, 20, 21))
    # two regions twelve hours apart: the volume stays flat, the share follows each local clock
    offsets = {"JP": 9, "BR": -3}
    events = _events(catalog, hours=24, regions=dict.fromkeys(offsets, 1.0))
    local = {
        r: Counter((int(e["played_at"][11:13]) + offsets[r]) % 24 for e in events if e["region"] == r)
        for r in offsets
    }
    for region, hours in local.items():
        night, evening = sum(hours[h] for h in (4, 5, 6, 7)), sum(hours[h] for h in (18, 19, 20, 21))
        assert night < 0.5 * evening, (region, night, evening)


def test_cli_sends_every_planned_play(
    catalog: Catalog, standin: StandinIngest, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "backfill",
        "--hours",
        "2",
        "--now",
        NOW.isoformat(),
        "--regions",
        "US,GB",
        "--plays-per-hour",
        "500",
    ]
    code = main(
        [*argv, "--rate", "5000", "--batch-size", "100", "--ingest-url", standin.url, "--no-progress"]
    )
    assert code == 0
    received = _received(standin)
    expected = _events(catalog, hours=2, regions={"US": 1.0, "GB": 1.0}, plays_per_hour=500.0)
    assert len(received) == len(expected) > 500
    assert sorted(received, key=lambda e: e["event_id"]) == sorted(expected, key=lambda e: e["event_id"])
    assert {path for path, _ in standin.bodies} == {"/plays"}
    assert standin.requests == -(-len(expected) // 100)
    report = capsys.readouterr().err
    assert re.search(rf"accepted \(202\)\s*│\s*{len(expected)} ", report), report


def test_rejections_fail_the_command(standin: StandinIngest) -> None:
    standin.status = 503
    argv = ["backfill", "--hours", "1", "--now", NOW.isoformat(), "--plays-per-hour", "40", "--regions", "US"]
    code = main([*argv, "--max-retries", "1", "--ingest-url", standin.url, "--no-progress"])
    assert code == 1
    ids = [e["event_id"] for e in _received(standin)]
    assert len(ids) == 2 * len(set(ids)) > 0  # each batch retried once, with the same event ids


def test_hours_beyond_the_horizon_are_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["backfill", "--hours", "167"])
    assert refused.value.code == 2
    assert "argument --hours: 167 h is outside 1..166" in capsys.readouterr().err
    assert parser(SimulatorSettings()).parse_args(["backfill", "--hours", "166"]).hours == 166
    monkeypatch.setenv("TOPSONGS_MAX_EVENT_AGE", "P1D")  # the bound is ingest's setting, not a constant
    with pytest.raises(SystemExit):
        parser(SimulatorSettings()).parse_args(["backfill", "--hours", "23"])
    assert "outside 1..22" in capsys.readouterr().err


def test_ctrl_c_stops_with_the_report_so_far(standin: StandinIngest) -> None:
    argv = ["backfill", "--hours", "24", "--rate", "400", "--batch-size", "20", "--ingest-url", standin.url]
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", *argv, "--no-progress"], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while standin.requests < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "stopped by Ctrl-C" in err
    sent = int(re.search(r"events sent\s*│\s*(\d+) in", err)[1])  # type: ignore[index]
    assert 0 < sent <= len(_received(standin)) < 24 * 2000
