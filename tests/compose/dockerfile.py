"""What tests/compose reads from docker/Dockerfile, .dockerignore and the settings classes."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from pydantic_settings import BaseSettings
from topsongs_core.secret_settings import FILE_SUFFIX, secret_variables

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"


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
    """Every environment variable a settings class reads: prefix + field, a secret's ``_FILE`` form,
    nested classes too."""
    prefix = (cls.model_config.get("env_prefix") or "").upper()
    names: set[str] = {f"{variable}{FILE_SUFFIX}" for variable in secret_variables(cls)}
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        names.add(alias.upper() if isinstance(alias, str) else f"{prefix}{name.upper()}")
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            names |= settings_env_names(nested)
    return names


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
