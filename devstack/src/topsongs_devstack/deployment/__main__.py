"""`python -m topsongs_devstack.deployment compose|prometheus|cluster-prometheus|grafana [--check]`: write
what the declaration generates (compose.yaml, the compose Prometheus configs of the single node and of
profile cluster, the Grafana dashboards), or fail when the committed files differ from it."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from topsongs_core.secret_settings import assume_laptop

from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.deployment import observability
from topsongs_devstack.deployment.compose import COMMAND, render

HOW = {
    "compose": COMMAND,
    "prometheus": f"python -m topsongs_devstack.deployment prometheus > {observability.CONFIG}",
    "cluster-prometheus": (
        f"python -m topsongs_devstack.deployment cluster-prometheus > {observability.CLUSTER_CONFIG}"
    ),
    "grafana": "python -m topsongs_devstack.deployment grafana",
}


def generated(what: str, file: Path | None) -> dict[Path, str]:
    """Each generated file of ``what`` and its text."""
    if what == "compose":
        return {file or REPO_ROOT / "compose.yaml": render()}
    if what == "prometheus":
        return {file or REPO_ROOT / observability.CONFIG: observability.prometheus_config_text()}
    if what == "cluster-prometheus":
        return {file or REPO_ROOT / observability.CLUSTER_CONFIG: observability.prometheus_config_text(True)}
    # The Grafana SDK is a dev dependency: imported only when its files are made or checked.
    from topsongs_devstack.deployment import grafana

    return {REPO_ROOT / path: text for path, text in grafana.files().items()}


def differs(path: Path, text: str) -> bool:
    """Whether ``path`` holds something else than ``text`` (the diff's start goes to stderr)."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current == text:
        return False
    diff = difflib.unified_diff(current.splitlines(True), text.splitlines(True), str(path), "generated")
    sys.stderr.writelines(list(diff)[:60])
    return True


def main(argv: list[str] | None = None) -> int:
    """Print compose.yaml or a Prometheus config, write the Grafana files; --check compares instead."""
    parser = argparse.ArgumentParser(prog="python -m topsongs_devstack.deployment", description=main.__doc__)
    parser.add_argument("what", choices=sorted(HOW))
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a committed file is not the generated text"
    )
    parser.add_argument("--file", type=Path, help="the file compose or prometheus prints or compares")
    args = parser.parse_args(argv)
    # It builds the services' settings for their defaults (serving flags); no password goes into a file.
    assume_laptop()
    files = generated(args.what, args.file)
    if args.check:
        stale = [path for path, text in files.items() if differs(path, text)]
        for path in stale:
            print(f"\n{path} is not what the declaration generates; run `{HOW[args.what]}`", file=sys.stderr)
        return 1 if stale else 0
    if args.what == "grafana":
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(path.relative_to(REPO_ROOT))
        return 0
    sys.stdout.writelines(files.values())
    return 0


if __name__ == "__main__":
    sys.exit(main())
