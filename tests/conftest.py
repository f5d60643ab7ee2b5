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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """An emulator whose generations finish in well under a second."""
    async with run_emulator(FAST_CLOCK) as running:
        yield running
