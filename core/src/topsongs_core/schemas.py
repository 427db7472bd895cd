"""The committed JSON Schemas of every message that crosses a process boundary, generated from the models.

``python -m topsongs_core.schemas --write`` rewrites them after a model changed; ``--check`` (the
default) exits 1 when a committed file differs; tests/core/test_schemas.py does the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from topsongs_core import events
from topsongs_core.live import LIVE_MESSAGE, ChartPartials, HourFinal
from topsongs_core.workspace import repo_root

OUT: Final = "serialization"


def _titled(schema: dict[str, Any], title: str) -> dict[str, Any]:
    schema["title"] = title
    return schema


# Path below the repository root → the schema it must hold.
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "docs/play-event.schema.json": events.json_schema,
    # Serialization mode: what producers write, every field present (the tags included).
    "docs/schemas/live-chart-partials.schema.json": lambda: ChartPartials.model_json_schema(mode=OUT),
    "docs/schemas/live-hour-final.schema.json": lambda: HourFinal.model_json_schema(mode=OUT),
    "docs/schemas/live-message.schema.json": lambda: _titled(
        LIVE_MESSAGE.json_schema(mode=OUT), "LiveMessage"
    ),
}


def render(schema: dict[str, Any]) -> str:
    """The committed text of a schema: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale(root: Path) -> list[str]:
    """Paths whose committed content differs from the models (missing files included)."""
    out = []
    for rel, build in SCHEMAS.items():
        path = root / rel
        if not path.exists() or json.loads(path.read_text()) != build():
            out.append(rel)
    return out


def main(argv: list[str] | None = None) -> int:
    """Check (default) or ``--write`` the committed schemas."""
    parser = argparse.ArgumentParser(prog="python -m topsongs_core.schemas", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the files from the models")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: found)")
    args = parser.parse_args(argv)
    root = args.root or repo_root()
    if args.write:
        for rel, build in SCHEMAS.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(render(build()))
        return 0
    differing = stale(root)
    for rel in differing:
        print(f"{rel} differs from its model; run python -m topsongs_core.schemas --write", file=sys.stderr)
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
