"""promtool (the one installed with the server) checks devstack's generated config and the alert
rules, and runs the rules' unit tests (deploy/prometheus/alerts_test.yml)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.deployment.observability import (
    CLUSTER_CONFIG,
    CLUSTER_SCRAPES,
    CONFIG,
    SCRAPES,
    Scrape,
    prometheus_config,
)
from topsongs_devstack.prometheus import RULES, scrape_config


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """promtool with ``args``; fails the test with its output when it does."""
    tool = shutil.which("promtool")
    assert tool is not None, "promtool is missing: make setup-system installs Debian's prometheus"
    result = subprocess.run([tool, *args], capture_output=True, text=True, timeout=120, cwd=RULES.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def release(tool: str) -> str:
    """``x.y.z`` from ``<tool> --version``."""
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    found = re.search(r"version (\d+\.\d+\.\d+)", out.stdout + out.stderr)
    assert found is not None, out.stdout + out.stderr
    return found.group(1)


def test_promtool_is_the_servers_release() -> None:
    assert release("promtool") == release("prometheus")


def test_generated_config_is_valid(tmp_path: Path) -> None:
    settings = DevstackSettings(state_dir=tmp_path)
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps(scrape_config(settings)))
    promtool("check", "config", str(config))


@pytest.mark.parametrize("scrapes", [SCRAPES, CLUSTER_SCRAPES], ids=["single", "cluster"])
def test_compose_config_is_valid(tmp_path: Path, scrapes: tuple[Scrape, ...]) -> None:
    """compose's configs (the single node's, profile cluster's), their rules at the repository's path
    instead of the container's mount."""
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps(prometheus_config(scrapes) | {"rule_files": [str(RULES)]}))
    promtool("check", "config", str(config))
    for committed in (CONFIG, CLUSTER_CONFIG):
        assert "/etc/prometheus/alerts.yml" in (REPO_ROOT / committed).read_text()


def test_rules_are_valid_and_their_unit_tests_pass() -> None:
    promtool("check", "rules", RULES.name)
    out = promtool("test", "rules", "alerts_test.yml")
    assert "SUCCESS" in out.stdout
