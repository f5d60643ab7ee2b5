"""A loopback stand-in for Luma's Dream Machine API v1 and Agents API v1, for tests, benchmarks and offline demos.

It imports nothing from the rest of ``luma_mcp``: it mimics Luma from the published record and speaks plain JSON.
"""

from luma_mcp.emulator.agents.config import DEFAULT_AGENTS_API_KEY, AgentsConfig
from luma_mcp.emulator.config import DEFAULT_API_KEY, EmulatorConfig
from luma_mcp.emulator.emulator import Emulator
from luma_mcp.emulator.faults import Fault
from luma_mcp.emulator.recording import RecordedRequest
from luma_mcp.emulator.runner import run_emulator, serve

__all__ = [
    "AgentsConfig",
    "DEFAULT_AGENTS_API_KEY",
    "DEFAULT_API_KEY",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "RecordedRequest",
    "run_emulator",
    "serve",
]
