"""`python -m topsongs_devstack.deployment compose [--check]`: print compose.yaml, or fail when the
committed one differs from what the declaration renders."""

from __future__ import annotations

import argparse
import difflib
import sys

from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.deployment.compose import COMMAND, render


def main(argv: list[str] | None = None) -> int:
    """Print the generated compose.yaml, or with --check compare it with the committed file."""
    parser = argparse.ArgumentParser(prog="python -m topsongs_devstack.deployment", description=main.__doc__)
    parser.add_argument("what", choices=["compose"])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when compose.yaml is not the generated text"
    )
    parser.add_argument("--file", default=str(REPO_ROOT / "compose.yaml"), help="the file --check compares")
    args = parser.parse_args(argv)
    text = render()
    if not args.check:
        sys.stdout.write(text)
        return 0
    with open(args.file, encoding="utf-8") as committed:
        current = committed.read()
    if current == text:
        return 0
    diff = difflib.unified_diff(current.splitlines(True), text.splitlines(True), args.file, "generated")
    sys.stderr.writelines(list(diff)[:60])
    print(f"\n{args.file} is not what the declaration generates; run `{COMMAND}`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
