"""Small helpers shared by the test modules."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult

from luma_mcp import Settings, build_server
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator
from luma_mcp.poller import Poller, PollSchedule
from luma_mcp.server import LumaServer

TOOL_NAMES = {
    "create_generation",
    "extend_generation",
    "edit_video",
    "reframe_image",
    "reframe_video",
    "generate_image",
    "edit_image",
    "split_image_layers",
    "get_generation",
    "list_generations",
    "delete_generation",
    "list_models",
    "list_concepts",
    "list_camera_motions",
    "download_generation",
    "upscale_generation",
    "add_audio",
    "get_credits",
}

# A 2025-era handshake, for tests that speak raw HTTP to the server.
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}

# Fast polls keep the suite quick; the product schedule is measured in bench/, not here. No first look waits for
# a kind's typical time: the emulator's generations take well under a second.
FAST_POLLS = PollSchedule(steps=((0.0, 0.05),), typical_seconds=())


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


@asynccontextmanager
async def connected(
    settings: Settings, *, limits: CreateLimits | None = None, **client_options: Any
) -> AsyncIterator[tuple[Client, LumaServer]]:
    """As `connect`, with the server too, for a test that checks what it is doing (see `watched`)."""
    server = build_server(settings, schedule=FAST_POLLS, limits=limits)
    async with Client(server, **client_options) as client:
        yield client, server


def watched(server: LumaServer) -> frozenset[str]:
    """The generations the server polls for its own account right now: exact state, where waiting to see that no
    request comes could only show that none came yet."""
    assert server.app is not None, "the server is not running"
    return server.app.accounts.caller_for(None).account_for("dream-machine").watching


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


async def stops_polling(server: LumaServer, generation_id: str) -> None:
    """Returns once the server no longer polls the generation (a cancellation reaches it in its own time)."""
    await eventually(lambda: generation_id not in watched(server), timeout=5)


def text_of(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


@contextmanager
def wakeups_of_waits() -> Iterator[Counter[str]]:
    """How many times each `Poller.wait` ran, by generation id: once from its start to its first sleep, and once
    more for each wake. Counted by the interpreter's profile hook, so nothing in the code under test is replaced:
    every run of a coroutine's frame ends in a "return" event (at an await that sleeps, or at the end), however
    the run began (a frame woken by a cancellation, as a timeout wakes it, is entered without a "call" event)."""
    wait = Poller.wait.__code__
    runs: Counter[str] = Counter()

    def count(frame: FrameType, event: str, arg: object) -> None:
        if event == "return" and frame.f_code is wait:
            runs[frame.f_locals["generation"].id] += 1

    with profiled(count):
        yield runs


@contextmanager
def profiled(hook: Callable[[FrameType, str, object], None]) -> Iterator[None]:
    """Run the block with `hook` as the interpreter's profile hook, which sees every call and return: a way to
    count what the code under test does without replacing any of it."""
    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)
