"""The resources the lake job asks of a cluster manager come from LAKE_* settings, and only when set."""

from __future__ import annotations

from pathlib import Path

import pytest
from spark.session import spark_conf
from spark.settings import LakeSettings
from topsongs_core.settings import S3Settings

RESOURCE_KEYS = {"spark.cores.max", "spark.executor.cores", "spark.executor.memory"}


def test_unset_resources_leave_sparks_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LAKE_CORES_MAX", "LAKE_EXECUTOR_CORES", "LAKE_EXECUTOR_MEMORY"):
        monkeypatch.delenv(name, raising=False)
    assert RESOURCE_KEYS.isdisjoint(spark_conf(LakeSettings(), S3Settings()))


def test_resource_variables_become_spark_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKE_SPARK_MASTER_URL", "spark://127.0.1.11:7077")
    monkeypatch.setenv("LAKE_CORES_MAX", "2")
    monkeypatch.setenv("LAKE_EXECUTOR_CORES", "1")
    monkeypatch.setenv("LAKE_EXECUTOR_MEMORY", "512m")
    conf = spark_conf(LakeSettings(), S3Settings())
    assert {k: conf[k] for k in RESOURCE_KEYS | {"spark.master"}} == {
        "spark.master": "spark://127.0.1.11:7077",
        "spark.cores.max": "2",
        "spark.executor.cores": "1",
        "spark.executor.memory": "512m",
    }


def test_cores_max_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKE_CORES_MAX", "0")
    with pytest.raises(ValueError, match="cores_max"):
        LakeSettings()


def test_the_ui_serves_prometheus_metrics_only_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKE_UI_PORT", "4999")
    conf = spark_conf(LakeSettings(), S3Settings())
    assert conf["spark.ui.port"] == "4999"
    assert conf["spark.metrics.conf.*.sink.prometheusServlet.path"] == "/metrics/prometheus"
    monkeypatch.setenv("LAKE_UI_ENABLED", "false")
    assert not any("prometheus" in key for key in spark_conf(LakeSettings(), S3Settings()))


@pytest.mark.parametrize(
    ("master", "on_workers", "shipped"),
    [
        ("local[*]", "false", False),
        ("spark://127.0.1.11:7077", "true", False),
        ("spark://127.0.1.11:7077", "false", True),
    ],
)
def test_jars_are_shipped_only_to_executors_that_cannot_read_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, master: str, on_workers: str, shipped: bool
) -> None:
    jars = [tmp_path / "b.jar", tmp_path / "a.jar"]
    for jar in jars:
        jar.write_bytes(b"")
    monkeypatch.setenv("LAKE_JARS_DIR", str(tmp_path))
    monkeypatch.setenv("LAKE_SPARK_MASTER_URL", master)
    monkeypatch.setenv("LAKE_JARS_ON_WORKERS", on_workers)
    conf = spark_conf(LakeSettings(), S3Settings())
    class_path = {k: v for k, v in conf.items() if k.endswith("extraClassPath")}
    if shipped:
        assert conf["spark.jars"] == f"{jars[1]},{jars[0]}"
        assert not class_path
    else:
        assert "spark.jars" not in conf
        assert class_path == {
            "spark.driver.extraClassPath": f"{jars[1]}:{jars[0]}",
            "spark.executor.extraClassPath": f"{jars[1]}:{jars[0]}",
        }
