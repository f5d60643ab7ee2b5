"""Small helpers shared by the test modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import CallToolResult

from luma_mcp import Settings, build_server
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator
from luma_mcp.poller import PollSchedule

# A 2025-era handshake, for tests that speak raw HTTP to the server.
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}

# Fast polls keep the suite quick; the product schedule is measured in bench/, not here.
FAST_POLLS = PollSchedule(steps=((0.0, 0.05),))


def settings_for(emulator: Emulator, output_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": emulator.api_key,
        "base_url": emulator.base_url,
        "output_dir": output_dir,
        "max_wait": 10.0,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def connect(
    settings: Settings, *, limits: CreateLimits | None = None, **client_options: Any
) -> AsyncIterator[Client]:
    """An in-memory MCP client connected to a freshly built server; `limits` come from `settings` unless given."""
    async with Client(build_server(settings, schedule=FAST_POLLS, limits=limits), **client_options) as client:
        yield client


def text_of(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)
