"""The lake's play columns are the play event's fields, and the layout is one setting for all readers."""

from __future__ import annotations

from datetime import date

import pytest
from topsongs_core.events import PlayEvent
from topsongs_core.lake_layout import PLAY_COLUMNS, LakeLayout, partition


def test_play_columns_are_the_event_fields_in_order() -> None:
    assert [c.name for c in PLAY_COLUMNS] == list(PlayEvent.model_fields)


def test_partition_paths_are_hive_style() -> None:
    assert partition("US", date(2025, 4, 23)) == "region=US/date=2025-04-23"
    assert partition("US", date(2025, 4, 23), 7) == "region=US/date=2025-04-23/hour=7"


def test_the_plays_path_is_read_from_lake_plays_path(monkeypatch: pytest.MonkeyPatch) -> None:
    assert LakeLayout().plays_path == "raw/plays"
    monkeypatch.setenv("LAKE_PLAYS_PATH", "s3a://elsewhere/plays")
    assert LakeLayout().plays_path == "s3a://elsewhere/plays"
