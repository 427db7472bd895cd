"""The deployment declaration: compose.yaml is what it renders, and it refuses waits compose would
run wrongly."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import pytest
from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.deployment.__main__ import main
from topsongs_devstack.deployment.model import completed, healthy
from topsongs_devstack.deployment.observability import SCRAPES
from topsongs_devstack.deployment.stack import check, services


def test_check_passes_on_the_committed_file_and_fails_on_an_edited_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    committed = REPO_ROOT / "compose.yaml"
    assert main(["compose", "--check", "--file", str(committed)]) == 0
    edited = tmp_path / "compose.yaml"
    edited.write_text(committed.read_text().replace("interval: 10s", "interval: 11s", 1))
    assert main(["compose", "--check", "--file", str(edited)]) == 1
    assert "python -m topsongs_devstack.deployment compose > compose.yaml" in capsys.readouterr().err


def test_prometheus_check_fails_on_an_edited_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    committed = REPO_ROOT / "deploy" / "prometheus" / "compose.yml"
    assert main(["prometheus", "--check", "--file", str(committed)]) == 0
    edited = tmp_path / "compose.yml"
    edited.write_text(committed.read_text().replace("ingest:8000", "ingest:8001"))
    assert main(["prometheus", "--check", "--file", str(edited)]) == 1
    assert "deployment prometheus > deploy/prometheus/compose.yml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "depends_on", "error"),
    [
        ("ingest", healthy("kafka-inti"), "not declared"),
        ("ingest", healthy("kafka-init"), "needs service_completed_successfully"),
        ("ingest", completed("kafka"), "needs service_healthy"),
        ("ingest", healthy("cluster-postgres"), "border"),
    ],
)
def test_the_generator_refuses_a_wrong_wait(name: str, depends_on: dict[str, str], error: str) -> None:
    every = services()
    check(every)
    broken = [replace(s, depends_on=depends_on) if s.name == name else s for s in every]
    with pytest.raises(ValueError, match=error):
        check(broken)


def test_every_scrape_target_is_a_service_listening_beyond_loopback() -> None:
    """Prometheus reaches each target from its own container: a listener the settings bind to
    127.0.0.1 by default must be moved to 0.0.0.0 in the service's environment."""
    by_name = {s.name: s for s in services()}
    for scrape in SCRAPES:
        service = by_name[scrape.job]
        for ref in service.settings:
            module, _, name = ref.partition(":")
            cls = getattr(importlib.import_module(module), name)
            prefix = (cls.model_config.get("env_prefix") or "").upper()
            for field, info in cls.model_fields.items():
                if field.endswith("host") and info.default == "127.0.0.1":
                    variable = f"{prefix}{field.upper()}"
                    assert service.environment.get(variable) == "0.0.0.0", f"{service.name}: {variable}"
