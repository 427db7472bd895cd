"""Debian's haproxy in front of the ingest and dashboard-api processes: round robin, health-checked."""

from __future__ import annotations

import csv
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from topsongs_devstack.apps import remove_targets, write_targets
from topsongs_devstack.component import Status
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.process import ManagedProcess, PlatformError, port_open, run

STAMP_IDEMPOTENCY_KEY = (
    "  http-request set-header Idempotency-Key %[uuid] unless { req.hdr(Idempotency-Key) -m found }"
)


@dataclass(frozen=True)
class Pool:
    """One front end (``bind``) and the servers it spreads requests over."""

    name: str
    bind: tuple[str, int]
    servers: Sequence[tuple[str, str, int]]  # (server name, host, port)
    health_path: str = "/readyz"
    # Give a request without an Idempotency-Key one (a UUID) before it is sent, so a resend by
    # `retry-on` carries the same key and ingest gives its events the same ids (docs/api.md).
    stamp_idempotency_key: bool = False
    # Connections one client address may hold open on the front end (0: no cap). The servers' own
    # per-address cap is off behind the balancer, where every connection has the balancer's address.
    max_connections_per_address: int = 0


def per_address_cap(most: int) -> list[str]:
    """Front-end lines that close a client address's connection beyond its ``most`` open ones as it is
    accepted, before haproxy reads a byte of it (no HTTP answer: none was asked yet)."""
    if not most:
        return []
    return [
        "  stick-table type ip size 100k expire 60s store conn_cur",
        "  tcp-request connection track-sc0 src",
        f"  tcp-request connection reject if {{ sc0_conn_cur gt {most} }}",
    ]


def config(
    pools: Sequence[Pool],
    stats_socket: Path,
    metrics: tuple[str, int] | None,
    request_timeout_s: float,
) -> str:
    """haproxy.cfg for ``pools``; a pool's server is taken out after 2 failed checks 0.5 s apart.
    With ``metrics`` (host, port), haproxy's own Prometheus exporter answers `/metrics` there. A
    request's head and body must arrive within ``request_timeout_s`` of its first byte."""
    lines = [
        "global",
        f"  stats socket {stats_socket} mode 600 level operator",
        # No maxconn: haproxy derives it from the open-files limit it is given.
        # Server state changes (notice level and up) into its log file; requests are not logged.
        "  log stderr format short local0 notice",
        "defaults",
        "  mode http",
        "  log global",
        "  timeout connect 2s",
        "  timeout client 60s",
        # The client timeout restarts with every byte: without this a client sending its request a
        # line at a time (slowloris) would hold its connection for ever. 408 past it.
        f"  timeout http-request {request_timeout_s:g}s",
        "  timeout server 60s",
        # An upgraded WebSocket is a tunnel: live clients stay connected while the board is quiet.
        "  timeout tunnel 1h",
        "  timeout http-keep-alive 10s",
        # A request that got no answer (refused, or reset before any byte) goes to another server. One
        # that reached Kafka before the reset is then there twice: under the same event ids, which
        # downstream counts once, since the client's ids or the ingest pool's Idempotency-Key stamp
        # (below) go with the resend.
        "  retries 2",
        "  option redispatch 1",
        "  retry-on conn-failure empty-response",
        "  option http-buffer-request",
        # When no server is left, haproxy's own 503 tells clients when to retry, as ingest's 503s do.
        '  http-error status 503 content-type text/plain string "no server available" hdr Retry-After 1',
        "  default-server inter 500ms fastinter 250ms downinter 1s fall 2 rise 2",
    ]
    for pool in pools:
        host, port = pool.bind
        lines += [
            f"frontend {pool.name}",
            f"  bind {host}:{port}",
            *per_address_cap(pool.max_connections_per_address),
            f"  default_backend {pool.name}",
            f"backend {pool.name}",
            "  balance roundrobin",
            f"  option httpchk GET {pool.health_path}",
            "  http-check expect status 200",
            *([STAMP_IDEMPOTENCY_KEY] if pool.stamp_idempotency_key else []),
            *(f"  server {name} {h}:{p} check" for name, h, p in pool.servers),
        ]
    if metrics is not None:
        host, port = metrics
        lines += [
            # Requests, 5xx, sessions and connections refused by the per-address cap (denied), per
            # front end, back end and server: haproxy's built-in exporter (Debian's build has it).
            "frontend metrics",
            "  mode http",
            f"  bind {host}:{port}",
            "  http-request use-service prometheus-exporter if { path /metrics }",
            '  http-request return status 404 content-type text/plain string "not found"',
        ]
    return "\n".join(lines) + "\n"


class Balancer:
    """haproxy as a plain foreground process with its config and stats socket under ``<state>/haproxy``."""

    name = "balancer"

    def __init__(
        self,
        devstack: DevstackSettings,
        pools: Sequence[Pool],
        binary: str = "haproxy",
        metrics: tuple[str, int] | None = None,
        request_timeout_s: float = 10.0,
    ) -> None:
        self.pools = list(pools)
        self.request_timeout_s = request_timeout_s
        self.metrics = metrics  # (host, port) of its Prometheus exporter, scraped as job "balancer"
        self.binary = binary
        self.settings = devstack
        self.dir = devstack.state_dir / "haproxy"
        self.cfg = self.dir / "haproxy.cfg"
        self.stats_socket = self.dir / "stats.sock"
        self.proc = ManagedProcess(self.name, devstack.run_dir, devstack.logs_dir)

    def install(self) -> None:
        """haproxy comes from Debian (scripts/setup-system.sh)."""
        if shutil.which(self.binary) is None:
            raise PlatformError(f"{self.binary} is not installed; run `make setup-system`")

    def up(self) -> None:
        """Write the config, check it, start haproxy unless running, and wait for its stats socket."""
        self.install()
        if self.proc.pid() is None:
            for pool in self.pools:
                if port_open(*pool.bind):
                    raise PlatformError(f"{pool.bind[0]}:{pool.bind[1]} for {pool.name} is taken")
            self.dir.mkdir(parents=True, exist_ok=True)
            self.cfg.write_text(config(self.pools, self.stats_socket, self.metrics, self.request_timeout_s))
            run([self.binary, "-c", "-q", "-f", str(self.cfg)], "haproxy config check")
            print(f"[devstack] starting {self.name}", flush=True)
            # -db: stay in the foreground so the pid file and SIGTERM of ManagedProcess apply.
            self.proc.start([self.binary, "-db", "-f", str(self.cfg)])
        self.proc.wait_healthy(lambda: bool(self.servers()), self.settings.start_timeout_s, self.name)
        if self.metrics is not None:
            write_targets(self.settings, self.name, [f"{self.metrics[0]}:{self.metrics[1]}"])

    def down(self) -> None:
        """Stop haproxy (and take its exporter out of Prometheus' targets)."""
        remove_targets(self.settings, self.name)
        if self.proc.stop():
            print(f"[devstack] stopped {self.name}", flush=True)

    def stats(self) -> list[dict[str, str]]:
        """haproxy's `show stat` rows (frontends, backends, servers), or [] when it does not answer."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(str(self.stats_socket))
                sock.sendall(b"show stat\n")
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError:
            return []
        text = b"".join(chunks).decode().lstrip("# ")
        return list(csv.DictReader(text.splitlines()))

    def servers(self) -> dict[str, str]:
        """``'pool/server'`` → haproxy's check state (UP, DOWN, ...) from the stats socket, or {}."""
        return {
            f"{row['pxname']}/{row['svname']}": row["status"].split()[0]
            for row in self.stats()
            if row.get("svname") not in (None, "FRONTEND", "BACKEND")
        }

    def answered_5xx(self, pool: str) -> int:
        """5xx answers the pool's frontend sent to clients so far (its servers' and haproxy's own 503s)."""
        rows = [r for r in self.stats() if r["pxname"] == pool and r["svname"] == "FRONTEND"]
        return sum(int(r["hrsp_5xx"] or 0) for r in rows)

    def status(self) -> Status:
        """Healthy when haproxy runs and every server passes its check; the detail lists each one."""
        states = self.servers() if self.proc.pid() is not None else {}
        detail = ", ".join(f"{server} {state}" for server, state in sorted(states.items()))
        endpoints = " ".join(f"http://{p.bind[0]}:{p.bind[1]}" for p in self.pools)
        healthy = bool(states) and all(state == "UP" for state in states.values())
        return Status(self.name, healthy, endpoints, detail)
