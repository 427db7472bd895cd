"""PostgreSQL SIGKILLed in the middle of a chart load that replaces an hour, then restarted: the
hour's previous chart is served whole until a run loads the new one, whether Airflow retries the
failed task or its retries were spent while the server was down; the tables end equal to the oracle
and nothing stays pending or locked.

The server is a private one (free port, own data folder); the shared one at 15432 is never touched.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import psycopg
import pytest
from topsongs_charts import migrate, synthetic
from topsongs_charts.lake import Lake
from topsongs_charts.restate import reload_days, restate_hour, stale_hours
from topsongs_charts.settings import ChartsSettings
from topsongs_core.settings import PostgresSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.postgres import Postgres
from topsongs_devstack.process import free_port

from tests.charts.oracle import REGIONS, at, oracle, restate_all, tables, write_files
from tests.engines import private_state_dir, sigkill_server

WAIT_S = 120.0
# How the query starts that `loads._record` runs once the hour's old rows are deleted and its new
# rows written (as the server shows it: parameters are $1, $2).
RECORD_QUERY = "SELECT by_region, complete FROM chart_loads WHERE kind = $1"


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[Postgres]:
    """A PostgreSQL server of this module's own, migrated; stopped at the end, its data deleted and
    its log kept."""
    devstack = DevstackSettings(state_dir=private_state_dir("pg-faults-"))
    server = Postgres(devstack, PostgresSettings(port=free_port()))
    try:
        server.up()
        migrate.apply(server.pg)
        yield server
    finally:
        server.down()
        shutil.rmtree(server.home, ignore_errors=True)


def kill_mid_load(server: Postgres, settings: ChartsSettings, load: Callable[[], object]) -> BaseException:
    """Run ``load`` until its hourly load has replaced the hour's rows and waits to record the load
    (held there by a table lock), SIGKILL the server, and return what ``load`` raised."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            load()
        except BaseException as exc:  # handed to the test
            failure.append(exc)

    blocker = psycopg.connect(settings.postgres.dsn())
    try:
        blocker.execute("LOCK TABLE chart_loads IN EXCLUSIVE MODE")  # _record's FOR UPDATE waits
        loader = threading.Thread(target=run)
        loader.start()
        deadline = time.monotonic() + WAIT_S
        while not waiting_to_record(settings.postgres):
            assert loader.is_alive(), f"the load ended before recording: {failure}"
            assert time.monotonic() < deadline, "the load never reached its record step"
            time.sleep(0.05)
        sigkill_server(int((server.data / "postmaster.pid").read_text().split()[0]))
        loader.join(WAIT_S)
    finally:
        blocker.close()
    assert not loader.is_alive() and failure, "the load outlived its server"
    return failure[0]


def waiting_to_record(pg: PostgresSettings) -> bool:
    """A load has written its rows and waits for the lock to record them."""
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND starts_with(query, %s)",
            (RECORD_QUERY,),
        ).fetchone()
    return bool(row and row[0])


def held_locks(settings: ChartsSettings) -> int:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()
    return int(row[0]) if row else 0


RETRY, NEXT_RUN = "the failed task's retry", "the next restatement run"
DAYS = (date(2021, 3, 1) + timedelta(days=n) for n in itertools.count(step=3))


@pytest.mark.parametrize(
    ("killed_in", "recovery"),
    [("the hour's load", RETRY), ("the hour's load", NEXT_RUN), ("the day's load", NEXT_RUN)],
)
def test_server_killed_mid_load_recovers_to_the_oracle(
    private_postgres: Postgres, charts_settings: ChartsSettings, lake: Lake, killed_in: str, recovery: str
) -> None:
    settings = charts_settings.model_copy(update={"postgres": private_postgres.pg})
    day = next(DAYS)  # each case its own day of the module's database
    hour, now = at(day, 9), at(day + timedelta(days=2), 0)
    lake.write_parquet(settings.catalog_key, synthetic.catalog(40))
    sent = [synthetic.plays(at(day, h), REGIONS, 30, 40, seed=h) for h in (8, 9)]
    for number, table in enumerate(sent):
        write_files(lake, settings, table, f"part-first-{number}")
    restate_all(settings, now)  # both hours and the complete day are loaded
    before = tables(settings, day)
    late = synthetic.plays(hour, REGIONS, 7, 40, seed=99)
    write_files(lake, settings, late, "part-late")

    # The restatement DAG's tasks for the stale hour: its ETL and load, then its day's load; one of
    # the loads dies mid-way.
    assert stale_hours(settings, now) == [hour]
    if killed_in == "the hour's load":
        error = kill_mid_load(private_postgres, settings, lambda: restate_hour(settings, hour))
    else:
        restate_hour(settings, hour)
        before = tables(settings, day)
        error = kill_mid_load(private_postgres, settings, lambda: reload_days(settings, [hour], now))
    assert isinstance(error, psycopg.OperationalError), repr(error)

    killed = time.monotonic()
    private_postgres.up()  # crash recovery: the killed transaction is rolled back from the WAL
    restarted = time.monotonic()
    assert tables(settings, day) == before, "a half-replaced interval must not be visible"
    if recovery == RETRY:
        restate_hour(settings, hour)
        reload_days(settings, [hour], now)
    else:
        restate_all(settings, now)
    loaded, expected = tables(settings, day), oracle([*sent, late], day)
    assert (loaded["plays"], loaded["daily"]) == (expected["plays"], expected["daily"])
    print(
        f"killed in {killed_in}, recovered by {recovery}: server up {restarted - killed:.1f}s after the"
        f" kill, tables equal to the oracle {time.monotonic() - restarted:.1f}s later"
    )
    assert stale_hours(settings, now) == []
    assert held_locks(settings) == 0
