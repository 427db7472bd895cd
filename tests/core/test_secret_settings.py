"""Secrets from `<VARIABLE>_FILE`, and the built-in passwords refused outside laptop mode."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from pydantic_settings import BaseSettings
from simulator.settings import SimulatorSettings
from topsongs_core.secret_settings import secret_variables
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.secret_files import SECRET_VARIABLES, as_files

PASSWORD = "p@ss:w/rd#50%x"
SETTINGS: tuple[type[BaseSettings], ...] = (
    KafkaSettings,
    PostgresSettings,
    S3Settings,
    IngestSettings,
    DashboardSettings,
    SimulatorSettings,
)


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment outside laptop mode with no PG_* or S3_* secret set."""
    monkeypatch.setenv("TOPSONGS_MODE", "deployed")
    for name in [n for n in os.environ if n.startswith(("PG_", "S3_"))]:
        monkeypatch.delenv(name)
    return monkeypatch


def secret_file(folder: Path, value: str) -> Path:
    """A file holding ``value`` and a line break, as `echo` or a Kubernetes Secret writes it."""
    path = folder / "secret"
    path.write_text(value + "\n")
    return path


def test_builtin_passwords_are_refused_outside_laptop_mode(deployed: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="PG_PASSWORD and PG_READER_PASSWORD are the built-in"):
        PostgresSettings()
    with pytest.raises(ValueError, match="S3_SECRET_ACCESS_KEY is the built-in"):
        S3Settings()
    # The default spelled out is the same password: refused too.
    deployed.setenv("PG_PASSWORD", "topsongs")
    with pytest.raises(ValueError, match="PG_PASSWORD is the built-in") as refused:
        PostgresSettings(reader_password="r3ader-secret")  # type: ignore[arg-type]
    assert "r3ader-secret" not in str(refused.value)  # the error never shows the input
    assert S3Settings(credentials="default-chain").key_pair() is None  # no key, nothing to refuse
    deployed.setenv("TOPSONGS_MODE", "laptop")
    assert PostgresSettings().password.get_secret_value() == "topsongs"


def test_secret_from_its_file(deployed: pytest.MonkeyPatch, tmp_path: Path) -> None:
    deployed.setenv("PG_PASSWORD_FILE", str(secret_file(tmp_path, PASSWORD)))
    deployed.setenv("PG_READER_PASSWORD", "reader-secret")
    pg = PostgresSettings()
    assert pg.password.get_secret_value() == PASSWORD
    assert "p%40ss%3Aw%2Frd%2350%25x@" in pg.dsn()


def test_variable_and_file_together_or_an_unreadable_file_are_errors(
    deployed: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    deployed.setenv("S3_SECRET_ACCESS_KEY", "one")
    deployed.setenv("S3_SECRET_ACCESS_KEY_FILE", str(secret_file(tmp_path, "two")))
    with pytest.raises(ValueError, match="both S3_SECRET_ACCESS_KEY and S3_SECRET_ACCESS_KEY_FILE"):
        S3Settings()
    deployed.delenv("S3_SECRET_ACCESS_KEY")
    deployed.setenv("S3_SECRET_ACCESS_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=r"S3_SECRET_ACCESS_KEY_FILE=.*missing cannot be read"):
        S3Settings()


def test_alias_and_own_file_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY_FILE", str(secret_file(tmp_path, "sk-test")))
    settings = SimulatorSettings()
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-test"
    # SIMULATOR_INGEST_API_KEY_FILE is the simulator's own setting (a path), not a second source.
    assert "SIMULATOR_INGEST_API_KEY" not in secret_variables(SimulatorSettings)


def test_devstack_moves_every_secret_variable_into_files(tmp_path: Path) -> None:
    assert set(SECRET_VARIABLES) == {v for cls in SETTINGS for v in secret_variables(cls)}
    env = as_files({"PG_PASSWORD": PASSWORD, "PG_PORT": "5432", "INGEST_API_KEY": ""}, tmp_path / "p")
    assert env.keys() == {"PG_PASSWORD_FILE", "PG_PORT", "INGEST_API_KEY"}
    path = Path(env["PG_PASSWORD_FILE"])
    assert path.read_text() == PASSWORD
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
