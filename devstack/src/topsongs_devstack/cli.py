"""`devstack up|down|status|install|logs [component ...]`: the embedded platform's command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from topsongs_core.secret_settings import assume_laptop

from topsongs_devstack.component import Component, Status
from topsongs_devstack.process import ManagedProcess, PlatformError
from topsongs_devstack.stack import down_in_waves, select, up_in_waves


def act(
    action: str,
    chosen: Sequence[Component],
    prog: str = "devstack",
    waves: Sequence[Sequence[Sequence[Component]]] | None = None,
) -> int:
    """Run ``action`` on the components (stopping in reverse order) and print their status table.

    After up and status the exit code is 1 when a component is down, so scripts can rely on it.

    With ``waves`` (the same components, grouped as ``stack.up_in_waves`` takes them), up and down
    run their independent chains side by side."""
    try:
        if action == "install":
            for component in chosen:
                component.install()
        elif action == "up" and waves:
            up_in_waves(waves)
        elif action == "up":
            for component in chosen:
                component.up()
        elif action == "down" and waves:
            down_in_waves(waves)
        elif action == "down":
            for component in reversed(chosen):
                component.down()
    except PlatformError as exc:
        print(f"[{prog}] error: {exc}", file=sys.stderr)
        return 1
    if action in ("up", "status") and chosen:
        statuses = [c.status() for c in chosen]
        print_statuses(statuses)
        if not all(s.healthy for s in statuses):
            return 1
    return 0


def print_statuses(statuses: Sequence[Status]) -> None:
    """One aligned line per component: name, healthy or DOWN, endpoint and detail."""
    width = max(len(s.name) for s in statuses)
    for s in statuses:
        mark = "healthy" if s.healthy else "DOWN"
        print(f"  {s.name:<{width}}  {mark:<8} {s.endpoint} {s.detail}".rstrip())


def log_files(chosen: Sequence[Component]) -> list[Path]:
    """The log files the components' processes write (one-shot steps such as migrations have none)."""
    found: list[Path] = []
    for component in chosen:
        procs = [getattr(component, "proc", None), *getattr(component, "procs", {}).values()]
        files = [
            getattr(component, "log_file", None),
            *(p.log_file for p in procs if isinstance(p, ManagedProcess)),
        ]
        found += [f for f in files if isinstance(f, Path) and f.exists()]
    return found


def show_logs(chosen: Sequence[Component], follow: bool, lines: int) -> int:
    """The last lines of each log (`tail`), then new lines as they come with ``follow``."""
    files = log_files(chosen)
    if not files:
        print(
            "[devstack] no log files: not started yet, or one-shot steps (they log nothing)", file=sys.stderr
        )
        return 1
    # -v names each file above its lines (one file too); -F keeps reading across restarts.
    os.execvp("tail", ["tail", "-v", "-n", str(lines), *(["-F"] if follow else []), *map(str, files)])


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `devstack` script."""
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument("action", choices=["up", "down", "status", "install", "logs"])
    parser.add_argument("components", nargs="*", help="subset to act on (default: all)")
    parser.add_argument("-f", "--follow", action="store_true", help="logs: keep printing new lines")
    parser.add_argument("-n", "--lines", type=int, default=20, help="logs: lines of each file to show first")
    args = parser.parse_args(argv)
    assume_laptop()
    if args.action == "logs":
        return show_logs(select(args.components), args.follow, args.lines)
    return act(args.action, select(args.components), "devstack")


if __name__ == "__main__":
    sys.exit(main())
