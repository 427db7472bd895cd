"""A local certificate authority and the certificates it signs, made with openssl (PEM, keys PKCS#8)."""

from __future__ import annotations

import shutil
from pathlib import Path

from topsongs_devstack.process import PlatformError, run


def _openssl(*args: str) -> None:
    if shutil.which("openssl") is None:
        raise PlatformError("openssl is needed to make the local CA: apt-get install openssl")
    run(["openssl", *args], f"openssl {args[0]}", timeout=60)


def _private(*paths: Path) -> None:
    for path in paths:
        path.chmod(0o600)


def make_ca(folder: Path, name: str, days: int) -> tuple[Path, Path]:
    """A self-signed CA in ``folder`` (``ca.pem``, ``ca.key``), kept when already there."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    if not (ca.exists() and ca_key.exists()):
        _openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
            "-days", str(days), "-subj", f"/CN={name}",
        )  # fmt: skip
        _private(ca_key)
    return ca, ca_key


def sign(folder: Path, name: str, ca: tuple[Path, Path], san: str | None, days: int) -> tuple[Path, Path]:
    """``<name>.pem`` and ``<name>.key`` (CN=name, subjectAltName ``san``) signed by ``ca``."""
    key, csr, cert = folder / f"{name}.key", folder / f"{name}.csr", folder / f"{name}.pem"
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}"
    )
    _private(key)
    ext = folder / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
        "-out", str(cert), "-days", str(days), "-extfile", str(ext),
    )  # fmt: skip
    csr.unlink()
    ext.unlink()
    return cert, key


def encrypt_key(key: Path, out: Path, password: str) -> Path:
    """``key`` again as encrypted PKCS#8 (AES-256) under ``password``."""
    _openssl(
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        str(key),
        "-out",
        str(out),
        "-passout",
        f"pass:{password}",
    )
    _private(out)
    return out


def pem_keystore(cert: Path, key: Path, out: Path) -> Path:
    """Kafka's PEM key store: the key, then its certificate, in one file only its owner reads."""
    out.write_text(key.read_text() + cert.read_text())
    _private(out)
    return out
