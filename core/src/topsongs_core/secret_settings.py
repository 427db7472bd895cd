"""Secrets in settings: read from files as well as variables, and no built-in password outside a laptop.

Every ``SecretStr`` field of a :class:`SecretSettings` class also reads ``<VARIABLE>_FILE``: the path
of a file holding the value (the Docker and Kubernetes secrets convention), so that a secret never has
to sit in a process's environment, where ``/proc/<pid>/environ``, ``ps e`` and crash reports show it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

FILE_SUFFIX = "_FILE"


class DeploymentSettings(BaseSettings):
    """How this process is deployed: ``laptop`` allows the built-in passwords, anything else refuses
    them. devstack (`make up`, `make demo`, the cluster profile) sets ``TOPSONGS_MODE=laptop`` for the
    processes it starts unless it is set already; compose and Helm leave it unset."""

    model_config = SettingsConfigDict(env_prefix="TOPSONGS_", extra="ignore")

    mode: Literal["laptop", "deployed"] = "deployed"


def _is_secret(field: FieldInfo) -> bool:
    annotation = field.annotation
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


def _variables(cls: type[BaseSettings], name: str, field: FieldInfo) -> list[str]:
    """The variables a field reads, upper case: its aliases, else the prefix and its name."""
    alias = field.validation_alias
    if isinstance(alias, str):
        return [alias.upper()]
    if isinstance(alias, AliasChoices):
        return [choice.upper() for choice in alias.choices if isinstance(choice, str)]
    return [f"{cls.model_config.get('env_prefix', '')}{name}".upper()]


def secret_variables(cls: type[BaseSettings]) -> list[str]:
    """Every variable of a secret field of ``cls`` that also has a ``_FILE`` form (its own nested
    settings classes not included: they are classes of their own)."""
    return [
        variable
        for name, field in cls.model_fields.items()
        if _is_secret(field) and f"{name}_file" not in cls.model_fields
        for variable in _variables(cls, name, field)
    ]


class SecretFileSource(PydanticBaseSettingsSource):
    """``<VARIABLE>_FILE`` for every secret field: the file's text, without its final line break.

    A class's own ``<field>_file`` setting (the simulator's key file) keeps its meaning instead.
    Both the variable and its file set, or a file that cannot be read, is an error naming them.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        # The environment as pydantic-settings reads it (case-insensitive unless the class says so).
        self.environ = {k.upper(): v for k, v in EnvSettingsSource(settings_cls).env_vars.items() if v}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: ``__call__`` reads every field at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        cls = self.settings_cls
        by_name = bool(cls.model_config.get("populate_by_name"))
        for name, field in cls.model_fields.items():
            if not _is_secret(field) or f"{name}_file" in cls.model_fields:
                continue
            for variable in _variables(cls, name, field):
                path = self.environ.get(variable + FILE_SUFFIX)
                if path is None:
                    continue
                if variable in self.environ:
                    raise ValueError(f"both {variable} and {variable}{FILE_SUFFIX} are set: keep one")
                try:
                    text = Path(path).read_text()
                except OSError as exc:
                    raise ValueError(
                        f"{variable}{FILE_SUFFIX}={path} cannot be read: {exc.strerror or exc}"
                    ) from exc
                key = name if by_name or field.validation_alias is None else variable
                values[key] = text.removesuffix("\n").removesuffix("\r")
                break
        return values


class SecretSettings(BaseSettings):
    """A settings class whose secret fields may come from ``<VARIABLE>_FILE`` too."""

    # A validation error would otherwise print the input, secrets and all, into a service's log.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Given values first, then files named by ``*_FILE``, then the usual sources."""
        return (
            init_settings,
            SecretFileSource(settings_cls),
            env_settings,
            dotenv_settings,
            file_secret_settings,
        )


def refuse_builtin(settings: BaseSettings, *fields: str) -> None:
    """Raise naming the variable when a secret field still holds its built-in (laptop) value and this
    process is not in laptop mode (``TOPSONGS_MODE``)."""
    cls = type(settings)
    builtin = [
        _variables(cls, name, cls.model_fields[name])[0]
        for name in fields
        if isinstance(default := cls.model_fields[name].default, SecretStr)
        and getattr(settings, name) == default
    ]
    if builtin and DeploymentSettings().mode != "laptop":
        one = len(builtin) == 1
        raise ValueError(
            f"{' and '.join(builtin)} {'is' if one else 'are'} the built-in laptop "
            f"{'default' if one else 'defaults'}: set {'it' if one else 'each'} (or "
            f"{'<VARIABLE>' if not one else builtin[0]}{FILE_SUFFIX}, a file holding it), or "
            "TOPSONGS_MODE=laptop for a stack on this machine only"
        )


def assume_laptop() -> None:
    """Laptop mode for this process and the processes it starts, unless ``TOPSONGS_MODE`` says
    otherwise: what devstack's, the demo's and the benchmarks' entry points (and the tests) run in."""
    os.environ.setdefault("TOPSONGS_MODE", "laptop")
