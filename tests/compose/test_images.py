"""docker/Dockerfile and the per-image locks: every image builds from the Debian base only, installs
its hashed export as non-root, and the exports are the shared resolution cut per service."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from topsongs_devstack.deployment.stack import services

from tests.compose.dockerfile import (
    DOCKERFILE,
    REPO,
    all_settings_classes,
    dockerignore_excludes,
    instructions,
    settings_env_names,
    stages,
)

# docker/Dockerfile's targets: the services' images (each from docker/requirements/<target>.lock.txt)
# and the engines' (no Python of ours, no settings class).
SERVICE_TARGETS = ("ingest", "streams", "spark", "dashboard-api", "airflow", "simulator")
ENGINE_TARGETS = ("kafka", "postgres", "s3", "haproxy", "redis", "prometheus")


def test_bind_mounted_files_exist() -> None:
    for service in services():
        for volume in service.volumes:
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{service.name}: bind mount {source} is missing"
            assert not source.startswith("/"), f"{service.name}: absolute host path {source}"


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
    built = {service.image for service in services() if not service.pulled}
    assert set(SERVICE_TARGETS) | set(ENGINE_TARGETS) == built, built
    # An image the user pulls (Grafana: AGPL) is never part of the default stack.
    assert all(service.profiles for service in services() if service.pulled)


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
