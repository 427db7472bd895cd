"""Migrations: ordered, idempotent, tamper-evident; the reader role can read but not write."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from topsongs_charts import migrate
from topsongs_core.settings import PostgresSettings


@pytest.fixture
def schema(pg_settings: PostgresSettings) -> Iterator[str]:
    """A schema private to this test, dropped afterwards."""
    name = f"test_migrate_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(pg_settings.dsn()) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def test_apply_twice_applies_once(pg_settings: PostgresSettings, schema: str) -> None:
    versions = [m.version for m in migrate.discover()]
    assert versions == sorted(versions) and versions[0] == 1
    assert migrate.apply(pg_settings, schema=schema) == versions
    assert migrate.apply(pg_settings, schema=schema) == []
    assert migrate.current_version(pg_settings, schema=schema) == versions[-1]


def test_reader_role_reads_but_cannot_write(pg_settings: PostgresSettings, schema: str) -> None:
    migrate.apply(pg_settings, schema=schema)
    with psycopg.connect(pg_settings.dsn(reader=True)) as conn:
        table = sql.Identifier(schema, "top_songs_daily")
        assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("DELETE FROM {}").format(table))


def test_edited_migration_is_refused(pg_settings: PostgresSettings, schema: str, tmp_path: Path) -> None:
    (tmp_path / "0001_one.sql").write_text("CREATE TABLE one (id int);")
    migrate.apply(pg_settings, schema=schema, directory=tmp_path)
    (tmp_path / "0001_one.sql").write_text("CREATE TABLE one (id bigint);")
    with pytest.raises(RuntimeError, match="edited"):
        migrate.apply(pg_settings, schema=schema, directory=tmp_path)
