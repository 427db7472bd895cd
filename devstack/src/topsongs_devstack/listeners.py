"""Which sockets devstack's processes listen on, read from /proc (Linux) without extra packages."""

from __future__ import annotations

import contextlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from topsongs_devstack.config import DevstackSettings

# /proc/net's state column: 0A is a listening TCP socket; 07 an unconnected UDP socket, one that
# receives from anyone (a connected one, 01, is a client such as a StatsD sender).
_RECEIVING = {"tcp": "0A", "udp": "07"}
_TABLES = {"tcp": ("tcp", "tcp6"), "udp": ("udp", "udp6")}


@dataclass(frozen=True)
class Listener:
    """One bound socket of a managed process."""

    process: str
    protocol: str
    address: str
    port: int

    @property
    def on_loopback_only(self) -> bool:
        """True for a loopback address (127.0.0.0/8, ::1, or 127.x as the JVM binds it: IPv4-mapped)."""
        ip = ipaddress.ip_address(self.address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_loopback


def recorded_pids(settings: DevstackSettings) -> dict[str, int]:
    """Process name → pid of every process devstack records (pid files, and PostgreSQL's own)."""
    pids = {}
    for pid_file in sorted(settings.run_dir.glob("*.pid")):
        with contextlib.suppress(OSError, ValueError):
            pids[pid_file.stem] = int(pid_file.read_text().strip())
    postmaster = settings.state_dir / "postgres" / "data" / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        pids["postgres"] = int(postmaster.read_text().splitlines()[0])
    return pids


def descendants(pid: int) -> set[int]:
    """``pid`` and every process below it (uvicorn workers, Airflow's children, the JVM of a script)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def listeners(settings: DevstackSettings) -> list[Listener]:
    """Every listening TCP and bound UDP socket of every process devstack recorded."""
    bound = _bound_sockets()
    found = set()
    for name, pid in recorded_pids(settings).items():
        for member in descendants(pid):
            for inode in _socket_inodes(member):
                if inode in bound:
                    protocol, address, port = bound[inode]
                    found.add(Listener(name, protocol, address, port))
    return sorted(found, key=lambda listener: (listener.process, listener.protocol, listener.port))


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.scandir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(fd.path)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def _bound_sockets() -> dict[str, tuple[str, str, int]]:
    """Socket inode → (protocol, address, port) of listening TCP and bound UDP sockets."""
    sockets = {}
    for protocol, tables in _TABLES.items():
        for table in tables:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state != _RECEIVING[protocol]:
                        continue
                    host, port = local.split(":")
                    sockets[inode] = (protocol, _address(host), int(port, 16))
    return sockets


def _address(hex_host: str) -> str:
    """/proc/net's hex address (host byte order per 32-bit word) as text."""
    raw = bytes.fromhex(hex_host)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))
