"""Shared fixtures: a real emulator on loopback for every test that talks to "Luma"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator

FAST_CLOCK = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.3)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """An emulator whose generations finish in well under a second."""
    async with run_emulator(FAST_CLOCK) as running:
        yield running
