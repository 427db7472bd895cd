"""The committed JSON Schemas in docs/ equal the models they are generated from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from topsongs_core.schemas import SCHEMAS, main, render, stale

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("rel", sorted(SCHEMAS))
def test_committed_schema_equals_its_model(rel: str) -> None:
    assert json.loads((ROOT / rel).read_text()) == SCHEMAS[rel]()


def test_check_names_a_stale_file_and_write_repairs_it(tmp_path: Path) -> None:
    assert main(["--write", "--root", str(tmp_path)]) == 0
    assert stale(tmp_path) == []
    rel = "docs/schemas/live-message.schema.json"
    (tmp_path / rel).write_text(render({"title": "LiveMessage"}))
    assert stale(tmp_path) == [rel]
    assert main(["--root", str(tmp_path)]) == 1


def test_the_websocket_schema_is_a_union_on_type() -> None:
    schema = SCHEMAS["docs/schemas/live-message.schema.json"]()
    assert schema["discriminator"]["propertyName"] == "type"
    assert set(schema["discriminator"]["mapping"]) == {"snapshot", "update", "heartbeat"}
