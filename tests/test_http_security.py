"""HTTP deployments: an optional bearer token in front of the server, and per-request Luma keys that keep
several users' generations apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from luma_mcp.emulator import EmulatorConfig, run_emulator
from tests.helpers import INITIALIZE, TOOL_NAMES
from tests.test_end_to_end import http_server, server_env

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def client_with(url: str, headers: dict[str, str]) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=60.0)) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            yield client


async def test_with_an_auth_token_only_bearers_get_in(tmp_path: Path) -> None:
    async with run_emulator(EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.2)) as emulator:
        env = server_env(emulator, tmp_path, LUMA_MCP_AUTH_TOKEN="s3cret-token")
        async with http_server("streamable-http", env, tmp_path / "server.log") as url:
            async with httpx.AsyncClient() as http:
                headers = {"Accept": "application/json, text/event-stream"}
                anonymous = await http.post(f"{url}/mcp", json=INITIALIZE, headers=headers)
                wrong = await http.post(
                    f"{url}/mcp", json=INITIALIZE, headers={**headers, "Authorization": "Bearer guess"}
                )
            async with client_with(url, {"Authorization": "Bearer s3cret-token"}) as client:
                tools = (await client.list_tools()).tools
    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert {tool.name for tool in tools} == TOOL_NAMES
    assert "s3cret-token" not in (tmp_path / "server.log").read_text()


async def test_each_caller_uses_its_own_luma_key_and_sees_only_its_own_videos(tmp_path: Path) -> None:
    config = EmulatorConfig(api_keys=("luma-key-alice", "luma-key-bob"), queued_seconds=0.05, dreaming_seconds=0.2)
    async with run_emulator(config) as emulator:
        env = server_env(emulator, tmp_path)
        env.pop("LUMA_API_KEY")
        async with http_server("streamable-http", env, tmp_path / "server.log") as url:
            async with client_with(url, {"X-Luma-Api-Key": "luma-key-alice"}) as alice:
                made = await alice.call_tool("create_generation", {"prompt": "alice's video"})
                assert made.structured_content is not None
                video_id = made.structured_content["id"]
                alice_list = await alice.call_tool("list_generations", {})
            async with client_with(url, {"X-Luma-Api-Key": "luma-key-bob"}) as bob:
                bob_list = await bob.call_tool("list_generations", {})
                bob_get = await bob.call_tool("get_generation", {"generation_id": video_id})
            async with client_with(url, {}) as nobody:
                keyless = await nobody.call_tool("list_generations", {})
        keys_used = {request.api_key for request in emulator.requests}
        alice_requests = [request for request in emulator.requests if request.api_key == "luma-key-alice"]
    assert made.structured_content["state"] == "completed"
    assert alice_list.structured_content is not None and bob_list.structured_content is not None
    assert [item["id"] for item in alice_list.structured_content["generations"]] == [video_id]
    assert bob_list.structured_content["generations"] == []
    assert bob_get.is_error
    assert keyless.is_error and "LUMA_API_KEY" in str(keyless.content)
    assert keys_used == {"luma-key-alice", "luma-key-bob"}
    assert any(request.method == "POST" for request in alice_requests)
    log = (tmp_path / "server.log").read_text()
    assert "luma-key-alice" not in log and "luma-key-bob" not in log
