"""Dex, an OpenID Connect provider, for dashboard sign-in on the single node (DEVSTACK_OIDC=1).

Built from the Go module proxy into the cache like statsd_exporter; memory storage (users and
clients come from its config file, written at each start); listens on 127.0.0.1 only. Two users,
each with a password generated on first use into ``<state>/secrets/dex/``: ``operator`` (in the
operators group, which dashboard-api's operator role names) and ``viewer`` (no group).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml
from pydantic import SecretStr

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.gobuild import go_binary_of_package
from topsongs_devstack.secret_files import write_secret

MODULE = "github.com/dexidp/dex"
PACKAGE = "github.com/dexidp/dex/cmd/dex"
CLIENT_ID = "topsongs-dashboard"
OPERATOR_ROLE = "operators"
EMAIL_DOMAIN = "topsongs.test"
USERS: Mapping[str, tuple[str, ...]] = {"operator": (OPERATOR_ROLE,), "viewer": ()}


@dataclass(frozen=True)
class Client:
    """A public client of the provider (PKCE, no secret): its id and where it may send users back."""

    id: str
    redirect_uris: tuple[str, ...]


class Dex(AppService):
    """The provider: config from the settings and the generated passwords, healthy when its discovery
    document answers."""

    def __init__(
        self,
        settings: DevstackSettings,
        *,
        name: str = "dex",
        port: int | None = None,
        clients: Sequence[Client] = (),
        allowed_origins: Sequence[str] = (),
        token_lifetime: str = "1h",
    ) -> None:
        self.dex_port = settings.dex_port if port is None else port
        self.issuer = f"http://127.0.0.1:{self.dex_port}/dex"
        self.dir = settings.state_dir / name
        self.secrets_dir = settings.state_dir / "secrets" / name
        self.clients = tuple(clients)
        self.allowed_origins = tuple(allowed_origins)
        self.token_lifetime = token_lifetime
        super().__init__(
            name,
            [str(self.binary(settings)), "serve", str(self.dir / "config.yaml")],
            f"{self.issuer}/.well-known/openid-configuration",
            self.dex_port,
            settings,
            endpoint=self.issuer,
            prepare=self.write_config,
            detail=f"dashboard sign-in: {', '.join(self.emails())}, passwords in {self.secrets_dir}",
        )

    @staticmethod
    def binary(settings: DevstackSettings) -> Path:
        """Where the build is cached."""
        return settings.cache_dir / "bin" / f"dex-{settings.dex_version}"

    def install(self) -> None:
        """Build the binary (first run only)."""
        go_binary_of_package(MODULE, self.settings.dex_version, PACKAGE, self.binary(self.settings), "5")

    def up(self) -> None:
        """Build if needed, then start."""
        self.install()
        super().up()

    def emails(self) -> list[str]:
        """The users' login names."""
        return [f"{user}@{EMAIL_DOMAIN}" for user in USERS]

    def password(self, user: str) -> SecretStr:
        """A user's password, generated on first use (0600 file)."""
        path = self.secrets_dir / f"{user}.password"
        if not path.exists():
            write_secret(path, secrets.token_urlsafe(18))
        return SecretStr(path.read_text())

    def write_config(self) -> None:
        """Dex's config file (0600: it holds the password hashes), written before each start."""
        passwords = [
            {
                "email": f"{user}@{EMAIL_DOMAIN}",
                "username": user,
                "userID": f"topsongs-{user}",
                "groups": list(groups),
                # Cost 10, Dex's minimum: Dex refuses a cheaper hash, a dearer one slows each login.
                "hash": bcrypt.hashpw(
                    self.password(user).get_secret_value().encode(), bcrypt.gensalt(10)
                ).decode(),
            }
            for user, groups in USERS.items()
        ]
        config = {
            "issuer": self.issuer,
            "storage": {"type": "memory"},
            "web": {"http": f"127.0.0.1:{self.dex_port}", "allowedOrigins": list(self.allowed_origins)},
            "logger": {"level": "info", "format": "text"},
            "expiry": {"idTokens": self.token_lifetime},
            # The password grant lets scripts and tests sign in without a browser; the UI uses the
            # authorization code with PKCE.
            "oauth2": {
                "skipApprovalScreen": True,
                "passwordConnector": "local",
                "responseTypes": ["code"],
            },
            "enablePasswordDB": True,
            "staticPasswords": passwords,
            "staticClients": [
                {"id": c.id, "name": c.id, "public": True, "redirectURIs": list(c.redirect_uris)}
                for c in self.clients
            ],
        }
        self.dir.mkdir(parents=True, exist_ok=True)
        write_secret(self.dir / "config.yaml", yaml.safe_dump(config, sort_keys=False))


def dashboard_client(origins: Sequence[str]) -> Client:
    """dashboard-api's UI as a client: it comes back to its own root page after sign-in."""
    return Client(CLIENT_ID, tuple(f"{origin}/" for origin in origins))


def service(settings: DevstackSettings, dashboard_origins: Sequence[str]) -> Dex:
    """Dex on 127.0.0.1:DEVSTACK_DEX_PORT with the dashboard's client."""
    return Dex(settings, clients=[dashboard_client(dashboard_origins)], allowed_origins=dashboard_origins)


def dashboard_env(dex: Dex) -> dict[str, str]:
    """What turns sign-in on in dashboard-api, with Dex as the provider."""
    return {
        "DASHBOARD_OIDC_ISSUER": dex.issuer,
        "DASHBOARD_OIDC_CLIENT_ID": CLIENT_ID,
        "DASHBOARD_OIDC_OPERATOR_ROLE": OPERATOR_ROLE,
        "DASHBOARD_OIDC_ROLES_CLAIM": "groups",
    }
