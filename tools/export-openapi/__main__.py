"""Writes the OpenAPI documents of ingest and dashboard-api: `python tools/export-openapi [OUT_DIR]`."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from topsongs_core.secret_settings import assume_laptop
from topsongs_core.workspace import repo_root

# Only the process basics survive: the documents describe the default configuration, so a
# developer's INGEST_*/DASHBOARD_*/... variables must not leak into the committed files.
_KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def documents() -> dict[str, dict[str, object]]:
    """Each app's `app.openapi()`, built by its factory with default settings; nothing connects."""
    for name in [k for k in os.environ if k not in _KEPT_ENV]:
        del os.environ[name]
    # The built-in passwords are allowed to build the apps; nothing connects, no secret is in a document.
    assume_laptop()
    from dashboard_api.app import create_app as dashboard_app
    from dashboard_api.settings import DashboardSettings
    from ingest.app import create_app as ingest_app
    from ingest.settings import IngestSettings

    return {
        "ingest.json": ingest_app(IngestSettings()).openapi(),
        "dashboard-api.json": dashboard_app(DashboardSettings()).openapi(),
    }


def main() -> None:
    """Writes one JSON file per app into the output folder (default `docs/openapi`)."""
    parser = argparse.ArgumentParser(prog="export-openapi", description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=repo_root() / "docs" / "openapi")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    for filename, document in documents().items():
        (out / filename).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
