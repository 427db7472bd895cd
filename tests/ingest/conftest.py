"""Fixtures: an ingest app bound to the test's private topics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from ingest.settings import IngestSettings
from topsongs_core.settings import KafkaSettings

from tests.ingest.support import serve


@pytest.fixture
async def ingest_settings(kafka_settings: KafkaSettings) -> IngestSettings:
    """Ingest settings on the test's own topics with a short produce bound."""
    return IngestSettings(kafka=kafka_settings, produce_timeout_s=3)


@pytest.fixture
async def client(ingest_settings: IngestSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an ingest app running on the test's topics."""
    async for c in serve(ingest_settings):
        yield c
