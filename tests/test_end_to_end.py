"""The installed `luma-mcp` command, launched as MCP clients launch it (stdio, Streamable HTTP, SSE), against
the emulator. These tests see only what a real client sees."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import Process
from mcp import Client, StdioServerParameters, stdio_client
from mcp.client.sse import sse_client

from luma_mcp.emulator import Emulator
from luma_mcp.emulator.assets import sample_bytes
from tests.helpers import TOOL_NAMES, text_of

pytestmark = pytest.mark.anyio

SERVER = [sys.executable, "-m", "luma_mcp"]


def server_env(emulator: Emulator, output_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "LUMA_API_KEY": emulator.api_key,
        "LUMA_BASE_URL": emulator.base_url,
        "LUMA_MCP_OUTPUT_DIR": str(output_dir),
        "LUMA_MCP_STATE_DIR": str(output_dir / ".state"),
        "LUMA_MCP_MAX_WAIT": "20",
        "LUMA_MCP_LOG_LEVEL": "DEBUG",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def http_server(transport: str, env: dict[str, str], log: Path) -> AsyncIterator[str]:
    """Start `luma-mcp --transport ...` and yield its base URL once it accepts connections."""
    async with http_server_process(transport, env, log) as (_, url):
        yield url


@asynccontextmanager
async def http_server_process(transport: str, env: dict[str, str], log: Path) -> AsyncIterator[tuple[Process, str]]:
    """`http_server`, for tests that signal the process themselves."""
    port = free_port()
    with log.open("wb") as errors:
        process: Process = await anyio.open_process(
            [*SERVER, "--transport", transport, "--port", str(port)],
            env={**os.environ, **env},
            stdout=errors,
            stderr=errors,
        )
        try:
            with anyio.fail_after(20):
                while True:
                    try:
                        await (await anyio.connect_tcp("127.0.0.1", port)).aclose()
                        break
                    except OSError:
                        await anyio.sleep(0.1)
            yield process, f"http://127.0.0.1:{port}"
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()


async def exercise_every_tool(client: Client, emulator: Emulator) -> list[str]:
    """Calls each tool once, as an assistant would in a session; returns every text the client received."""
    texts: list[str] = []
    reported: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reported.append(progress)

    async def call(tool: str, **arguments: Any) -> dict[str, Any]:
        result = await client.call_tool(tool, arguments, progress_callback=on_progress)
        texts.append(text_of(result))
        assert not result.is_error, text_of(result)
        content: dict[str, Any] = result.structured_content
        assert content is not None
        return content

    assert {tool.name for tool in (await client.list_tools()).tools} == TOOL_NAMES
    assert "dolly_zoom" in (await call("list_concepts"))["concepts"]
    assert (await call("list_camera_motions"))["camera_motions"]
    video = await call("create_generation", prompt="a tiger walking in snow", aspect_ratio="9:16")
    assert video["state"] == "completed" and video["video_url"]
    assert reported and reported[-1] == 100.0
    extended = await call("extend_generation", generation_id=video["id"], prompt="it looks back", direction="backward")
    assert extended["state"] == "completed"
    assert (await call("get_generation", generation_id=extended["id"]))["state"] == "completed"
    assert len((await call("list_generations"))["generations"]) == 2
    saved = await call("download_generation", generation_id=video["id"])
    assert Path(saved["video_path"]).read_bytes()[4:8] == b"ftyp"
    modified = await call("edit_video", video=video["id"], prompt="as a watercolour", strength="adhere_1")
    assert modified["video_url"] and modified["estimated_cost_usd"] == 1.75
    reframed = await call("reframe_video", video=video["id"], aspect_ratio="9:21", prompt="more sky", grid_position_y=5)
    assert reframed["video_url"] and reframed["model"] == "ray-2"
    photo = await call("reframe_image", image="https://example.com/kite.jpg", aspect_ratio="21:9")
    assert photo["image_url"] and photo["estimated_cost_usd"] == 0.0104
    assert (await call("upscale_generation", generation_id=video["id"], resolution="4k"))["state"] == "completed"
    assert (await call("add_audio", generation_id=video["id"], prompt="wind"))["state"] == "completed"
    image = await call("generate_image", prompt="a lighthouse", image_refs=[{"image": video["id"], "weight": 0.4}])
    assert (image["model"], image["estimated_cost_usd"]) == ("photon-1", 0.0104) and image["image_url"]
    edited = await call("edit_image", image=image["id"], prompt="make it night", weight=0.1)
    assert edited["state"] == "completed" and edited["image_url"] not in (None, image["image_url"])
    assert (await call("get_credits"))["credit_balance_cents"] > 0
    assert (await call("delete_generation", generation_id=extended["id"]))["deleted"] is True
    resource = await client.read_resource(f"luma://generations/{video['id']}")
    texts.extend(getattr(content, "text", "") for content in resource.contents)
    failed = await client.call_tool("get_generation", {"generation_id": "not-a-uuid"})
    assert failed.is_error
    texts.append(text_of(failed))
    assert emulator.requests, "the server really talked to the emulator"
    return texts


async def test_every_tool_over_stdio_and_the_key_never_leaks(emulator: Emulator, tmp_path: Path) -> None:
    stderr_path = tmp_path / "stderr.log"
    params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=server_env(emulator, tmp_path / "out"))
    with stderr_path.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            texts = await exercise_every_tool(client, emulator)
    stderr = stderr_path.read_text()
    assert stderr, "DEBUG logging wrote something to stderr"
    assert emulator.api_key not in stderr
    assert all(emulator.api_key not in text for text in texts)


async def test_a_rejected_key_is_not_echoed_over_stdio(emulator: Emulator, tmp_path: Path) -> None:
    secret = "luma-this-key-is-secret-42"
    params = StdioServerParameters(
        command=SERVER[0], args=SERVER[1:], env=server_env(emulator, tmp_path, LUMA_API_KEY=secret)
    )
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            result = await client.call_tool("create_generation", {"prompt": "a cat"})
    assert result.is_error and "LUMA_API_KEY" in text_of(result)
    assert secret not in text_of(result) and secret not in stderr_path.read_text()


async def test_every_tool_over_streamable_http(emulator: Emulator, tmp_path: Path) -> None:
    env = server_env(emulator, tmp_path / "out")
    async with http_server("streamable-http", env, tmp_path / "server.log") as url:
        async with Client(f"{url}/mcp") as client:
            texts = await exercise_every_tool(client, emulator)
    assert all(emulator.api_key not in text for text in texts)
    assert emulator.api_key not in (tmp_path / "server.log").read_text()


async def exercise_the_agents_tools(client: Client, photo: Path) -> list[str]:
    """Every tool only the Agents API serves, a local photo among the images; the texts the model read."""
    texts: list[str] = []

    async def call(tool: str, **arguments: Any) -> dict[str, Any]:
        result = await client.call_tool(tool, arguments)
        texts.append(text_of(result))
        assert not result.is_error, text_of(result)
        content: dict[str, Any] = result.structured_content or {}
        return content

    image = await call("generate_image", prompt="a red kite over a beach", aspect_ratio="16:9")
    assert image["image_url"] and image["estimated_cost_usd"] == 0.0404
    assert (await call("edit_image", image=image["id"], prompt="add a second kite", image_refs=[str(photo)]))[
        "image_url"
    ]
    layers = await call("split_image_layers", image=image["id"])
    assert [output["label"] for output in layers["outputs"]] == ["subject", "props", "background"]
    saved = await call("download_generation", generation_id=layers["id"])
    assert len(saved["image_paths"]) == 3 and all(Path(path).is_file() for path in saved["image_paths"])
    video = await call("create_generation", prompt="waves rolling in", keyframes=[{"image": str(photo), "frame": 0}])
    assert video["model"] == "ray-3.2" and video["state"] == "completed"
    assert (await call("edit_video", video=video["id"], prompt="as a watercolour"))["video_url"]
    assert (await call("reframe_video", video=video["id"], aspect_ratio="9:16", prompt="more sky"))["video_url"]
    return texts


@pytest.mark.parametrize("transport", ["stdio", "streamable-http"])
async def test_the_agents_tools_over_each_transport_with_an_agents_key(
    emulator: Emulator, tmp_path: Path, transport: str
) -> None:
    """With an Agents key alone (in LUMA_API_KEY, told apart by its prefix), over stdio and over HTTP."""
    photo = tmp_path / "out" / "kite.png"
    photo.parent.mkdir()
    photo.write_bytes(sample_bytes("image.png"))
    env = server_env(
        emulator, tmp_path / "out", LUMA_AGENTS_BASE_URL=emulator.agents_base_url, LUMA_MCP_FIRST_LOOK="early"
    )
    env["LUMA_API_KEY"] = emulator.agents_api_key
    log = tmp_path / "server.log"
    if transport == "stdio":
        params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=env)
        with log.open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                texts = await exercise_the_agents_tools(client, photo)
    else:
        async with http_server("streamable-http", env, log) as url:
            async with Client(f"{url}/mcp") as client:
                texts = await exercise_the_agents_tools(client, photo)
    assert len(emulator.requests_for("POST", "/agents/v1/files")) == 1, "the photo, uploaded once"
    secrets = (emulator.api_key, emulator.agents_api_key)
    assert all(secret not in text for text in texts for secret in secrets)
    assert all(secret not in log.read_text() for secret in secrets)


async def test_sse_transport_serves_tools(emulator: Emulator, tmp_path: Path) -> None:
    async with http_server("sse", server_env(emulator, tmp_path), tmp_path / "server.log") as url:
        async with Client(sse_client(f"{url}/sse")) as client:
            result = await client.call_tool("create_generation", {"prompt": "a paper boat"})
    assert not result.is_error and result.structured_content is not None
    assert result.structured_content["state"] == "completed"


async def test_http_refuses_a_foreign_host_or_origin(emulator: Emulator, tmp_path: Path) -> None:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    async with http_server("streamable-http", server_env(emulator, tmp_path), tmp_path / "server.log") as url:
        async with httpx.AsyncClient() as http:
            foreign_host = await http.post(f"{url}/mcp", headers={**headers, "Host": "evil.example"}, json=request)
            foreign_origin = await http.post(
                f"{url}/mcp", headers={**headers, "Origin": "http://evil.example"}, json=request
            )
    assert foreign_host.status_code == 421
    assert foreign_origin.status_code == 403


async def test_stdout_carries_nothing_but_protocol_messages(emulator: Emulator, tmp_path: Path) -> None:
    """The SDK's client skips stray lines silently, so read the raw stream: every line must be JSON-RPC."""
    messages: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {
                "name": "create_generation",
                "arguments": {"prompt": "a raw stdio check"},
                "_meta": {"progressToken": 7},
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "get_generation", "arguments": {"generation_id": "bad"}},
        },
    ]
    env = {**os.environ, **server_env(emulator, tmp_path)}
    async with await anyio.open_process(SERVER, env=env, stderr=subprocess.DEVNULL) as process:
        assert process.stdin is not None and process.stdout is not None
        lines: list[str] = []
        buffer = b""
        with anyio.fail_after(30):
            for message in messages:
                await process.stdin.send((json.dumps(message) + "\n").encode())
                if "id" not in message:
                    continue
                while not any(json.loads(line).get("id") == message["id"] for line in lines):
                    buffer += await process.stdout.receive()
                    *complete, buffer = buffer.split(b"\n")
                    lines.extend(line.decode() for line in complete if line.strip())
        await process.stdin.aclose()
    parsed = [json.loads(line) for line in lines]
    assert all(message.get("jsonrpc") == "2.0" for message in parsed)
    assert any(message.get("method") == "notifications/progress" for message in parsed), parsed
    assert {message.get("id") for message in parsed} >= {1, 2, 3, 4}
