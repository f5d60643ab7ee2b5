"""Shared fixtures: a real emulator on loopback for every test that talks to "Luma"."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator

import pytest

from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator

FAST_CLOCK = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.3)


def pytest_configure(config: pytest.Config) -> None:
    """Servers the tests start keep their ledger in a folder of the test run, never in the user's own."""
    os.environ["LUMA_MCP_STATE_DIR"] = tempfile.mkdtemp(prefix="luma-mcp-test-state-")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Session-wide, so one event loop serves every test and the emulator started once keeps running between them."""
    return "asyncio"


@pytest.fixture(scope="session")
async def running_emulator() -> AsyncIterator[Emulator]:
    """Started once per test session (per worker process): a server's startup and shutdown cost more than a test."""
    async with run_emulator(FAST_CLOCK) as running:
        yield running


@pytest.fixture
async def emulator(running_emulator: Emulator) -> AsyncIterator[Emulator]:
    """An emulator whose generations finish in well under a second, as fresh as a new one: reset before the test,
    and again after it so nothing the test left running (timelines, callbacks) goes on during the next."""
    running_emulator.reset()
    yield running_emulator
    running_emulator.reset()
