"""Where a run of the suite spent its time, from the JUnit XML `make test` leaves in artifacts/.

`.venv/bin/python -m tests.suite_times [artifacts/junit.xml]` prints the seconds of each test group
(the folder under tests/, a package fixture's start and stop included: pytest counts them in the first
and last test that needs it) and the slowest tests. Not a test: pytest collects only test_*.py.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

SLOWEST = 25


def test_seconds(junit: Path) -> dict[str, float]:
    """Seconds per test id (module path::name), setup and teardown included."""
    seconds: dict[str, float] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        seconds[f"{module}.py::{case.get('name')}"] = float(case.get("time") or 0)
    return seconds


def group(test_id: str) -> str:
    """tests/<group> of a test id."""
    parts = test_id.split("/")
    return "/".join(parts[:2]) if parts[0] == "tests" else parts[0]


def main(argv: list[str]) -> None:
    junit = Path(argv[0] if argv else "artifacts/junit.xml")
    seconds = test_seconds(junit)
    groups: defaultdict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    for test_id, s in seconds.items():
        groups[group(test_id)] += s
        counts[group(test_id)] += 1
    print(f"{sum(seconds.values()):8.1f} s  {len(seconds)} tests in {junit}")
    for name, s in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"{s:8.1f} s  {counts[name]:4d} tests  {name}")
    print(f"slowest {SLOWEST}:")
    for test_id, s in Counter(seconds).most_common(SLOWEST):
        print(f"{s:8.1f} s  {test_id}")


if __name__ == "__main__":
    main(sys.argv[1:])
