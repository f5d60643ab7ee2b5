"""The Agents API's routes, mounted under its prefix beside the Dream Machine API, plus the storage it presigns."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from luma_mcp.emulator.agents.file_routes import FileRoutes
from luma_mcp.emulator.agents.generation_routes import GenerationRoutes
from luma_mcp.emulator.agents.headers import AgentsHeaders
from luma_mcp.emulator.agents.state import AgentsState
from luma_mcp.emulator.agents.storage import StorageRoutes
from luma_mcp.emulator.clock import GenerationClock
from luma_mcp.emulator.config import EmulatorConfig
from luma_mcp.emulator.paths import AGENTS_PREFIX


def agents_routes(config: EmulatorConfig, state: AgentsState, clock: GenerationClock) -> list[BaseRoute]:
    api = [*GenerationRoutes(config, state, clock).routes(), *FileRoutes(config, state, clock).routes()]
    return [
        Mount(AGENTS_PREFIX, routes=api, middleware=[Middleware(AgentsHeaders)]),
        *StorageRoutes(config, state).routes(),
    ]
