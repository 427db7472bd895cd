"""Named API keys kept as SHA-256 digests in a file that is read again whenever it changes.

A line is ``name:sha256:<64 hex digits>``; ``#`` starts a comment. Keys are 256-bit random tokens
made by ``python -m ingest.api_keys add NAME``, so a fast digest is enough: nobody can guess a
token from it, and a slow password hash (argon2, bcrypt) would only spend tens of milliseconds of
CPU on every request for no gain.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import os
import re
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("ingest")

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")


class KeysFileError(ValueError):
    """The keys file cannot be read or holds a malformed line (named with its number)."""


def digest(key: str) -> str:
    """How a key is stored: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def parse(text: str, source: str) -> dict[str, bytes]:
    """Name → raw SHA-256 digest of every line of a keys file."""
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, stored = line.partition(":")
        match = _DIGEST.match(stored.strip())
        if not _NAME.match(name.strip()) or match is None:
            raise KeysFileError(f"{source}:{number}: expected name:sha256:<64 hex digits>")
        if name.strip() in keys:
            raise KeysFileError(f"{source}:{number}: the name {name.strip()!r} is there twice")
        keys[name.strip()] = bytes.fromhex(match[1])
    return keys


@dataclass(frozen=True)
class _Seen:
    inode: int
    size: int
    mtime_ns: int


class KeyRing:
    """The keys a request may carry; the file is read again when its inode, size or mtime changes."""

    def __init__(self, path: Path | None, fixed: dict[str, str] | None = None) -> None:
        self.path = path
        # Keys given as values (INGEST_API_KEY), by name; never in a file, never rotated.
        self._fixed = {name: hashlib.sha256(key.encode()).digest() for name, key in (fixed or {}).items()}
        self._keys: dict[str, bytes] = {}
        self._seen: _Seen | None = None
        self._broken: str | None = None  # the last reload error logged
        if path is not None:
            self._reload(strict=True)

    def _stat(self) -> _Seen:
        assert self.path is not None
        st = self.path.stat()
        return _Seen(st.st_ino, st.st_size, st.st_mtime_ns)

    def _reload(self, strict: bool) -> None:
        assert self.path is not None
        try:
            seen = self._stat()
            if seen == self._seen:
                return
            keys = parse(self.path.read_text(), str(self.path))
        except (OSError, KeysFileError) as exc:
            if strict:
                raise KeysFileError(f"API keys file: {exc}") from exc
            # Keep the last good keys: a half-written file must not lock every client out.
            # Rotations replace the file in one rename (`python -m ingest.api_keys`).
            if str(exc) != self._broken:  # once per fault, not once per request
                self._broken = str(exc)
                kept = len(self._keys)
                log.error("API keys file not reloaded, keeping the %d keys read before: %s", kept, exc)
            return
        self._broken = None
        if not keys:
            log.warning("API keys file %s holds no key: every request is refused", self.path)
        self._keys, self._seen = keys, seen
        if not strict:
            log.info("API keys file %s reloaded: %s", self.path, ", ".join(sorted(keys)) or "no keys")

    def name_of(self, key: str | None) -> str | None:
        """The name of ``key``, or None when it is no valid key (every digest compared, in constant time)."""
        if self.path is not None:
            self._reload(strict=False)
        presented = hashlib.sha256((key or "").encode()).digest()
        found = None
        for name, stored in (*self._keys.items(), *self._fixed.items()):
            if hmac.compare_digest(presented, stored) and key:
                found = name
        return found


def new_key() -> str:
    """A fresh 256-bit key."""
    return "tsk_" + secrets.token_urlsafe(32)


def write_keys(path: Path, entries: dict[str, str]) -> None:
    """Replace the keys file (name → ``sha256:<hex>``) in one rename, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{name}:{stored}\n" for name, stored in entries.items())
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        tmp.write(text)
    os.chmod(tmp.name, 0o600)
    os.replace(tmp.name, path)


def read_entries(path: Path) -> dict[str, str]:
    """Name → stored digest of a keys file (empty when it does not exist yet)."""
    if not path.exists():
        return {}
    return {name: "sha256:" + raw.hex() for name, raw in parse(path.read_text(), str(path)).items()}


def main(argv: list[str] | None = None) -> int:
    """`python -m ingest.api_keys add|remove NAME --file F`: `add` prints the new key once."""
    cli = argparse.ArgumentParser(prog="python -m ingest.api_keys", description=main.__doc__)
    cli.add_argument("action", choices=["add", "remove"])
    cli.add_argument("name", help="who the key is for, e.g. simulator or mobile-2026-12")
    cli.add_argument("--file", type=Path, required=True, help="the keys file (INGEST_API_KEYS_FILE)")
    args = cli.parse_args(argv)
    if not _NAME.match(args.name):
        cli.error("a name is 1 to 64 of A-Z a-z 0-9 . _ -")
    entries = read_entries(args.file)
    if args.action == "remove":
        if entries.pop(args.name, None) is None:
            cli.error(f"no key named {args.name!r} in {args.file}")
        write_keys(args.file, entries)
        return 0
    key = new_key()
    entries[args.name] = digest(key)  # `add` on an existing name rotates that key
    write_keys(args.file, entries)
    print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
