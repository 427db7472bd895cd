"""The LLM catalog path against a local OpenAI-compatible server, with retries and fallback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from simulator.catalog_llm import SongBatch, load_catalog, strict_schema
from simulator.settings import SimulatorSettings


def test_no_key_uses_shipped_catalog(tmp_path: Path) -> None:
    settings = SimulatorSettings(openai_api_key=None, catalog_cache=tmp_path / "c.json")
    catalog = load_catalog(settings)
    assert catalog.source == "shipped"
    assert not settings.catalog_cache.exists()


def test_valid_output_is_validated_and_cached(fake_openai: Any, tmp_path: Path) -> None:
    settings = fake_openai.settings(tmp_path)
    catalog = load_catalog(settings)
    assert catalog.source == "llm"
    assert len(catalog.songs) == 12
    assert [s.song_id for s in catalog.songs][:2] == ["s-0001", "s-0002"]
    assert catalog.taste("US", "Rock") == 2.5
    first = fake_openai.requests[0]
    assert first["model"] == "fake-model"
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["strict"] is True
    calls = len(fake_openai.requests)
    assert calls == 1 + 3  # an outline, then 5 + 5 + 2 songs

    again = load_catalog(settings)  # served from the cache file
    assert again == catalog
    assert len(fake_openai.requests) == calls

    fresh = load_catalog(settings, refresh=True)
    assert fresh.songs == catalog.songs
    assert len(fake_openai.requests) == 2 * calls


@pytest.mark.parametrize("mode", ["bad_json", "slow", "429"])
def test_persistent_failure_falls_back(
    mode: str, fake_openai: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.mode = mode
    settings = fake_openai.settings(tmp_path)
    with caplog.at_level(logging.WARNING):
        catalog = load_catalog(settings)
    assert catalog.source == "shipped"
    assert len(fake_openai.requests) == settings.llm_attempts  # retried, then gave up
    assert "using the shipped catalog" in caplog.text
    assert not settings.catalog_cache.exists()


@pytest.mark.parametrize("mode", ["bad_json", "429"])
def test_transient_failure_is_retried(mode: str, fake_openai: Any, tmp_path: Path) -> None:
    fake_openai.mode, fake_openai.fail_times = mode, 2
    catalog = load_catalog(fake_openai.settings(tmp_path))
    assert catalog.source == "llm"
    assert len(fake_openai.requests) == 2 + 1 + 3


def test_strict_schema_requires_every_field() -> None:
    schema = strict_schema(SongBatch)
    song = schema["$defs"]["SongDraft"]
    assert song["additionalProperties"] is False
    assert set(song["required"]) == set(song["properties"])
