"""`devstack up|down|status|install [component ...]`: the embedded platform's command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from topsongs_devstack.component import Component
from topsongs_devstack.process import PlatformError
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
        width = max(len(s.name) for s in statuses)
        for s in statuses:
            mark = "healthy" if s.healthy else "DOWN"
            print(f"  {s.name:<{width}}  {mark:<8} {s.endpoint} {s.detail}".rstrip())
        if not all(s.healthy for s in statuses):
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `devstack` script."""
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument("action", choices=["up", "down", "status", "install"])
    parser.add_argument("components", nargs="*", help="subset to act on (default: all)")
    args = parser.parse_args(argv)
    return act(args.action, select(args.components), "devstack")


if __name__ == "__main__":
    sys.exit(main())
