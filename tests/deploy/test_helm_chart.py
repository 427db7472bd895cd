"""The Helm chart (deploy/helm/topsongs), checked offline: no Kubernetes cluster runs here.

scripts/helm-check.sh builds helm and kubeconform from their Go modules (once, into .cache/bin),
lints the chart, renders it with the default values and with managed engines, and validates every
rendered object against Kubernetes' schemas. These tests run it, then read what it rendered.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "topsongs"
EXTERNAL_VALUES = CHART / "ci" / "external-engines-values.yaml"
HELM = REPO / ".cache" / "bin" / "helm"
KUBECONFORM = REPO / ".cache" / "bin" / "kubeconform"
SCHEMAS = REPO / ".cache" / "k8s-schemas"
OUR_IMAGES = {
    "ingest",
    "streams",
    "spark",
    "dashboard-api",
    "airflow",
    "simulator",
    "kafka",
    "postgres",
    "s3",
}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}

# The first run builds helm and kubeconform (minutes); later runs reuse them.
pytestmark = pytest.mark.timeout(1800)

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Manifest]]:
    """scripts/helm-check.sh's renders, by values set (it fails on any lint or schema error)."""
    out = tmp_path_factory.mktemp("helm-check")
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "helm-check.sh")],
        cwd=REPO,
        env={**os.environ, "HELM_CHECK_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=1700,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Invalid: 0, Errors: 0, Skipped: 0", result.stdout), result.stdout
    return {
        name: [doc for doc in yaml.safe_load_all((out / f"{name}.yaml").read_text()) if doc]
        for name in ("default", "external-engines")
    }


def helm_template(*args: str) -> subprocess.CompletedProcess[str]:
    """`helm template` of the chart with extra arguments (the binary helm-check.sh built)."""
    return subprocess.run(
        [str(HELM), "template", "topsongs", str(CHART), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def pod_specs(docs: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def containers(pod: Manifest) -> list[Manifest]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def workload(docs: list[Manifest], kind: str, suffix: str) -> Manifest:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    assert len(matches) == 1, f"{kind} *{suffix}: {[d['metadata']['name'] for d in matches]}"
    return matches[0]


def env_names(doc: Manifest) -> set[str]:
    pod = doc["spec"]["template"]["spec"]
    return {var["name"] for var in pod["containers"][0].get("env", [])}


def compose_environment(service: str) -> set[str]:
    """A compose service's variables; a secret compose gives as a file (``X_FILE``, Airflow's
    ``X_CMD``) by its plain name, which the chart still sets from its Secret (docs/kubernetes.md)."""
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    environment = compose["services"][service].get("environment") or {}
    files = {name for name, value in environment.items() if "/run/secrets/" in str(value)}
    return (set(environment) - files) | {name.rsplit("_", 1)[0] for name in files}


# ------------------------------------------------------------------------------------------ tests


def test_lint_render_and_schema_validation_pass(rendered: dict[str, list[Manifest]]) -> None:
    kinds = {doc["kind"] for doc in rendered["default"]}
    assert {"Deployment", "StatefulSet", "Job", "Service", "Secret"} <= kinds
    assert "Ingress" in {doc["kind"] for doc in rendered["external-engines"]}


def test_schemas_reject_what_the_api_server_would(
    rendered: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    """The offline validation is strict: a misspelt field and a wrong type fail it."""
    deployment = workload(rendered["default"], "Deployment", "-ingest")
    bad = yaml.safe_load(yaml.safe_dump(deployment))
    bad["spec"]["template"]["spec"]["containers"][0]["envv"] = []
    bad["spec"]["replicas"] = "two"
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(yaml.safe_dump(bad))
    (schemas,) = SCHEMAS.iterdir()
    result = subprocess.run(
        [
            str(KUBECONFORM),
            "-strict",
            "-schema-location",
            f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
            str(manifest),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout
    assert "additional properties 'envv' not allowed" in result.stdout
    assert "/spec/replicas" in result.stdout


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        ("secrets.existingSecret", "secrets.existingSecret"),
        ("kafka.bootstrapServers", "kafka.bootstrapServers"),
        ("postgres.host", "postgres.host"),
        ("s3.endpointUrl", "s3.endpointUrl"),
    ],
)
def test_managed_engines_without_a_required_value_fail_naming_it(
    rendered: dict[str, list[Manifest]], unset: str, named: str
) -> None:
    result = helm_template("-f", str(EXTERNAL_VALUES), "--set", f"{unset}=")
    assert result.returncode != 0
    assert named in result.stderr
    assert "is required" in result.stderr


def test_no_password_is_a_default(rendered: dict[str, list[Manifest]]) -> None:
    """values.yaml names no secret; the chart's own Secret is random on every install."""
    secret_names = re.compile(r"(PASSWORD|SECRET_ACCESS_KEY|SECRET_KEY|FERNET_KEY|JWT_SECRET|API_KEY)$", re.I)

    def keys(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield str(key)
                yield from keys(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys(value)

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert not [key for key in keys(values) if secret_names.search(key)]

    def secret_data() -> dict[str, str]:
        result = helm_template("--show-only", "templates/secret.yaml")
        assert result.returncode == 0, result.stderr
        return yaml.safe_load(result.stdout)["data"]

    first, second = secret_data(), secret_data()
    assert set(first) >= {"PG_PASSWORD", "PG_READER_PASSWORD", "S3_SECRET_ACCESS_KEY", "AIRFLOW_JWT_SECRET"}
    assert all(first[key] != second[key] for key in first)
    assert not [d for d in rendered["external-engines"] if d["kind"] == "Secret"]


@pytest.mark.parametrize("values_set", ["default", "external-engines"])
def test_every_image_is_one_of_ours_at_the_app_version(
    rendered: dict[str, list[Manifest]], values_set: str
) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == (REPO / "VERSION").read_text().strip()
    tag = chart["appVersion"] if values_set == "default" else "2026.12.1"
    prefix = "" if values_set == "default" else "registry.example.com/music/"
    pattern = re.compile(rf"{re.escape(prefix)}topsongs/(?P<name>[a-z0-9-]+):{re.escape(tag)}")
    images = {c["image"] for _, pod in pod_specs(rendered[values_set]) for c in containers(pod)}
    assert images
    for image in images:
        match = pattern.fullmatch(image)
        assert match and match["name"] in OUR_IMAGES, image


@pytest.mark.parametrize("values_set", ["default", "external-engines"])
def test_every_container_runs_as_non_root(rendered: dict[str, list[Manifest]], values_set: str) -> None:
    for name, pod in pod_specs(rendered[values_set]):
        for container in containers(pod):
            context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
            assert context.get("runAsNonRoot") is True, (name, container["name"])
            assert context.get("runAsUser", 0) != 0, (name, container["name"])
            assert context.get("allowPrivilegeEscalation") is False, (name, container["name"])
            assert "ALL" in context.get("capabilities", {}).get("drop", []), (name, container["name"])
        assert pod["automountServiceAccountToken"] is False, name


def test_long_running_containers_have_probes_and_requests(rendered: dict[str, list[Manifest]]) -> None:
    for name, pod in pod_specs(rendered["default"]):
        for container in containers(pod):
            assert container["resources"]["requests"].keys() >= {"cpu", "memory"}, name
        if name.startswith("Job/"):
            continue
        for container in pod["containers"]:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in container, (name, probe)


@pytest.mark.parametrize(
    ("compose_service", "kind", "suffix"),
    [
        ("ingest", "Deployment", "-ingest"),
        ("streams", "StatefulSet", "-streams"),
        ("spark", "Deployment", "-spark"),
        ("dashboard-api", "Deployment", "-dashboard-api"),
        ("airflow-api-server", "Deployment", "-airflow-api-server"),
        ("airflow-scheduler", "Deployment", "-airflow-scheduler"),
        ("airflow-dag-processor", "Deployment", "-airflow-dag-processor"),
        ("postgres", "StatefulSet", "-postgres"),
        ("s3", "StatefulSet", "-s3"),
    ],
)
def test_services_get_compose_environment_names(
    rendered: dict[str, list[Manifest]], compose_service: str, kind: str, suffix: str
) -> None:
    """Every variable compose sets on a service is set on its Kubernetes counterpart, same name."""
    missing = compose_environment(compose_service) - env_names(workload(rendered["default"], kind, suffix))
    assert not missing, f"{compose_service}: {sorted(missing)}"


def test_dashboard_behind_the_ingress_has_no_per_address_cap() -> None:
    """Behind the ingress every connection has the controller's address (docs/security.md)."""

    def cap(*args: str) -> str | None:
        result = helm_template("--show-only", "templates/dashboard-api.yaml", *args)
        assert result.returncode == 0, result.stderr
        [deployment] = [d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "Deployment"]
        env = deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])
        return next((v.get("value") for v in env if v["name"] == "SERVING_MAX_CONNECTIONS_PER_ADDRESS"), None)

    ingress = ("--set", "dashboardApi.ingress.enabled=true", "--set", "dashboardApi.ingress.host=charts.test")
    assert cap() is None  # the default (512): pods that see their clients' addresses
    assert cap(*ingress) == "0"
    assert cap(*ingress, "--set", "dashboardApi.env.SERVING_MAX_CONNECTIONS_PER_ADDRESS=64") == "64"


def test_kafka_node_gets_compose_settings(rendered: dict[str, list[Manifest]]) -> None:
    names = env_names(workload(rendered["default"], "StatefulSet", "-kafka"))
    assert compose_environment("kafka") <= names


def test_one_shots_run_compose_commands(rendered: dict[str, list[Manifest]]) -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]
    jobs = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]
        for d in rendered["default"]
        if d["kind"] == "Job"
    }
    for service, job in [
        ("kafka-init", "kafka-topics"),
        ("s3-init", "s3-bucket"),
        ("charts-migrate", "charts-migrate"),
        ("airflow-init", "airflow-db-migrate"),
    ]:
        (container,) = [c for name, c in jobs.items() if name.endswith(f"-{job}-1")]
        assert container["command"] == compose[service]["command"], service
        assert container["image"].split(":")[0] == compose[service]["image"].split(":")[0], service
    (catalog,) = [c for name, c in jobs.items() if name.endswith("-catalog-upload-1")]
    assert catalog["args"] == compose["catalog-upload"]["command"]


def test_managed_engines_replace_the_releases_own(rendered: dict[str, list[Manifest]]) -> None:
    docs = rendered["external-engines"]
    names = {d["metadata"]["name"] for d in docs if d["kind"] in WORKLOADS}
    assert not [n for n in names if re.search(r"-(kafka|postgres|s3)$", n)], names
    values = yaml.safe_load(EXTERNAL_VALUES.read_text())
    ingest = {
        v["name"]: v.get("value")
        for v in workload(docs, "Deployment", "-ingest")["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert ingest["KAFKA_BOOTSTRAP_SERVERS"] == values["kafka"]["bootstrapServers"]
    assert ingest["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    spark = workload(docs, "Deployment", "-spark")["spec"]["template"]["spec"]["containers"][0]["env"]
    s3 = {v["name"]: v for v in spark}
    assert s3["S3_ENDPOINT_URL"]["value"] == values["s3"]["endpointUrl"]
    # default-chain: the keys are optional references, absent from the managed Secret
    assert s3["S3_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "topsongs-managed",
        "key": "S3_SECRET_ACCESS_KEY",
        "optional": True,
    }
