"""A throw-away certificate authority with a broker and a client certificate, made with openssl."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


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


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def _signed(folder: Path, name: str, ca: Path, ca_key: Path, san: str | None) -> tuple[Path, Path]:
    key, csr, cert = folder / f"{name}.key", folder / f"{name}.csr", folder / f"{name}.pem"
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}"
    )
    ext = folder / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(ext),
    )  # fmt: skip
    return cert, key


def make_tls_files(folder: Path) -> TlsFiles:
    """Create the CA and both certificates in ``folder`` (keys are PKCS#8, as Kafka's PEM stores need)."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test CA: apt-get install openssl")
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
        "-days", "2", "-subj", "/CN=topsongs-test-ca",
    )  # fmt: skip
    broker_cert, broker_key = _signed(folder, "broker", ca, ca_key, "IP:127.0.0.1,DNS:localhost")
    client_cert, client_key = _signed(folder, "client", ca, ca_key, None)
    encrypted = folder / "client-encrypted.key"
    _openssl(
        "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", str(client_key), "-out", str(encrypted),
        "-passout", f"pass:{ENCRYPTED_KEY_PASSWORD}",
    )  # fmt: skip
    return TlsFiles(ca, broker_cert, broker_key, client_cert, client_key, encrypted)
