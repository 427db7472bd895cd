"""`python -m topsongs_devstack.cluster up|down|status|install [component ...]`: the cluster profile."""

from __future__ import annotations

import argparse

from topsongs_core.secret_settings import assume_laptop

from topsongs_devstack.cli import act
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.cluster.stack import select, waves


def main(argv: list[str] | None = None) -> int:
    """Entry point of `make cluster-up|cluster-status|cluster-down`."""
    parser = argparse.ArgumentParser(prog="python -m topsongs_devstack.cluster", description=__doc__)
    parser.add_argument("action", choices=["up", "down", "status", "install"])
    parser.add_argument("components", nargs="*", help="subset to act on (default: all)")
    args = parser.parse_args(argv)
    assume_laptop()
    settings = ClusterSettings()
    # The whole profile starts and stops in its two waves (cluster.stack.waves); a named subset in order.
    grouped = None if args.components else waves(settings)
    return act(args.action, select(args.components, settings), "cluster", grouped)
