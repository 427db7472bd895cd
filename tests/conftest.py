"""Session fixtures: the real engines (started by the same devstack code as `make up`)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiokafka.errors import KafkaError
from ingest.kafka_setup import drop_topics
from topsongs_core.secret_settings import assume_laptop
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.stack import select

REPO = Path(__file__).resolve().parents[1]
# The suite runs on this machine's engines with their built-in passwords, as `make up` does.
assume_laptop()
# Their images and tools are built in the background while the rest runs (scripts/test.sh).
LAST = ("tests/compose/", "tests/deploy/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the Docker and Helm tests last, in their collected order."""
    items.sort(key=lambda item: any(item.nodeid.startswith(prefix) for prefix in LAST))


@pytest.fixture(scope="session")
def devstack_settings() -> DevstackSettings:
    """The devstack settings the suite runs under (the same defaults as `make up`)."""
    return DevstackSettings()


@pytest.fixture(scope="session")
def engines(devstack_settings: DevstackSettings) -> Iterator[None]:
    """Kafka, PostgreSQL and the S3 store, up and healthy; stopped again if this session started them."""
    started = []
    for component in select(["kafka", "postgres", "s3"], devstack_settings):
        if component.status().healthy:
            continue  # already running (e.g. after `make up`): use it as it is
        component.up()
        started.append(component)
    yield
    for component in reversed(started):
        component.down()


StopInBackground = Callable[[str, Callable[[], None]], None]


@pytest.fixture(scope="session")
def stop_in_background() -> Iterator[StopInBackground]:
    """``stop(what, how)`` runs ``how`` (a private stack's stop: tens of seconds, mostly waiting for
    processes to exit) in a thread while the next tests run. The session waits for every such stop at
    its end and fails naming each one that raised: nothing is left running, no failure is lost."""
    threads: list[threading.Thread] = []
    failures: list[str] = []

    def stop(what: str, how: Callable[[], None]) -> None:
        def run() -> None:
            try:
                how()
            except BaseException as exc:  # reported at the session's end
                failures.append(f"{what}: {exc!r}")

        thread = threading.Thread(target=run, name=f"stop {what}")
        thread.start()
        threads.append(thread)

    yield stop
    for thread in threads:
        thread.join()
    assert not failures, "stops run in the background failed:\n" + "\n".join(failures)


@pytest.fixture
async def kafka_settings(engines: None) -> AsyncIterator[KafkaSettings]:
    """Kafka settings with topics private to this test, so tests never see each other's events;
    deleted afterwards: every client's metadata covers all topics, and a broker holding the
    thousands a whole suite makes answers every client start and metadata refresh more slowly."""
    settings = private_topics("test")
    await ensure_topics(settings)
    yield settings
    try:
        await drop_topics(settings)
    except (KafkaError, OSError) as exc:  # a test that stopped the broker: its topics stay
        warnings.warn(f"could not delete the test's topics: {exc!r}", stacklevel=1)


@pytest.fixture
def pg_settings(engines: None) -> PostgresSettings:
    """The local PostgreSQL (tests that write create their own schema or clean up)."""
    return PostgresSettings()


@pytest.fixture
def s3_settings(engines: None) -> S3Settings:
    """The local S3 store's settings."""
    return S3Settings()


@pytest.fixture(scope="session")
def browser_check() -> Iterator[object]:
    """Runs one of ui/e2e/*.mjs (playwright-core driving Debian's chromium); returns the process."""
    if shutil.which("node") is None or not Path("/usr/bin/chromium").exists():
        pytest.fail("browser tests need node and /usr/bin/chromium (make setup-browser)")
    (REPO / "artifacts" / "e2e").mkdir(parents=True, exist_ok=True)

    async def run(script: str, *args: str, viewport: str | None = None) -> subprocess.CompletedProcess[str]:
        """``viewport`` WIDTHxHEIGHT (e.g. a phone's 390x844); a desktop window when None."""
        env = {**os.environ, "TOPSONGS_BROWSER_VIEWPORT": viewport or ""}
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(REPO / "ui" / "e2e" / script),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        return subprocess.CompletedProcess(script, proc.returncode or 0, out.decode(), "")

    yield run
