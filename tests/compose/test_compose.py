"""compose.yaml, generated from the deployment declaration (devstack/src/topsongs_devstack/deployment),
checked where the generator cannot vouch for it (test_compose_stack.py runs it for real):

1. `docker compose config` accepts it, with each profile, and rejects broken copies.
2. Its variables: documented in .env.example, secrets written by scripts/compose-env.sh, and every
   variable a service is given is read by the settings classes the declaration names for it, with
   the settings' own default.
3. What other files must agree on: the Python entry points exist, the product's ACLs name the
   declared Kafka users, the cluster's Kafka nodes refuse anything but SASL_SSL/SSL, and haproxy's
   backends are the declared ingest and dashboard-api services.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ingest.kafka_setup import service_acls
from pydantic_settings import BaseSettings
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.deployment import programs
from topsongs_devstack.deployment.compose import secrets_of
from topsongs_devstack.deployment.stack import services

from tests.compose.dockerfile import REPO, all_settings_classes, settings_env_names

COMPOSE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
KAFKA_NODE_SCRIPT = REPO / "docker" / "kafka" / "cluster-node.sh"
HAPROXY_CFG = REPO / "docker" / "haproxy" / "cluster.cfg"
# Variables that are an engine's own configuration, not a pydantic-settings class of ours.
FOREIGN = ("AIRFLOW__", "AIRFLOW_ADMIN_PASSWORD", "SPARK_")

VAR_RE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def settings_class(ref: str) -> type[BaseSettings]:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def example_vars() -> dict[str, str]:
    """Variables documented in .env.example (commented-out assignments count as documented)."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        m = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if m:
            found[m.group(1)] = m.group(2)
    return found


def strings_of(node: Any) -> list[str]:
    """Every string of the parsed YAML (keys too): where Compose interpolates, comments excluded."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings_of(k), *strings_of(v))]
    if isinstance(node, list):
        return [s for item in node for s in strings_of(item)]
    return [node] if isinstance(node, str) else []


def required_variables() -> set[str]:
    """The variables compose.yaml has no default for (``${VAR:?message}``) and those its secret files
    are made from: the stack's secrets."""
    return {m.group("braced") for m in references() if m.group("op") == ":?"} | secret_sources()


def secret_sources() -> set[str]:
    """The .env variables compose makes its secret files from (top-level ``secrets``)."""
    return {entry["environment"] for entry in load_compose().get("secrets", {}).values()}


def references() -> list[re.Match[str]]:
    """${VAR...} and $VAR references in compose.yaml, skipping $$ escapes."""
    return [m for text in strings_of(load_compose()) for m in VAR_RE.finditer(text.replace("$$", "\0\0"))]


@pytest.fixture(scope="module")
def compose_cli() -> list[str]:
    """The Compose CLI `make compose-up` uses (built once into .cache/docker by setup-docker.sh)."""
    subprocess.run(
        ["bash", "scripts/setup-docker.sh"], cwd=REPO, check=True, capture_output=True, timeout=1800
    )
    return ["docker", "compose"]


def run_check(cli: list[str], compose: Path, *profiles: str) -> subprocess.CompletedProcess[str]:
    # A clean environment plus the secrets a .env holds: the file must be valid with its own
    # defaults, not the caller's shell.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    env |= {name: "from-dot-env" for name in required_variables()}
    args = [arg for profile in profiles for arg in ("--profile", profile)]
    return subprocess.run(
        [*cli, "-f", str(compose), *args, "config", "-q"],
        cwd=compose.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_config_accepts_compose_yaml(compose_cli: list[str]) -> None:
    result = run_check(compose_cli, COMPOSE, "demo")
    assert result.returncode == 0, result.stderr


def _typo_healthcheck(text: str) -> str:
    return text.replace("    healthcheck:\n", "    healtcheck:\n", 1)


def _bad_interval(text: str) -> str:
    return text.replace("  interval: 10s\n", "  interval: ten-seconds\n", 1)


def _unknown_dependency(text: str) -> str:
    return text.replace("      kafka-init:\n        condition:", "      kafka-inti:\n        condition:", 1)


def _unset_variable(text: str) -> str:
    return text.replace("${PG_USER:-topsongs}", "${PG_USER:?PG_USER is required}", 1)


@pytest.mark.parametrize(
    "mutate",
    [_typo_healthcheck, _bad_interval, _unknown_dependency, _unset_variable],
)
def test_compose_config_rejects_broken_copies(compose_cli: list[str], tmp_path: Path, mutate) -> None:
    original = COMPOSE.read_text()
    broken = mutate(original)
    assert broken != original, "the mutation did not apply; update the negative test"
    copy = tmp_path / "compose.yaml"
    copy.write_text(broken)
    result = run_check(compose_cli, copy)
    assert result.returncode != 0, f"docker compose accepted a broken file:\n{result.stdout}"
    assert result.stderr.strip()


def test_compose_config_accepts_the_cluster_profile(compose_cli: list[str]) -> None:
    result = run_check(compose_cli, COMPOSE, "cluster")
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------- variables


def test_every_variable_is_documented_and_defaulted() -> None:
    documented = example_vars()
    for match in references():
        name = match.group("braced") or match.group("bare")
        assert name in documented, f"${{{name}}} is not documented in .env.example"
        op = match.group("op") or ""
        if op == ":?":  # a secret: no default, compose refuses to start and names it (.env has it)
            assert op == ":?" and name in match.group("arg"), f"${{{name}}} must be ${{{name}:?...}}"
            assert documented[name] == "", f"{name}: .env.example documents it without a value"
            continue
        assert op in (":-", "-"), f"${{{name}}} has no default (use ${{{name}:-...}})"
        if documented[name] and not match.group("arg").startswith("$"):
            assert match.group("arg") == documented[name], f"{name}: compose and .env.example disagree"


def test_compose_env_writes_every_required_secret() -> None:
    """scripts/compose-env.sh (make compose-up, the stack test) generates each of them."""
    required = required_variables()
    assert {"PG_PASSWORD", "S3_SECRET_ACCESS_KEY", "AIRFLOW_JWT_SECRET"} <= required, required
    script = (REPO / "scripts" / "compose-env.sh").read_text()
    missing = {name for name in required if f'"{name}"' not in script}
    assert not missing, f"scripts/compose-env.sh does not write {sorted(missing)}"


def test_only_the_store_and_its_init_hold_the_s3_root_key() -> None:
    """Every other client of the lake has its own account (S3_SECRET_<ACCOUNT>, made by s3-init)."""
    holders = {
        service.name
        for service in services()
        if "s3_secret_access_key" in secrets_of(service)
        or any("{S3_SECRET_ACCESS_KEY:" in str(value) for value in service.environment.values())
    }
    assert holders == {"s3", "s3-init", "cluster-s3", "cluster-s3-init"}, holders
    keyed = {
        service.name: (
            service.environment["S3_ACCESS_KEY_ID"],
            service.environment["S3_SECRET_ACCESS_KEY_FILE"],
        )
        for service in services()
        if "S3_ACCESS_KEY_ID" in service.environment and service.name not in holders
    }
    expected = {
        "spark": "lake",
        "cluster-lake": "lake",
        "cluster-airflow-worker": "airflow",
        "monitor": "monitor",
        "catalog-upload": "catalog",
        "airflow-scheduler": "airflow",
    }
    assert {name: keyed.get(name, ("", ""))[0] for name in expected} == {
        name: f"topsongs-{account}" for name, account in expected.items()
    }, keyed
    for name, (key, secret) in keyed.items():
        assert secret == f"/run/secrets/s3_secret_{key.removeprefix('topsongs-')}", (name, secret)


def test_secrets_reach_our_programs_as_files() -> None:
    """No secret of .env is an environment value of a service running our code (settings classes):
    each is a file compose makes (top-level ``secrets``) that the service lists and reads through
    ``<VARIABLE>_FILE`` or Airflow's ``_CMD`` options."""
    made = load_compose()["secrets"]
    required = {m.group("braced") for m in references() if m.group("op") == ":?"}
    checked = 0
    for service in services():
        listed = secrets_of(service)
        assert all(name in made and made[name]["environment"] == name.upper() for name in listed), listed
        if not service.settings:
            continue
        checked += 1
        for key, value in service.environment.items():
            inside = {m.group("braced") for m in VAR_RE.finditer(str(value or "").replace("$$", "\0\0"))}
            assert not inside & required, f"{service.name}: {key} holds the secret {inside & required}"
    assert checked >= 20


def test_env_example_documents_only_used_variables() -> None:
    used = {m.group("braced") or m.group("bare") for m in references()} | secret_sources()
    passed_through = {k for s in services() for k, v in s.environment.items() if v is None}
    unused = set(example_vars()) - used - passed_through
    assert not unused, f".env.example documents variables compose.yaml never uses: {unused}"


def test_services_set_only_variables_their_settings_read() -> None:
    """A renamed settings field fails here, not in a container that silently ignores the old name."""
    ours = [s for s in services() if s.settings]
    assert len(ours) >= 20, [s.name for s in ours]
    for service in ours:
        known = set().union(*(settings_env_names(settings_class(ref)) for ref in service.settings))
        for var in service.environment:
            if not var.startswith(FOREIGN):
                assert var in known, f"{service.name} sets {var}, which none of {service.settings} reads"


def test_compose_defaults_equal_the_settings_defaults() -> None:
    """`KEY: ${KEY:-default}` must not drift from what the field KEY names is when unset (its default,
    or what a validator derives from the other defaults)."""
    by_name = {}
    for cls in all_settings_classes():
        prefix = (cls.model_config.get("env_prefix") or "").upper()
        for field in cls.model_fields:
            by_name[f"{prefix}{field.upper()}"] = (cls, field)
    checked = 0
    for service in services():
        for key, value in service.environment.items():
            m = re.fullmatch(r"\$\{(\w+):-([^}]*)\}", str(value or ""))
            if not m or m.group(1) != key or key not in by_name:
                continue
            cls, field = by_name[key]
            parsed = getattr(cls.model_validate({field: m.group(2)}), field)
            default = getattr(cls.model_validate({}), field)
            assert parsed == default, f"{key}: compose default {m.group(2)!r} != settings default {default!r}"
            checked += 1
    assert checked >= 5


# --------------------------------------------------------------------------------- entry points


def test_python_entry_points_exist() -> None:
    """`python -m M` and uvicorn's `M:factory` name a module (and a function) of this repository."""
    checked = 0
    for service in services():
        command = list(service.command or ())
        if command[:2] != ["python", "-m"]:
            continue
        module, attr = command[2], None
        if module == "uvicorn":
            module, _, attr = command[3].partition(":")
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            spec = importlib.util.find_spec(f"{module}.__main__")
        assert spec is not None and spec.origin, f"{service.name}: module {module} not found"
        if attr:
            assert f"def {attr}(" in Path(spec.origin).read_text(), (
                f"{service.name}: {module} defines no {attr}"
            )
        checked += 1
    assert checked >= 10


def test_settings_modules_import() -> None:
    """The derivation above saw every member's settings (guards against an empty known set)."""
    names = {cls.__name__ for cls in all_settings_classes()}
    assert {"KafkaSettings", "PostgresSettings", "S3Settings", "IngestSettings", "DashboardSettings"} <= names


# ---------------------------------------------------------------------------------- profile cluster


def node_properties() -> dict[str, str]:
    """The server.properties cluster-node.sh writes (its first here-document), unexpanded."""
    text = KAFKA_NODE_SCRIPT.read_text()
    body = text.split('cat >"$props" <<PROPS\n', 1)[1].split("\nPROPS\n", 1)[0]
    return dict(line.split("=", 1) for line in body.splitlines())


def test_the_product_acls_are_for_the_declared_kafka_users() -> None:
    """ingest.kafka_setup's ACL table and the users the nodes create (the declaration) are one set."""
    users = {acl.user for acl in service_acls(KafkaSettings(), "topsongs-live")}
    assert programs.KAFKA_USERS[0] == "admin"
    assert users == set(programs.KAFKA_USERS[1:]), users
    nodes = [s for s in services() if s.entrypoint == ("/bin/bash", "/opt/kafka/cluster-node.sh")]
    assert len(nodes) == 3
    script = KAFKA_NODE_SCRIPT.read_text()
    for user in programs.KAFKA_USERS:
        assert f"{user.upper()}_PASSWORD" in script, f"cluster-node.sh does not add {user}"


def test_cluster_kafka_nodes_listen_on_sasl_ssl_and_ssl_only() -> None:
    props = node_properties()
    protocols = dict(item.split(":") for item in props["listener.security.protocol.map"].split(","))
    listeners = [listener.split("://")[0] for listener in props["listeners"].split(",")]
    assert {protocols[name] for name in listeners} == {"SASL_SSL", "SSL"}
    assert "PLAINTEXT" not in props["listeners"] + props["advertised.listeners"]
    assert not any("PLAINTEXT" in protocol for protocol in protocols.values()), protocols
    assert props["inter.broker.listener.name"] == "SASL_SSL"
    assert protocols[props["controller.listener.names"]] == "SSL"
    assert props["listener.name.controller.ssl.client.auth"] == "required"
    assert (
        props["sasl.enabled.mechanisms"] == props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    )
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["auto.create.topics.enable"] == "false"
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"


def test_haproxy_backends_are_the_declared_services() -> None:
    backends: dict[str, set[tuple[str, str]]] = {}
    for line in HAPROXY_CFG.read_text().splitlines():
        if m := re.match(r"^backend (\S+)", line):
            backends[m.group(1)] = set()
        elif m := re.match(r"^\s+server \S+ ([\w.-]+):(\d+) check", line):
            backends[list(backends)[-1]].add((m.group(1), m.group(2)))
    balancer = next(s for s in services() if s.name == "cluster-balancer")
    for pool, program in (("ingest", programs.INGEST), ("dashboard-api", programs.DASHBOARD)):
        declared = {
            (s.name, str(program.port))
            for s in services()
            if "cluster" in s.profiles and program.factory in (s.command or ())
        }
        assert len(declared) == 2, declared
        assert backends[pool] == declared, pool
        assert {name for name, _ in declared} <= set(balancer.depends_on)


def test_cluster_haproxy_config_is_valid() -> None:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.fail("haproxy is needed to check docker/haproxy/cluster.cfg (make setup-system)")
    result = subprocess.run(
        [haproxy, "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
