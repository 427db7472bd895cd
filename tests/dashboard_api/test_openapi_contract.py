"""dashboard-api does what its OpenAPI document says: schemathesis against the running app (real
PostgreSQL with a private migrated chart database, a private Kafka topic), every check, positive and
negative data, the examples, coverage and fuzzing phases, derandomized and bounded."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from dashboard_api.settings import DashboardSettings
from psycopg.types.json import Jsonb
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.process import free_port

from tests.e2e.airflow_stack import private_chart_database
from tests.servers import serve_dashboard

REPO = Path(__file__).resolve().parents[2]
# The example hour and day of the OpenAPI document hold a chart, so examples exercise real rows.
HOUR = datetime(2025, 4, 23, 14, tzinfo=UTC)
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def chart_db(engines: None) -> Iterator[PostgresSettings]:
    """A migrated chart database of this module's own, with one loaded hour and day in US."""
    with private_chart_database(PostgresSettings()) as settings:
        with psycopg.connect(settings.dsn()) as conn, conn.transaction():
            conn.execute(
                'INSERT INTO top_songs_hourly (region, "timestamp", song, plays, rank, song_id, artist)'
                " VALUES ('US', %s, 'One', 9, 1, 's-001', 'A')",
                (HOUR,),
            )
            conn.execute(
                "INSERT INTO top_songs_daily (region, date, song, plays, rank, song_id, artist)"
                " VALUES ('US', %s, 'One', 9, 1, 's-001', 'A')",
                (HOUR.date(),),
            )
            conn.execute(
                "INSERT INTO plays_hourly (region, hour, song_id, plays) VALUES ('US', %s, 's-001', 9)",
                (HOUR,),
            )
            status = Jsonb({"US": {"plays": 9, "first_plays": 9, "restatements": 0}})
            for kind, start, hours in (("hourly", HOUR, 1), ("daily", HOUR.replace(hour=0), 24)):
                conn.execute(
                    "INSERT INTO chart_loads (kind, interval_start, interval_end, plays, regions, by_region,"
                    " loaded_at) VALUES (%s, %s, %s + make_interval(hours => %s), 9, 1, %s, now())",
                    (kind, start, start, hours, status),
                )
        yield settings


async def test_openapi_contract(
    chart_db: PostgresSettings, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = DashboardSettings(port=free_port(), kafka=kafka_settings, postgres=chart_db)
    async with serve_dashboard(settings) as address:
        run = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("schemathesis")),
            f"--config-file={CONFIG}",
            "--no-color",
            "run",
            f"http://{address}/openapi.json",
            # The hooks module the config names is imported from the repository root.
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = (await run.communicate())[0].decode()
    assert run.returncode == 0, output
