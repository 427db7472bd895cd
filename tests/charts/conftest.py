"""Fixtures for the batch charts: a private lake prefix and chart rows of a private day."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from topsongs_charts import loads, migrate
from topsongs_charts.lake import Lake
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import PostgresSettings, S3Settings


@pytest.fixture(scope="session")
def migrated(engines: None) -> None:
    """The chart tables exist (migrations are idempotent and serialised by an advisory lock)."""
    migrate.apply(PostgresSettings())


@pytest.fixture
def charts_settings(
    migrated: None, s3_settings: S3Settings, pg_settings: PostgresSettings
) -> Iterator[ChartsSettings]:
    """Settings whose lake datasets live under a prefix private to this test."""
    root = f"tests/charts-{uuid.uuid4().hex[:10]}"
    settings = ChartsSettings(
        lake=LakeLayout(plays_path=f"{root}/raw/plays"),
        enriched_prefix=f"{root}/enriched/plays",
        catalog_key=f"{root}/catalog/songs/songs.parquet",
        s3=s3_settings,
        postgres=pg_settings,
    )
    yield settings
    Lake.from_s3(s3_settings).remove_tree(root)


@pytest.fixture
def lake(s3_settings: S3Settings) -> Lake:
    """The test bucket."""
    return Lake.from_s3(s3_settings)


@pytest.fixture
def test_day(migrated: None, pg_settings: PostgresSettings) -> Iterator[date]:
    """A past day in 2020-2023 (the DAGs start in 2020) nobody else uses; its rows and those of the
    two days after it, which tests chart too (late plays, the next day), are deleted after: a day
    left complete would fail a later test that picks the day before it."""
    day = date(2020, 1, 1) + timedelta(days=random.randrange(4 * 365))
    yield day
    for later in range(3):
        loads.delete_day(pg_settings, day + timedelta(days=later))
