"""Where secret values show: the environments and command lines of processes (and their children),
and files such as logs. Every place a value is found is a hit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from topsongs_devstack.listeners import descendants


def process_places(pids: Mapping[str, int]) -> dict[str, bytes]:
    """``name[pid] environ`` / ``cmdline`` → its bytes, for each named process and every child of it."""
    places = {}
    for name, pid in pids.items():
        for member in descendants(pid):
            for what in ("environ", "cmdline"):
                with contextlib.suppress(OSError):  # a process that just exited
                    places[f"{name}[{member}] {what}"] = Path(f"/proc/{member}/{what}").read_bytes()
    return places


def environ(pid: int) -> dict[str, str]:
    """The environment ``pid`` was started with (as /proc shows it: a process may overwrite it)."""
    entries = Path(f"/proc/{pid}/environ").read_text().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def file_places(files: Iterable[Path], root: Path) -> dict[str, bytes]:
    """Each file's path below ``root`` → its bytes."""
    return {str(path.relative_to(root)): path.read_bytes() for path in files if path.is_file()}


def hits(places: Mapping[str, bytes], secrets: Mapping[str, str]) -> set[tuple[str, str]]:
    """(place, secret name) for every secret value found in a place."""
    assert all(len(value) >= 8 for value in secrets.values()), "too short to look for"
    return {
        (place, name)
        for place, text in places.items()
        for name, value in secrets.items()
        if value.encode() in text
    }
