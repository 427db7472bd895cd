"""Static checks of compose.yaml and docker/Dockerfile (test_compose_stack.py runs them for real).

1. `docker compose config` (the Compose CLI that runs the stack, scripts/setup-docker.sh) loads
   compose.yaml with its validation and consistency checks; broken copies make it fail.
2. Python checks of what the schema cannot know: images or builds, healthchecks, files the
   Dockerfile copies or mounts, documented variables, and that every environment variable a
   service sets is one its pydantic-settings classes read.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from ingest.kafka_setup import service_acls
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pydantic_settings import BaseSettings
from topsongs_core.settings import KafkaSettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "docker" / "Dockerfile"
# docker/Dockerfile's targets: the services' images (each from docker/requirements/<target>.lock.txt)
# and the engines' (no Python of ours, no settings class).
SERVICE_TARGETS = ("ingest", "streams", "spark", "dashboard-api", "airflow", "simulator")
ENGINE_TARGETS = ("kafka", "postgres", "s3", "haproxy", "redis")

SIMULATOR = [
    "simulator.settings:SimulatorSettings",
    "topsongs_core.settings:S3Settings",
    "topsongs_core.settings:ContractSettings",
]
# Which settings classes each service built from this repository reads ("module:Class").
SERVICE_SETTINGS: dict[str, list[str]] = {
    "ingest": ["ingest.settings:IngestSettings"],
    "kafka-init": ["topsongs_core.settings:KafkaSettings"],
    "s3-init": ["topsongs_core.settings:S3Settings"],
    "catalog-upload": SIMULATOR,
    "backfill": SIMULATOR,
    "load": SIMULATOR,
    "backfill-restate": ["topsongs_charts.settings:ChartsSettings"],
    "streams": ["streams.settings:StreamsSettings"],
    "spark": [
        "spark.settings:LakeSettings",
        "topsongs_core.settings:KafkaSettings",
        "topsongs_core.settings:S3Settings",
    ],
    "dashboard-api": ["dashboard_api.settings:DashboardSettings"],
    "charts-migrate": ["topsongs_charts.settings:ChartsSettings"],
    "airflow-init": ["topsongs_charts.settings:ChartsSettings"],
    "airflow-api-server": ["topsongs_charts.settings:ChartsSettings"],
    "airflow-scheduler": ["topsongs_charts.settings:ChartsSettings"],
    "airflow-dag-processor": ["topsongs_charts.settings:ChartsSettings"],
    # profile cluster
    "cluster-kafka-certs": [],
    "cluster-kafka-init": ["topsongs_core.settings:KafkaSettings"],
    "cluster-s3-init": ["topsongs_core.settings:S3Settings"],
    "cluster-charts-migrate": ["topsongs_charts.settings:ChartsSettings"],
    "cluster-spark-master": [],
    "cluster-spark-worker-1": [],
    "cluster-spark-worker-2": [],
    "cluster-lake": [
        "spark.settings:LakeSettings",
        "topsongs_core.settings:KafkaSettings",
        "topsongs_core.settings:S3Settings",
    ],
    "cluster-ingest-1": ["ingest.settings:IngestSettings"],
    "cluster-ingest-2": ["ingest.settings:IngestSettings"],
    "cluster-dashboard-api-1": ["dashboard_api.settings:DashboardSettings"],
    "cluster-dashboard-api-2": ["dashboard_api.settings:DashboardSettings"],
    "cluster-streams-1": ["streams.settings:StreamsSettings"],
    "cluster-streams-2": ["streams.settings:StreamsSettings"],
    "cluster-airflow-init": ["topsongs_charts.settings:ChartsSettings"],
    "cluster-airflow-api-server": ["topsongs_charts.settings:ChartsSettings"],
    "cluster-airflow-scheduler": ["topsongs_charts.settings:ChartsSettings"],
    "cluster-airflow-dag-processor": ["topsongs_charts.settings:ChartsSettings"],
    "cluster-airflow-worker": ["topsongs_charts.settings:ChartsSettings"],
}
# Airflow's own configuration (AIRFLOW__SECTION__KEY) is not a pydantic-settings class, nor are Spark's
# launcher variables or the inputs of docker/kafka/cluster-certs.sh.
FOREIGN_PREFIXES = {
    "airflow-": ("AIRFLOW__", "AIRFLOW_ADMIN_PASSWORD"),
    "charts-migrate": ("AIRFLOW__",),
    "backfill-restate": ("AIRFLOW__",),
    "cluster-airflow-": ("AIRFLOW__",),
    "cluster-charts-migrate": ("AIRFLOW__",),
    "cluster-spark-": ("SPARK_",),
    "cluster-lake": ("SPARK_",),
    "cluster-kafka-certs": ("NODES",),
}

VAR_RE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


# ---------------------------------------------------------------------------------------- helpers


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return load_compose()["services"]


def is_one_shot(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "no")) == "no"


def environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    joined: list[str] = []
    buffer = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if buffer and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        joined.append(buffer + line)
        buffer = ""
    out = []
    for line in joined:
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def stages() -> dict[str, list[tuple[str, str]]]:
    """docker/Dockerfile's stages by name, each with its FROM and the instructions after it."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for keyword, args in instructions():
        if keyword == "FROM":
            words = args.split()
            current = found.setdefault(words[-1] if "AS" in [w.upper() for w in words] else words[0], [])
        if current is not None:
            current.append((keyword, args))
    return found


def target(service: dict[str, Any]) -> str | None:
    build = service.get("build")
    return build.get("target") if isinstance(build, dict) else None


def dockerignore_excludes(rel: str) -> bool:
    """Docker's .dockerignore semantics: the last pattern matching the path or a parent wins."""
    patterns = [
        p.strip()
        for p in (REPO / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.strip().startswith("#")
    ]
    parts = rel.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.strip("/")
        regex = "^" + re.escape(pat).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + "$"
        if any(re.match(regex, prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def settings_env_names(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads: prefix + field, nested classes too."""
    prefix = (cls.model_config.get("env_prefix") or "").upper()
    names: set[str] = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        names.add(alias.upper() if isinstance(alias, str) else f"{prefix}{name.upper()}")
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            names |= settings_env_names(nested)
    return names


def settings_class(ref: str) -> type[BaseSettings]:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def all_settings_classes() -> list[type[BaseSettings]]:
    """The BaseSettings classes of every workspace member's settings module (and devstack's)."""
    paths = [*REPO.glob("*/src/*/settings.py"), REPO / "devstack/src/topsongs_devstack/config.py"]
    found = []
    for path in sorted(paths):
        module = importlib.import_module(f"{path.parent.name}.{path.stem}")
        found += [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, BaseSettings)
            and obj is not BaseSettings
            and obj.__module__ == module.__name__
        ]
    return found


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


def with_defaults(value: Any) -> Any:
    """A compose value as an empty .env leaves it: every ${VAR:-default} replaced by its default."""
    return VAR_RE.sub(lambda m: m.group("arg") or "", value) if isinstance(value, str) else value


def required_variables() -> set[str]:
    """The variables compose.yaml has no default for (``${VAR:?message}``): the stack's secrets."""
    return {m.group("braced") for m in references() if m.group("op") == ":?"}


def references() -> list[re.Match[str]]:
    """${VAR...} and $VAR references in compose.yaml, skipping $$ escapes."""
    return [m for text in strings_of(load_compose()) for m in VAR_RE.finditer(text.replace("$$", "\0\0"))]


# ----------------------------------------------------------------------------- docker compose config


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


# ------------------------------------------------------------------------------- service structure


def test_every_service_has_an_image_or_a_build() -> None:
    for name, service in services().items():
        assert "image" in service or "build" in service, name


def test_long_running_services_have_healthchecks_and_one_shots_do_not_restart() -> None:
    for name, service in services().items():
        if is_one_shot(service):
            assert "healthcheck" not in service, f"{name}: a one-shot needs no healthcheck"
            continue
        assert service.get("restart") == "unless-stopped", name
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_depends_on_waits_for_health_or_completion() -> None:
    every = services()
    waited_for = set()
    for name, service in every.items():
        deps = service.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: use the long depends_on syntax with a condition"
        for dep, spec in deps.items():
            expected = "service_completed_successfully" if is_one_shot(every[dep]) else "service_healthy"
            assert spec.get("condition") == expected, f"{name} -> {dep}"
            waited_for.add(dep)
    # the demo's last steps: the live load and the backfill's restatement, which nothing follows
    one_shots = {n for n, s in every.items() if is_one_shot(s)} - {"load", "backfill-restate"}
    assert one_shots <= waited_for, f"one-shots nothing waits for: {one_shots - waited_for}"


def test_required_services_exist() -> None:
    names = set(services())
    assert {
        "kafka",
        "kafka-init",
        "postgres",
        "s3",
        "s3-init",
        "ingest",
        "streams",
        "spark",
        "dashboard-api",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
    } <= names


def test_kafka_init_creates_the_product_topics() -> None:
    """With the product's own code (ingest.kafka_setup, which devstack uses too), from KafkaSettings."""
    init = services()["kafka-init"]
    assert init["command"] == ["python", "-m", "ingest.kafka_setup"]
    env = environment(init)
    for name in ("KAFKA_PLAYS_TOPIC", "KAFKA_DEAD_LETTER_TOPIC", "KAFKA_LIVE_TOPIC"):
        assert name in env, name
    assert "KAFKA_PLAYS_PARTITIONS" in env


def test_volumes_are_named_and_declared() -> None:
    compose = load_compose()
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                continue  # bind mount, checked below
            assert source in declared, f"{name}: volume {source} is not declared"


# ------------------------------------------------------------------------------------ files exist


def test_referenced_dockerfiles_and_contexts_exist() -> None:
    for name, service in services().items():
        build = service.get("build")
        if build is None:
            continue
        context = REPO / (build if isinstance(build, str) else build.get("context", "."))
        assert context.resolve() == REPO, f"{name}: images build from the repository root"
        dockerfile = context / (
            build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        )
        assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"


def test_bind_mounted_files_exist() -> None:
    for name, service in services().items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: bind mount {source} is missing"
            assert not source.startswith("/"), f"{name}: absolute host path {source}"


def tracked(path: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--", path], cwd=REPO, capture_output=True, text=True)
    return [p for p in out.stdout.split("\0") if p]


def test_copied_files_exist_and_reach_the_build_context() -> None:
    """What the Dockerfile COPYs or bind-mounts from the context is in git and not .dockerignored."""
    sources = []
    for keyword, args in instructions():
        if keyword == "COPY" and "--from=" not in args:
            sources += [w for w in args.split() if not w.startswith("--")][:-1]
        if keyword == "RUN":
            sources += re.findall(r"--mount=type=bind,source=([^,\s]+)", args)
    assert len(sources) >= 10, sources
    for source in sources:
        if source == "ui/dist":  # the UI's build output (make setup-ui), not in git
            assert not dockerignore_excludes("ui/dist/index.html")
            continue
        assert (REPO / source).exists(), f"{source}: not in the repository"
        assert not dockerignore_excludes(source), f"{source} is .dockerignored"
        for file in tracked(source):
            assert not dockerignore_excludes(file), f"{file} is .dockerignored"


# ------------------------------------------------------------------------------------- Dockerfiles


def image_has_registry_host(ref: str) -> bool:
    first, sep, _ = ref.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def lock_of(image: str) -> str:
    """The hashed lock an image's venv syncs: Airflow has an environment and resolution of its own."""
    return "airflow/requirements.lock.txt" if image == "airflow" else f"docker/requirements/{image}.lock.txt"


@pytest.mark.parametrize("image", SERVICE_TARGETS)
def test_service_image_installs_from_its_hashed_export_as_non_root(image: str) -> None:
    """<image>-venv syncs its lock with hashes, then adds the members without dependencies; the
    runtime stage copies that venv and runs as the topsongs user."""
    every = stages()
    venv = " ".join(args for keyword, args in every[f"{image}-venv"] if keyword == "RUN")
    assert f"source={lock_of(image)},target=/tmp/lock.txt" in venv
    assert "uv pip sync --require-hashes --python /opt/venv/bin/python /tmp/lock.txt" in venv
    assert "uv pip install --no-deps" in venv
    assert "requirements.lock.txt" not in venv.replace(lock_of(image), "")
    runtime = every[image]
    assert runtime[0][1].split()[0] == "python", "service images run on the python stage"
    assert ("COPY", f"--from={image}-venv /opt/venv /opt/venv") in runtime
    users = [args for keyword, args in runtime if keyword == "USER"]
    assert users == ["topsongs"], users
    assert any(keyword in ("CMD", "ENTRYPOINT") for keyword, _ in runtime)


def test_every_image_builds_from_the_debian_base_only() -> None:
    """One external base (DEBIAN_IMAGE); every other FROM is a stage; every image runs non-root."""
    text = DOCKERFILE.read_text()
    assert "://" not in text, "docker/Dockerfile names an address"
    every = stages()
    for name, steps in every.items():
        base = steps[0][1].split()[0]
        assert base == "${DEBIAN_IMAGE}" if name == "debian" else base in every, f"{name}: FROM {base}"
    for image in (*SERVICE_TARGETS, *ENGINE_TARGETS):
        assert image in every, f"no target {image}"
        chain, users = image, []
        while chain != "debian":
            users = [args for keyword, args in every[chain] if keyword == "USER"] + users
            chain = every[chain][0][1].split()[0]
        assert users and users[-1] not in ("root", "0"), f"{image} runs as root"


def test_compose_images_name_no_registry_host() -> None:
    for name, service in services().items():
        if "image" in service:
            assert not image_has_registry_host(service["image"]), f"{name}: {service['image']}"


# ----------------------------------------------------------------------------- per-image exports


EXPORTS = REPO / "docker" / "requirements"
FULL_LOCK = REPO / "requirements.lock.txt"
AIRFLOW_LOCK = REPO / "airflow" / "requirements.lock.txt"


def locked(path: Path) -> dict[tuple[str, str], frozenset[str]]:
    """A hashed requirements file (uv export) as {(canonical name, version): hashes}.

    A name may appear once per version: a forked resolution pins one per Python-version marker."""
    found: dict[tuple[str, str], frozenset[str]] = {}
    key = ("", "")
    for line in path.read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line):
            key = (canonicalize_name(m.group(1)), m.group(2))
            assert key not in found, f"{path.name}: {key} twice"
            found[key] = frozenset()
        elif m := re.match(r"^\s+--hash=(\S+)", line):
            found[key] |= {m.group(1)}
    return found


def locked_names(path: Path) -> set[str]:
    return {name for name, _ in locked(path)}


def export_member(export: Path) -> str:
    """The workspace member an export holds (scripts/lock.sh heads it with its `uv export` line)."""
    m = re.match(r"^# topsongs/\S+: uv export --package (\S+) ", export.read_text())
    assert m, f"{export.name}: not written by scripts/lock.sh"
    return m.group(1)


def pyproject(folder: Path) -> dict[str, Any]:
    return tomllib.loads((folder / "pyproject.toml").read_text())


def workspace_members() -> dict[str, Path]:
    """Canonical project name -> folder of every workspace member (root pyproject.toml's list)."""
    members = pyproject(REPO)["tool"]["uv"]["workspace"]["members"]
    return {canonicalize_name(pyproject(REPO / m)["project"]["name"]): REPO / m for m in members}


def closure(member: str) -> tuple[set[str], set[str]]:
    """(workspace members, third-party distributions) that ``member`` needs on this platform.

    Workspace members' requirements come from their pyproject.toml, everyone else's from the
    Requires-Dist of the distribution installed in .venv, markers evaluated with the extras asked for.
    """
    workspace = workspace_members()
    members: set[str] = set()
    third_party: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(canonicalize_name(member), frozenset[str]())]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        if name in workspace:
            members.add(name)
            reqs = pyproject(workspace[name])["project"]["dependencies"]
        else:
            third_party.add(name)
            reqs = importlib.metadata.distribution(name).requires or []
        for text in reqs:
            req = Requirement(text)
            wanted = extras or {""}
            if req.marker and not any(req.marker.evaluate({"extra": extra}) for extra in wanted):
                continue
            todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return members, third_party


def exports() -> list[Path]:
    return sorted(EXPORTS.glob("*.lock.txt"))


def test_every_image_has_an_export_and_every_export_an_image() -> None:
    assert {e.name.removesuffix(".lock.txt") for e in exports()} == set(SERVICE_TARGETS) - {"airflow"}
    built = {target(s) for s in services().values() if target(s)}
    assert set(SERVICE_TARGETS) | {"kafka", "postgres", "s3"} <= built, built


@pytest.mark.parametrize("export", exports(), ids=lambda p: p.name)
def test_export_is_a_subset_of_the_full_lock(export: Path) -> None:
    """Same resolution: each package at the version and with the hashes of requirements.lock.txt."""
    full = locked(FULL_LOCK)
    mine = locked(export)
    assert mine, f"{export.name} lists no package"
    assert "://" not in export.read_text(), f"{export.name} names an address"
    for pin, hashes in mine.items():
        assert pin in full, f"{export.name}: {pin} is not in requirements.lock.txt"
        assert full[pin] == hashes, f"{export.name}: {pin}'s hashes differ from requirements.lock.txt"
        assert hashes, f"{export.name}: {pin} has no hash"


@pytest.mark.parametrize("export", exports(), ids=lambda p: p.name)
def test_export_covers_its_members_dependency_closure(export: Path) -> None:
    members, needed = closure(export_member(export))
    missing = needed - locked_names(export)
    assert not missing, f"{export.name} lacks {sorted(missing)}"
    # ... and the image installs exactly the packaged members that closure reaches.
    image = export.name.removesuffix(".lock.txt")
    venv = " ".join(args for keyword, args in stages()[f"{image}-venv"] if keyword == "RUN")
    loop = re.search(r"uv pip install --no-deps --python \S+ ((?:/src/\S+\s*)+)", venv)
    assert loop, f"{image}-venv installs no members"
    workspace = workspace_members()
    packaged = {
        workspace[m].name
        for m in members
        if pyproject(workspace[m]).get("tool", {}).get("uv", {}).get("package", True)
    }
    installed = {path.removeprefix("/src/") for path in loop.group(1).split()}
    assert installed == packaged, f"{image}: members {packaged} expected"


def test_ingest_export_holds_no_other_services_engines() -> None:
    ingest = locked_names(EXPORTS / "ingest.lock.txt")
    assert not ingest & {"apache-airflow", "pyspark", "faust-streaming"}, ingest
    # each heavy one is where it belongs (the check above is not vacuous)
    assert "faust-streaming" in locked_names(EXPORTS / "streams.lock.txt")
    assert "pyspark" in locked_names(EXPORTS / "spark.lock.txt")
    assert "apache-airflow" in locked_names(AIRFLOW_LOCK)
    for name in ("dashboard-api", "spark", "streams", "simulator"):
        assert "apache-airflow" not in locked_names(EXPORTS / f"{name}.lock.txt"), name
    assert "apache-airflow" not in locked_names(FULL_LOCK)


def test_airflow_has_its_own_resolution_at_the_newest_3_3() -> None:
    """Airflow's lock is its own (faust-streaming's croniter<6 held the shared one at 3.3.0)."""
    airflow = dict(locked(AIRFLOW_LOCK))
    versions = {name: version for name, version in airflow}
    assert versions["apache-airflow"] == "3.3.2", versions["apache-airflow"]
    assert int(versions["croniter"].split(".")[0]) >= 6
    assert "://" not in AIRFLOW_LOCK.read_text()
    assert all(airflow.values()), "every pin has hashes"
    venv = " ".join(args for keyword, args in stages()["airflow-venv"] if keyword == "RUN")
    assert "uv pip install --no-deps --python /opt/venv/bin/python /src/core /src/charts" in venv


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


def test_env_example_documents_only_used_variables() -> None:
    used = {m.group("braced") or m.group("bare") for m in references()}
    passed_through = {k for s in services().values() for k, v in environment(s).items() if v is None}
    unused = set(example_vars()) - used - passed_through
    assert not unused, f".env.example documents variables compose.yaml never uses: {unused}"


def test_services_set_only_variables_their_settings_read() -> None:
    every = services()
    ours = {
        n
        for n, s in every.items()
        if ("build" in s or str(s.get("image", "")).startswith("topsongs/"))
        and target(s) not in ENGINE_TARGETS
    }
    assert ours <= set(SERVICE_SETTINGS), (
        f"map these services to settings classes: {ours - set(SERVICE_SETTINGS)}"
    )
    for name in sorted(ours):
        known = set().union(*(settings_env_names(settings_class(ref)) for ref in SERVICE_SETTINGS[name]))
        foreign = next((p for key, p in FOREIGN_PREFIXES.items() if name.startswith(key)), ())
        for var in environment(every[name]):
            if foreign and var.startswith(foreign):
                continue
            assert var.upper() in known, f"{name} sets {var}, which none of {SERVICE_SETTINGS[name]} reads"


def test_compose_defaults_equal_the_settings_defaults() -> None:
    """`KEY: ${KEY:-default}` must not drift from what the field KEY names is when unset (its default,
    or what a validator derives from the other defaults)."""
    by_name = {}
    for cls in all_settings_classes():
        prefix = (cls.model_config.get("env_prefix") or "").upper()
        for field in cls.model_fields:
            by_name[f"{prefix}{field.upper()}"] = (cls, field)
    checked = 0
    for service in services().values():
        for key, value in environment(service).items():
            m = re.fullmatch(r"\$\{(\w+):-([^}]*)\}", str(value or ""))
            if not m or m.group(1) != key or key not in by_name:
                continue
            cls, field = by_name[key]
            parsed = getattr(cls.model_validate({field: m.group(2)}), field)
            default = getattr(cls.model_validate({}), field)
            assert parsed == default, f"{key}: compose default {m.group(2)!r} != settings default {default!r}"
            checked += 1
    assert checked >= 5


def test_dockerfile_env_uses_known_setting_names() -> None:
    known = set().union(*(settings_env_names(cls) for cls in all_settings_classes()))
    prefixes = tuple(
        {(c.model_config.get("env_prefix") or "").upper() for c in all_settings_classes()} - {""}
    )
    for keyword, args in instructions():
        if keyword != "ENV":
            continue
        for name in re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", args):
            if name.startswith(prefixes):
                assert name in known, f"ENV {name} is read by no settings class"


# --------------------------------------------------------------------------------- entry points


def module_of(command: list[str]) -> tuple[str, str | None]:
    """(module, attribute) a service command runs: `python -m M` or `uvicorn M:attr`."""
    if command[0] == "python" and command[1] == "-m":
        return command[2], None
    if command[0] == "uvicorn":
        module, _, attr = command[1].partition(":")
        return module, attr
    raise ValueError(command)


def test_python_entry_points_exist() -> None:
    checked = 0
    for name, service in services().items():
        command = service.get("command")
        if not isinstance(command, list):
            continue
        if command[:2] != ["python", "-m"] and command[0] != "uvicorn":
            continue
        module, attr = module_of(command)
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            spec = importlib.util.find_spec(f"{module}.__main__")
        assert spec is not None and spec.origin, f"{name}: module {module} not found"
        if attr:
            tree = ast.parse(Path(spec.origin).read_text())
            defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
            assert attr in defined, f"{name}: {module} defines no {attr}"
        checked += 1
    assert checked >= 5


def test_settings_modules_import() -> None:
    """The derivation above saw every member's settings (guards against an empty known set)."""
    names = {cls.__name__ for cls in all_settings_classes()}
    assert {"KafkaSettings", "PostgresSettings", "S3Settings", "IngestSettings", "DashboardSettings"} <= names


# ---------------------------------------------------------------------------------- profile cluster

KAFKA_NODE_SCRIPT = REPO / "docker" / "kafka" / "cluster-node.sh"
HAPROXY_CFG = REPO / "docker" / "haproxy" / "cluster.cfg"


def cluster_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services().items() if "cluster" in (s.get("profiles") or [])}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source (volume name or ./path) of a service's short-syntax volumes."""
    return {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes") or []}


def kafka_nodes() -> dict[str, dict[str, Any]]:
    return {
        n: s
        for n, s in cluster_services().items()
        if (s.get("entrypoint") or [])[-1:] == ["/opt/kafka/cluster-node.sh"]
    }


def node_properties() -> dict[str, str]:
    """The server.properties cluster-node.sh writes (its first here-document), unexpanded."""
    text = KAFKA_NODE_SCRIPT.read_text()
    body = text.split('cat >"$props" <<PROPS\n', 1)[1].split("\nPROPS\n", 1)[0]
    return dict(line.split("=", 1) for line in body.splitlines())


def acl_users() -> set[str]:
    """The users the product's ACL table (ingest.kafka_setup, cluster-kafka-init) gives rules to."""
    return {acl.user for acl in service_acls(KafkaSettings(), "topsongs-live")}


def test_compose_config_accepts_the_cluster_profile(compose_cli: list[str]) -> None:
    assert cluster_services(), "compose.yaml has no service in profile cluster"
    result = run_check(compose_cli, COMPOSE, "cluster")
    assert result.returncode == 0, result.stderr


def test_cluster_profile_is_apart_from_the_default_stack() -> None:
    """`docker compose up` is unchanged: the cluster's services, volumes and waits are its own."""
    every = services()
    cluster = cluster_services()
    default_volumes = set()
    for name, service in every.items():
        assert service.get("profiles") in (None, ["cluster"], ["demo"]), name
        assert (name in cluster) == name.startswith("cluster-"), name
        deps = set(service.get("depends_on") or {})
        if name in cluster:
            assert deps <= set(cluster), f"{name} waits for {deps - set(cluster)}"
        else:
            assert not deps & set(cluster), name
            default_volumes |= {s for s in mounts(service).values() if not s.startswith(".")}
    cluster_volumes = {s for n in cluster for s in mounts(cluster[n]).values() if not s.startswith(".")}
    assert not cluster_volumes & default_volumes, cluster_volumes & default_volumes


def test_cluster_kafka_is_three_sasl_ssl_nodes_without_plaintext() -> None:
    nodes = kafka_nodes()
    assert len(nodes) == 3, sorted(nodes)
    for name, node in nodes.items():
        env = environment(node)
        assert env["NODES"].split() == sorted(nodes), name
        assert env["NODES"].split()[int(env["NODE_ID"]) - 1] == name, "NODE_ID names another node"
        assert node["image"].startswith("topsongs/kafka:") and target(node) == "kafka", name
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
    for key in ("default.replication.factor", "offsets.topic.replication.factor"):
        assert props[key] == "$count", key  # the number of NODES, 3
    # the init one-shot adds every product topic (replication 3) and the ACLs as admin, after all three
    init = cluster_services()["cluster-kafka-init"]
    assert set(init["depends_on"]) == set(nodes)
    assert init["command"][:4] == ["python", "-m", "ingest.kafka_setup", "--acls"]
    env = environment(init)
    assert env["KAFKA_SASL_USERNAME"] == "admin"
    assert env["KAFKA_SASL_PASSWORD"] == "${CLUSTER_KAFKA_ADMIN_PASSWORD:-}"
    kafka = KafkaSettings.model_validate(
        {
            k.removeprefix("KAFKA_").lower(): with_defaults(v)
            for k, v in env.items()
            if k.startswith("KAFKA_") and k != "KAFKA_SASL_PASSWORD"
        }
        | {"sasl_password": "from-dot-env"}
    )
    assert kafka.replication_factor == 3
    assert acl_users() == {"ingest", "streams", "dashboard", "lake"}


def test_cluster_services_reach_kafka_over_sasl_ssl_as_their_own_user() -> None:
    nodes = kafka_nodes()
    node_env = environment(next(iter(nodes.values())))
    clients = {n: s for n, s in cluster_services().items() if "KAFKA_BOOTSTRAP_SERVERS" in environment(s)}
    assert len(clients) >= 12, sorted(clients)
    for name, service in clients.items():
        env = environment(service)
        assert sorted(env["KAFKA_BOOTSTRAP_SERVERS"].split(",")) == [f"{n}:9094" for n in sorted(nodes)]
        user = env["KAFKA_SASL_USERNAME"]
        if user == "admin":  # the super user that adds the topics and ACLs, nobody else
            assert name == "cluster-kafka-init", name
            continue
        assert user in acl_users(), f"{name}: user {user} has no ACLs"
        secret = f"CLUSTER_KAFKA_{user.upper()}_PASSWORD"
        assert env["KAFKA_SASL_PASSWORD"] == f"${{{secret}:-}}", f"{name}: the password is not {secret}"
        assert node_env[f"{user.upper()}_PASSWORD"] == f"${{{secret}:-}}", f"the nodes do not add {user}"
        assert mounts(service)[str(Path(env["KAFKA_SSL_CAFILE"]).parent)] == "kafka-cluster-ca", name
        if not service["image"].startswith("topsongs/airflow:"):  # Airflow's tasks run on its worker
            assert "cluster-kafka-init" in service["depends_on"], name
        # what KafkaSettings makes of it (the password filled in as .env would)
        fields = {
            k.removeprefix("KAFKA_").lower(): with_defaults(v)
            for k, v in env.items()
            if k.startswith("KAFKA_")
        }
        kafka = KafkaSettings.model_validate({**fields, "sasl_password": "from-dot-env"})
        assert (kafka.security_protocol, kafka.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512"), name
        assert kafka.replication_factor == 3


def test_cluster_secrets_come_from_dot_env_only() -> None:
    """Every CLUSTER_*_PASSWORD is documented empty and referenced with an empty default.

    PostgreSQL's passwords are PG_PASSWORD / PG_READER_PASSWORD, as in the default stack."""
    documented = example_vars()
    secrets = {m.group("braced") for m in references() if (m.group("braced") or "").endswith("_PASSWORD")}
    cluster_secrets = {s for s in secrets if s.startswith("CLUSTER_")}
    assert len(cluster_secrets) == 6, cluster_secrets
    for match in references():
        if match.group("braced") in cluster_secrets:
            assert match.group("op") == ":-" and match.group("arg") == "", match.group(0)
    assert all(documented[s] == "" for s in cluster_secrets)
    for name, service in cluster_services().items():
        for key, value in environment(service).items():
            if key.endswith("PASSWORD") and not key.startswith(("PG_", "POSTGRES_")):
                assert re.fullmatch(r"\$\{CLUSTER_\w+_PASSWORD:-\}", str(value)), f"{name}: {key}={value}"


def test_cluster_spark_is_a_master_two_workers_and_the_lake_driver() -> None:
    cluster = cluster_services()
    url = "spark://cluster-spark-master:7077"
    masters = [
        n for n, s in cluster.items() if "org.apache.spark.deploy.master.Master" in s.get("command", [])
    ]
    workers = {
        n: s for n, s in cluster.items() if "org.apache.spark.deploy.worker.Worker" in s.get("command", [])
    }
    assert masters == ["cluster-spark-master"]
    assert len(workers) == 2
    for name, worker in workers.items():
        command = worker["command"]
        assert command[0] == "spark-class" and url in command, name
        assert command[command.index("--host") + 1] == name
    lake = environment(cluster["cluster-lake"])
    assert lake["LAKE_SPARK_MASTER_URL"] == url
    assert lake["LAKE_CORES_MAX"] and lake["LAKE_EXECUTOR_MEMORY"]
    assert set(workers) <= set(cluster["cluster-lake"]["depends_on"])


def test_cluster_airflow_runs_celery_with_a_password_protected_broker() -> None:
    cluster = cluster_services()
    airflow = {n: s for n, s in cluster.items() if s.get("image", "").startswith("topsongs/airflow:")}
    workers = [n for n, s in airflow.items() if s["command"][:3] == ["airflow", "celery", "worker"]]
    assert len(workers) == 1, workers
    assert {"cluster-airflow-scheduler", "cluster-airflow-api-server"} <= set(airflow)
    broker_urls = set()
    for name, service in airflow.items():
        env = environment(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert "@cluster-postgres:5432/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        broker_urls.add(env["AIRFLOW__CELERY__BROKER_URL"])
    assert broker_urls == {"redis://:${CLUSTER_REDIS_PASSWORD:-}@cluster-redis:6379/0"}
    redis = cluster["cluster-redis"]
    # BSD-licensed: Debian's redis-server 7.0 (docs/dependencies.md)
    assert redis["image"].startswith("topsongs/redis:") and target(redis) == "redis", redis["image"]
    assert environment(redis)["REDIS_PASSWORD"] == "${CLUSTER_REDIS_PASSWORD:-}"
    assert "requirepass" in " ".join(redis["command"])
    assert {"cluster-redis", "cluster-kafka-init"} <= set(cluster[workers[0]]["depends_on"])


def test_cluster_balancer_fronts_two_ingest_and_two_dashboard_api() -> None:
    cluster = cluster_services()
    balancer = cluster["cluster-balancer"]
    assert balancer["image"].startswith("topsongs/haproxy:") and target(balancer) == "haproxy"
    assert mounts(balancer)["/usr/local/etc/haproxy/haproxy.cfg"] == "./docker/haproxy/cluster.cfg"
    backends: dict[str, list[tuple[str, str]]] = {}
    for line in HAPROXY_CFG.read_text().splitlines():
        if m := re.match(r"^backend (\S+)", line):
            backends[m.group(1)] = []
        elif m := re.match(r"^\s+server \S+ ([\w.-]+):(\d+) check", line):
            backends[list(backends)[-1]].append((m.group(1), m.group(2)))
    for pool, image in (("ingest", "topsongs/ingest:"), ("dashboard-api", "topsongs/dashboard-api:")):
        expected = {n for n, s in cluster.items() if s.get("image", "").startswith(image) and "command" in s}
        expected = {n for n in expected if cluster[n]["command"][0] == "uvicorn"}
        assert len(expected) == 2, expected
        assert {host for host, _ in backends[pool]} == expected, pool
        for host, port in backends[pool]:
            command = cluster[host]["command"]
            assert command[command.index("--port") + 1] == port, host
        assert expected <= set(balancer["depends_on"])


def test_cluster_haproxy_config_is_valid() -> None:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.fail("haproxy is needed to check docker/haproxy/cluster.cfg (make setup-system)")
    result = subprocess.run(
        [haproxy, "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cluster_streams_is_two_workers_in_one_group() -> None:
    cluster = cluster_services()
    workers = {n: s for n, s in cluster.items() if s.get("image", "").startswith("topsongs/streams:")}
    assert len(workers) == 2
    assert len({environment(s)["STREAMS_APP_ID"] for s in workers.values()}) == 1
    data = [mounts(s)["/var/lib/topsongs/streams"] for s in workers.values()]
    assert len(set(data)) == 2, "each worker needs its own data dir"
