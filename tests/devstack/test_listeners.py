"""listeners(): the sockets a recorded process and its children receive on, and which are loopback only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.listeners import Listener, listeners, recorded_pids

# A parent that starts a child; the child listens on TCP 127.0.0.1 and 0.0.0.0, on IPv6 ::1, receives
# on UDP 127.0.0.1, and sends from a connected UDP socket (a client, not a listener).
CHILD = """
import os, socket, time
tcp = socket.create_server(("127.0.0.1", 0))
wide = socket.create_server(("0.0.0.0", 0))
v6 = socket.create_server(("::1", 0), family=socket.AF_INET6)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sender.connect(("127.0.0.1", 9))
print(os.getpid(), *(s.getsockname()[1] for s in (tcp, wide, v6, udp)), flush=True)
time.sleep(60)
"""
PARENT = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {CHILD!r}])"


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[DevstackSettings, list[int]]]:
    """A state folder whose pid file names a parent process; its child's ports."""
    settings = DevstackSettings(state_dir=tmp_path)
    settings.run_dir.mkdir(parents=True)
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child, *ports = [int(number) for number in parent.stdout.readline().split()]
    (settings.run_dir / "probe.pid").write_text(str(parent.pid))
    yield settings, ports
    os.kill(child, signal.SIGKILL)
    parent.wait()


def test_a_process_tree_sockets_with_their_addresses(recorded: tuple[DevstackSettings, list[int]]) -> None:
    settings, (tcp, wide, v6, udp) = recorded
    assert recorded_pids(settings) == {"probe": int((settings.run_dir / "probe.pid").read_text())}
    assert listeners(settings) == [
        Listener("probe", "tcp", address, port)
        for address, port in sorted([("127.0.0.1", tcp), ("0.0.0.0", wide), ("::1", v6)], key=lambda a: a[1])
    ] + [Listener("probe", "udp", "127.0.0.1", udp)]
    loopback = {x.port: x.on_loopback_only for x in listeners(settings)}
    assert loopback == {tcp: True, wide: False, v6: True, udp: True}
