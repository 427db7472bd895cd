"""Programs built once from the Go module proxy into the cache (versitygw, statsd_exporter, Dex)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from topsongs_devstack.process import PlatformError, run


@contextlib.contextmanager
def _building(binary: Path) -> Iterator[bool]:
    """Holds ``binary``'s build lock; yields whether it still has to be built (`make test` builds
    Dex in the background while a test may ask for it too)."""
    binary.parent.mkdir(parents=True, exist_ok=True)
    with open(binary.with_name(f".{binary.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield not binary.exists()


def go_binary(module: str, version: str, binary: Path, minutes: str) -> Path:
    """``go install module@version`` into ``binary`` unless it is there (``minutes``: how long it takes)."""
    if binary.exists():
        return binary
    with _building(binary) as needed:
        if needed:
            _go_install(module, version, binary, minutes)
    return binary


def _go_install(module: str, version: str, binary: Path, minutes: str) -> None:
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


def go_binary_of_package(module: str, version: str, package: str, binary: Path, minutes: str) -> Path:
    """``go build package`` of ``module@version`` into ``binary`` unless it is there.

    For modules whose go.mod has ``replace`` directives, which ``go install module@version`` refuses:
    a throwaway module requires it instead (a dependency's replace directives are ignored), with
    cgo off so the binary needs no C toolchain.
    """
    if binary.exists():
        return binary
    with _building(binary) as needed:
        if needed:
            _go_build(module, version, package, binary, minutes)
    return binary


def _go_build(module: str, version: str, package: str, binary: Path, minutes: str) -> None:
    name = package.rsplit("/", 1)[-1]
    if shutil.which("go") is None:
        raise PlatformError(f"Go is needed to build {name}: apt-get install golang")
    binary.parent.mkdir(parents=True, exist_ok=True)
    print(f"[devstack] building {name} {version} with go build (first run only, ~{minutes} min)…", flush=True)
    env = {**os.environ, "GOFLAGS": "-mod=mod -buildvcs=false", "CGO_ENABLED": "0"}
    with tempfile.TemporaryDirectory(prefix=f"build-{name}-") as work:
        (Path(work) / "go.mod").write_text(f"module build{name}\n\ngo 1.25\n")
        run(["go", "get", f"{module}@{version}"], f"go get {module}", cwd=work, env=env)
        partial = binary.with_suffix(".partial")
        run(["go", "build", "-o", str(partial), package], f"go build {name}", cwd=work, env=env)
        partial.rename(binary)
