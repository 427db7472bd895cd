"""Programs built once from the Go module proxy into the cache (versitygw, statsd_exporter)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from topsongs_devstack.process import PlatformError, run


def go_binary(module: str, version: str, binary: Path, minutes: str) -> Path:
    """``go install module@version`` into ``binary`` unless it is there (``minutes``: how long it takes)."""
    if binary.exists():
        return binary
    name = module.rsplit("/", 1)[-1]
    if shutil.which("go") is None:
        raise PlatformError(f"Go is needed to build {name}: apt-get install golang")
    gobin = binary.parent / "gobin"
    gobin.mkdir(parents=True, exist_ok=True)
    print(
        f"[devstack] building {name} {version} with go install (first run only, ~{minutes} min)…",
        flush=True,
    )
    run(
        ["go", "install", f"{module}@{version}"],
        f"go install {name}",
        env={**os.environ, "GOBIN": str(gobin), "GOFLAGS": "-buildvcs=false"},
    )
    (gobin / name).rename(binary)
    return binary
