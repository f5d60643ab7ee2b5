"""Every call answers within LUMA_MCP_MAX_WAIT + 2 s, whatever Luma or an asset host does, with a next step.

The server runs as its own process over stdio, as desktop clients run it, with LUMA_MCP_MAX_WAIT=3; Luma (the
emulator) answers 60 s late or trickles bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError, StdioServerParameters, stdio_client
from mcp.types import CallToolResult

from luma_mcp import build_server
from luma_mcp.emulator import Emulator, EmulatorConfig, Fault, run_emulator
from tests.helpers import settings_for, text_of
from tests.test_end_to_end import SERVER, server_env

pytestmark = pytest.mark.anyio

MAX_WAIT = 3.0
LIMIT = MAX_WAIT + 2.0
LATE = 60.0
CREATE, LIST = "/generations/video", "/generations"


@asynccontextmanager
async def stdio_server(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Client]:
    env = server_env(emulator, tmp_path / "out", LUMA_MCP_MAX_WAIT=str(MAX_WAIT), LUMA_MCP_LOG_LEVEL="WARNING")
    params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=env)
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            yield client


async def timed_call(client: Client, tool: str, **arguments: Any) -> tuple[CallToolResult, float]:
    began = anyio.current_time()
    with anyio.fail_after(LIMIT + 5):  # a hang fails the test rather than the suite
        result = await client.call_tool(tool, arguments)
    return result, anyio.current_time() - began


async def made_video(client: Client) -> str:
    """A completed video; with a short call limit, waiting for it may take more than one call."""
    result, _ = await timed_call(client, "create_generation", prompt="a kite over a beach")
    with anyio.fail_after(20):
        while True:
            assert not result.is_error and result.structured_content is not None, text_of(result)
            generation_id: str = result.structured_content["id"]
            if result.structured_content["state"] == "completed":
                return generation_id
            result, _ = await timed_call(client, "get_generation", generation_id=generation_id, wait=True)


async def test_a_create_answered_a_minute_late_returns_in_time_saying_what_to_check(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.inject(Fault(method="POST", path=CREATE, status=None, delay=LATE))
    async with stdio_server(emulator, tmp_path) as client:
        result, took = await timed_call(client, "create_generation", prompt="a lighthouse at dusk")
    assert took <= LIMIT, took
    assert result.is_error and "list_generations" in text_of(result) and "charged twice" in text_of(result)


async def test_a_lost_create_whose_search_hangs_returns_in_time(emulator: Emulator, tmp_path: Path) -> None:
    emulator.inject(Fault(method="POST", path=CREATE, status=503, after_processing=True))
    emulator.inject(Fault(method="GET", path=LIST, status=None, delay=LATE))
    async with stdio_server(emulator, tmp_path) as client:
        result, took = await timed_call(client, "create_generation", prompt="a lighthouse at dusk")
    assert took <= LIMIT, took
    assert result.is_error and "list_generations" in text_of(result)
    assert len(emulator.requests_for("GET", LIST)) == 1, "one look for the lost create, within what was left"
    assert len(emulator.requests_for("POST", CREATE)) == 1


@pytest.mark.parametrize("tool", ["get_generation", "list_generations", "list_concepts", "get_credits"])
async def test_a_read_luma_answers_late_returns_in_time(emulator: Emulator, tmp_path: Path, tool: str) -> None:
    async with stdio_server(emulator, tmp_path) as client:
        arguments = {"generation_id": await made_video(client)} if tool == "get_generation" else {}
        emulator.inject(Fault(status=None, delay=LATE, count=10))
        result, took = await timed_call(client, tool, **arguments)
    assert took <= LIMIT, took
    assert result.is_error and "did not" in text_of(result)


async def test_a_resource_read_luma_answers_late_returns_in_time(emulator: Emulator, tmp_path: Path) -> None:
    async with stdio_server(emulator, tmp_path) as client:
        generation_id = await made_video(client)
        emulator.inject(Fault(status=None, delay=LATE, count=10))
        for uri in (f"luma://generations/{generation_id}", "luma://generations"):
            began = anyio.current_time()
            with pytest.raises(MCPError), anyio.fail_after(LIMIT + 5):
                await client.read_resource(uri)
            assert anyio.current_time() - began <= LIMIT


async def test_a_download_from_a_slow_host_goes_on_in_the_background_and_is_reported_later(tmp_path: Path) -> None:
    # The sample video is about 20 KB: at 8 KB/s it takes about 2.5 s, longer than a 1 s call.
    config = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.2, asset_bytes_per_second=8_000)
    async with run_emulator(config) as emulator:
        env = server_env(emulator, tmp_path / "out", LUMA_MCP_MAX_WAIT="1", LUMA_MCP_LOG_LEVEL="WARNING")
        params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=env)
        async with Client(stdio_client(params)) as client:
            generation_id = await made_video(client)
            first, took = await timed_call(client, "download_generation", generation_id=generation_id)
            assert first.structured_content is not None, text_of(first)
            landing = Path(first.structured_content["video_path"])
            assert took <= 1.0 + 2.0, took
            assert first.structured_content["status"] == "in_progress" and not landing.exists()
            assert "download_generation again" in first.structured_content["next_step"]
            with anyio.fail_after(15):
                while True:
                    later, took = await timed_call(client, "download_generation", generation_id=generation_id)
                    assert took <= 1.0 + 2.0, took
                    assert later.structured_content is not None, text_of(later)
                    if later.structured_content["status"] == "saved":
                        break
    assert later.structured_content["video_path"] == str(landing)
    assert landing.read_bytes()[4:8] == b"ftyp"
    assert later.structured_content["video_bytes"] == landing.stat().st_size


async def test_a_download_trickling_a_byte_a_second_never_holds_the_call(tmp_path: Path) -> None:
    config = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.2, asset_bytes_per_second=1)
    async with run_emulator(config) as emulator, stdio_server(emulator, tmp_path) as client:
        generation_id = await made_video(client)
        result, took = await timed_call(client, "download_generation", generation_id=generation_id)
    assert took <= LIMIT, took
    assert result.structured_content is not None and result.structured_content["status"] == "in_progress"


async def test_work_that_ignores_the_deadline_is_cut_off_a_second_after_it(emulator: Emulator, tmp_path: Path) -> None:
    """The last line of defence, for whatever inside a call does not keep to its deadline (a client that stops
    reading progress, say): the server stops the call a second after the deadline and says what to do next."""
    server = build_server(settings_for(emulator, tmp_path, max_wait=1.0))

    async def ignores_deadlines() -> str:
        await anyio.sleep(LATE)
        return "too late"

    server.add_tool(ignores_deadlines)
    async with Client(server) as client:
        began = anyio.current_time()
        with anyio.fail_after(LIMIT + 5):
            result = await client.call_tool("ignores_deadlines", {})
        took = anyio.current_time() - began
    assert 2.0 <= took <= 3.0, took
    assert result.is_error and "time limit" in text_of(result) and "list_generations" in text_of(result)
