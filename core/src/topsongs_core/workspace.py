"""The one rule for finding the repository root (for defaults such as ui/dist, .cache and docs/)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def repo_root() -> Path:
    """The checkout this code runs from: the nearest ancestor holding the uv workspace, else the cwd."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "core" / "pyproject.toml").is_file() and (parent / "pyproject.toml").is_file():
            return parent
    # Installed outside a checkout (a wheel): paths are relative to where the process runs.
    return Path.cwd()
