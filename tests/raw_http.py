"""HTTP/1.1 and WebSocket bytes written by hand over asyncio streams, for requests no client library
will send (malformed chunks, lying Content-Length, odd headers), and a reader of what comes back."""

from __future__ import annotations

import asyncio
import base64
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})")


@dataclass
class Answer:
    """One HTTP response read off the wire."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Exchange:
    """Everything the server sent back on one connection, and how the connection ended."""

    answers: list[Answer]
    raw: bytes
    closed: bool  # the server closed (or reset) the connection before the read timed out

    @property
    def statuses(self) -> list[int]:
        """The status codes in order."""
        return [a.status for a in self.answers]


def parse_answers(raw: bytes) -> list[Answer]:
    """The responses in ``raw``, as far as they are complete (Content-Length or chunked bodies)."""
    answers = []
    rest = raw
    while (end := rest.find(b"\r\n\r\n")) >= 0:
        head, rest = rest[:end].decode("latin-1"), rest[end + 4 :]
        status_line, *lines = head.split("\r\n")
        match = _STATUS.match(status_line.encode("latin-1"))
        if match is None:
            raise AssertionError(f"not an HTTP response: {status_line!r}")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        answer = Answer(int(match.group(1)), headers)
        if "content-length" in headers:
            size = int(headers["content-length"])
            answer.body, rest = rest[:size], rest[size:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while (line_end := rest.find(b"\r\n")) >= 0:
                size = int(rest[:line_end].split(b";")[0], 16)
                body += rest[line_end + 2 : line_end + 2 + size]
                rest = rest[line_end + 2 + size + 2 :]
                if size == 0:
                    break
            answer.body = body
        answers.append(answer)
    return answers


async def exchange(
    host: str,
    port: int,
    *parts: bytes,
    pause_s: float = 0.0,
    half_close: bool = False,
    read_timeout_s: float = 10.0,
    local_address: str | None = None,
) -> Exchange:
    """Send ``parts`` (``pause_s`` apart; writes the server refuses are dropped), end our side when
    ``half_close``, and read meanwhile until the server closes or ``read_timeout_s`` of silence."""
    local = (local_address, 0) if local_address else None
    reader, writer = await asyncio.open_connection(host, port, local_addr=local)
    received: list[bytes] = []

    async def read() -> bool:
        try:
            while chunk := await asyncio.wait_for(reader.read(65536), read_timeout_s):
                received.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
        return True

    reading = asyncio.create_task(read())
    try:
        for i, part in enumerate(parts):
            if i and pause_s:
                await asyncio.sleep(pause_s)
            if reading.done():
                break
            writer.write(part)
            await writer.drain()
        if half_close and writer.can_write_eof():
            writer.write_eof()
    except (ConnectionResetError, BrokenPipeError):
        pass
    closed = await reading
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionResetError, BrokenPipeError):
        pass
    raw = b"".join(received)
    return Exchange(parse_answers(raw), raw, closed)


def request(
    method: str,
    target: str,
    *,
    host: str = "localhost",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    content_length: bool = True,
    close: bool = True,
) -> bytes:
    """One request's bytes: the headers in the order given (duplicates kept), Content-Length added
    for ``body`` unless ``content_length`` is False or the headers already set it, and
    ``Connection: close`` when ``close`` (so the server ends the connection after its answer)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    given = headers or []
    lines += [f"{name}: {value}" for name, value in given]
    names = {name.lower() for name, _ in given}
    if content_length and not names & {"content-length", "transfer-encoding"}:
        lines.append(f"Content-Length: {len(body)}")
    if close and "connection" not in names:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def upgrade(target: str, *, host: str = "localhost", headers: list[tuple[str, str]] | None = None) -> bytes:
    """A WebSocket opening handshake for ``target``."""
    key = base64.b64encode(os.urandom(16)).decode()
    base = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    return request(
        "GET", target, host=host, headers=[*base, *(headers or [])], content_length=False, close=False
    )


def frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True, rsv: int = 0) -> bytes:
    """One WebSocket frame as a client sends it (masked unless told otherwise)."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    size = len(payload)
    mask_bit = 0x80 if masked else 0
    if size < 126:
        head = bytes([first, mask_bit | size])
    elif size < 1 << 16:
        head = bytes([first, mask_bit | 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([first, mask_bit | 127]) + size.to_bytes(8, "big")
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def frame_header(opcode: int, declared: int) -> bytes:
    """The masked header of a frame announcing ``declared`` payload bytes (the payload not sent)."""
    return bytes([0x80 | opcode, 0x80 | 127]) + declared.to_bytes(8, "big") + os.urandom(4)


def server_errors(log: Path, since: int) -> list[str]:
    """The lines of a server's log past byte ``since`` that show an error of the server's own: a
    traceback or an ERROR-level line."""
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return [line for line in text.splitlines() if "Traceback" in line or line.startswith("ERROR")]


async def read_frame(reader: asyncio.StreamReader, timeout_s: float = 10.0) -> tuple[int, bytes]:
    """The next (opcode, payload) a server sends on a WebSocket (server frames are unmasked)."""
    head = await asyncio.wait_for(reader.readexactly(2), timeout_s)
    size = head[1] & 0x7F
    if size == 126:
        size = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), timeout_s), "big")
    elif size == 127:
        size = int.from_bytes(await asyncio.wait_for(reader.readexactly(8), timeout_s), "big")
    payload = await asyncio.wait_for(reader.readexactly(size), timeout_s)
    return head[0] & 0x0F, payload
