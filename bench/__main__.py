"""`make bench`: run every benchmark module in bench/ and print its figures and ratios."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from topsongs_core.secret_settings import assume_laptop


def main(argv: list[str]) -> int:
    """Run the benchmarks named on the command line, or all of them."""
    assume_laptop()
    here = Path(__file__).parent
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    failed = []
    for name in names:
        print(f"\n=== bench.{name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        try:
            module.main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"bench.{name} failed: {exc!r}", flush=True)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
