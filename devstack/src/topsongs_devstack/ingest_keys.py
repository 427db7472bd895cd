"""Ingest's API keys under devstack: a keys file and the simulator's key, made once in the state folder."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from ingest.api_keys import digest, new_key, read_entries, write_keys

from topsongs_devstack.config import DevstackSettings

CLIENT = "simulator"


@dataclass(frozen=True)
class IngestKeys:
    """Where ingest's keys file (INGEST_API_KEYS_FILE) and the simulator's key are."""

    keys_file: Path
    simulator_key: Path

    def ensure(self) -> None:
        """Make the simulator's key and its entry unless both are there and agree (idempotent).

        Under a lock: the cluster profile starts its ingest processes side by side, and two unlocked
        calls could leave one's key beside the other's entry (every client then refused)."""
        self.simulator_key.parent.mkdir(parents=True, exist_ok=True)
        with open(self.simulator_key.parent / ".keys.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._ensure()

    def _ensure(self) -> None:
        entries = read_entries(self.keys_file)
        held = self.client_key() if self.simulator_key.exists() else None
        if held and entries.get(CLIENT) == digest(held):
            return
        key = new_key()
        # Created 0600 before the key is written: nobody else on the machine may read it.
        fd = os.open(self.simulator_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key + "\n")
        write_keys(self.keys_file, {**entries, CLIENT: digest(key)})

    def client_key(self) -> str:
        """The simulator's key, for any local client of this ingest (made by ``ensure``)."""
        return self.simulator_key.read_text().strip()


def ingest_keys(settings: DevstackSettings) -> IngestKeys:
    """The key paths of this state folder (nothing is written)."""
    folder = settings.state_dir / "ingest"
    return IngestKeys(folder / "api-keys", folder / f"{CLIENT}.key")
