"""A throw-away certificate authority with a broker and a client certificate (devstack's openssl CA)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from topsongs_devstack.certificates import encrypt_key, make_ca, sign


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA, a broker certificate for 127.0.0.1/localhost, a client certificate."""

    ca: Path
    broker_cert: Path
    broker_key: Path
    client_cert: Path
    client_key: Path
    # The client key again, encrypted (PKCS#8) with ``ENCRYPTED_KEY_PASSWORD``.
    client_key_encrypted: Path


ENCRYPTED_KEY_PASSWORD = "key-pass-Zq81"


def make_tls_files(folder: Path) -> TlsFiles:
    """Create the CA and both certificates in ``folder`` (keys are PKCS#8, as Kafka's PEM stores need)."""
    ca = make_ca(folder, "topsongs-test-ca", days=2)
    broker_cert, broker_key = sign(folder, "broker", ca, "IP:127.0.0.1,DNS:localhost", days=2)
    client_cert, client_key = sign(folder, "client", ca, None, days=2)
    encrypted = encrypt_key(client_key, folder / "client-encrypted.key", ENCRYPTED_KEY_PASSWORD)
    return TlsFiles(ca[0], broker_cert, broker_key, client_cert, client_key, encrypted)
