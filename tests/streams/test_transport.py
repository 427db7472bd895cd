"""The inline-delivery helper continues a coroutine started by hand exactly as an await would, and the
upstream code the transport overrides is the code it was written against."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.metadata
import inspect
import tomllib
from pathlib import Path
from typing import Any

import pytest
from streams.transport import UPSTREAM, _finish


async def _deliver(gate: asyncio.Future[int], log: list[str]) -> str:
    log.append("started")
    try:
        got = await gate
    except ValueError as exc:
        log.append(f"caught {exc}")
        return "recovered"
    except asyncio.CancelledError:
        log.append("cancelled")
        raise
    log.append(f"got {got}")
    return f"done {got}"


def _start(coro: Any) -> Any:
    """Run ``coro`` inline up to its first real suspension, as the consumer does."""
    try:
        return coro.send(None)
    except StopIteration:  # pragma: no cover - these coroutines always suspend
        pytest.fail("expected the coroutine to suspend")


async def test_a_suspended_delivery_resumes_in_a_task_with_the_awaited_result() -> None:
    gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    log: list[str] = []
    coro = _deliver(gate, log)
    pending = _start(coro)
    assert log == ["started"]
    task = asyncio.ensure_future(_finish(coro, pending))
    await asyncio.sleep(0)
    assert not task.done()
    gate.set_result(7)
    assert await task == "done 7"
    assert log == ["started", "got 7"]


async def test_an_error_from_the_awaited_future_reaches_the_delivery() -> None:
    gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    log: list[str] = []
    coro = _deliver(gate, log)
    task = asyncio.ensure_future(_finish(coro, _start(coro)))
    gate.set_exception(ValueError("boom"))
    assert await task == "recovered"
    assert log == ["started", "caught boom"]


async def test_cancelling_the_task_cancels_the_delivery_and_what_it_waits_for() -> None:
    gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    log: list[str] = []
    coro = _deliver(gate, log)
    task = asyncio.ensure_future(_finish(coro, _start(coro)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["started", "cancelled"]
    assert gate.cancelled()


async def test_a_delivery_that_suspends_twice_is_followed_to_the_end() -> None:
    loop = asyncio.get_running_loop()
    first: asyncio.Future[int] = loop.create_future()
    second: asyncio.Future[int] = loop.create_future()

    async def twice() -> int:
        a = await first
        await asyncio.sleep(0)  # a bare yield in between, as asyncio.sleep(0) does
        return a + await second

    coro = twice()
    task = asyncio.ensure_future(_finish(coro, _start(coro)))
    first.set_result(1)
    await asyncio.sleep(0)
    second.set_result(2)
    assert await task == 3


@pytest.mark.parametrize("target", sorted(UPSTREAM))
def test_the_upstream_code_the_override_replaces_is_unchanged(target: str) -> None:
    module, _, qualname = target.partition(":")
    owner, method = qualname.split(".")
    code = getattr(getattr(importlib.import_module(module), owner), method)
    source = inspect.getsource(getattr(code, "fget", code))  # a property's getter
    installed = importlib.metadata.version("faust-streaming")
    assert hashlib.sha256(source.encode()).hexdigest() == UPSTREAM[target], (
        f"faust-streaming {installed}: {target} is not the code streams/transport.py was written "
        "against. Re-check the override (inline delivery, offsets, gaps, commit-every, the rebalance "
        "hold-back and rewind), run tests/streams (the kill/restart test guards the rebalance fix), "
        "then record the new hash in streams.transport.UPSTREAM."
    )


def test_faust_streaming_is_pinned_to_the_installed_version() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "streams" / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("faust-streaming")]
    assert pins == [f"faust-streaming=={importlib.metadata.version('faust-streaming')}"], (
        "streams/transport.py overrides private Faust code: pin faust-streaming exactly"
    )
