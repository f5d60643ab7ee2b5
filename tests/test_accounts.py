"""Several people on one HTTP server, each with their own Luma key: nobody sees, hears of or disturbs another's
account, and one client that stops reading stalls nobody else."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.subscriptions import ResourceUpdated
from mcp.types import ResourceUpdatedNotification

from luma_mcp import build_server
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import EmulatorConfig, Fault, run_emulator
from luma_mcp.emulator.runner import serving
from luma_mcp.http_app import http_app
from luma_mcp.subscriptions import SEND_TIMEOUT
from tests.helpers import INITIALIZE, settings_for, text_of
from tests.test_end_to_end import http_server, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:resources/")]

OPERATOR, BOB = "luma-key-operator", "luma-key-bob"
TWO_ACCOUNTS = EmulatorConfig(api_keys=(OPERATOR, BOB), queued_seconds=0.05, dreaming_seconds=0.3)
JSON_AND_SSE = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@asynccontextmanager
async def client_with(url: str, headers: dict[str, Any], **options: Any) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=60.0)) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http), **options) as client:
            yield client


class Heard:
    """The resource URIs a client was told about, in order."""

    def __init__(self) -> None:
        self.uris: list[str] = []

    async def __call__(self, message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            self.uris.append(message.params.uri)

    async def until(self, uri: str) -> list[str]:
        with anyio.fail_after(10):
            while uri not in self.uris:
                await anyio.sleep(0.01)
        return self.uris[: self.uris.index(uri) + 1]


async def create(client: Client, prompt: str) -> str:
    result = await client.call_tool("create_generation", {"prompt": prompt, "wait": False})
    assert not result.is_error and result.structured_content is not None, text_of(result)
    generation_id: str = result.structured_content["id"]
    return generation_id


async def test_each_caller_reads_and_hears_only_its_own_account(tmp_path: Path) -> None:
    async with run_emulator(TWO_ACCOUNTS) as emulator:
        env = server_env(emulator, tmp_path, LUMA_API_KEY=OPERATOR)
        async with http_server("streamable-http", env, tmp_path / "server.log") as url:
            operator_heard, bob_heard = Heard(), Heard()
            async with (
                client_with(url, {}, mode="legacy", message_handler=operator_heard) as operator,
                client_with(url, {"X-Luma-Api-Key": BOB}, mode="legacy", message_handler=bob_heard) as bob,
            ):
                secret = await create(operator, "the operator's private video")
                secret_uri = f"luma://generations/{secret}"
                operator_listing = await operator.read_resource("luma://generations")
                bob_listing = await bob.read_resource("luma://generations")
                operator_recent = json.loads(getattr(operator_listing.contents[0], "text", ""))
                bob_recent = json.loads(getattr(bob_listing.contents[0], "text", ""))
                with pytest.raises(MCPError):
                    await bob.read_resource(secret_uri)

                for client in (operator, bob):
                    await client.subscribe_resource(secret_uri)
                    await client.subscribe_resource("luma://generations")
                await operator.call_tool("delete_generation", {"generation_id": secret})
                await operator_heard.until(secret_uri)
                # Bob's own change comes after the operator's in the server's one ordered stream of changes, so
                # had the operator's reached Bob, it would be in what Bob heard before his own.
                await create(bob, "bob's own video")
                bob_before_his_own = await bob_heard.until("luma://generations")
    assert [item["id"] for item in operator_recent] == [secret]
    assert bob_recent == []
    assert secret_uri in operator_heard.uris
    assert bob_before_his_own == ["luma://generations"]


async def test_a_2026_listener_hears_only_its_own_account(tmp_path: Path) -> None:
    async with run_emulator(TWO_ACCOUNTS) as emulator:
        env = server_env(emulator, tmp_path, LUMA_API_KEY=OPERATOR)
        async with http_server("streamable-http", env, tmp_path / "server.log") as url:
            async with client_with(url, {}) as operator, client_with(url, {"X-Luma-Api-Key": BOB}) as bob:
                secret = await create(operator, "the operator's private video")
                secret_uri = f"luma://generations/{secret}"
                heard: list[str] = []
                async with bob.listen(resource_subscriptions=["luma://generations", secret_uri]) as stream:
                    await operator.call_tool("delete_generation", {"generation_id": secret})
                    await create(bob, "bob's own video")
                    with anyio.fail_after(10):
                        async for event in stream:
                            assert isinstance(event, ResourceUpdated)
                            heard.append(event.uri)
                            if event.uri == "luma://generations":
                                break
    assert heard == ["luma://generations"]


@pytest.mark.parametrize(("header", "says"), [(b"", b"is empty"), ("lüma-key".encode(), b"printable ASCII")])
async def test_an_empty_or_non_ascii_key_header_is_a_clear_error(tmp_path: Path, header: bytes, says: bytes) -> None:
    async with run_emulator(TWO_ACCOUNTS) as emulator:
        env = server_env(emulator, tmp_path, LUMA_API_KEY=OPERATOR)
        async with http_server("streamable-http", env, tmp_path / "server.log") as url:
            sent = [
                *((name.encode(), value.encode()) for name, value in JSON_AND_SSE.items()),
                (b"X-Luma-Api-Key", header),
            ]
            async with httpx.AsyncClient(base_url=url, headers=sent) as http:
                session = (await http.post("/mcp", json=INITIALIZE)).headers["mcp-session-id"]
                headers = {"Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-11-25"}
                await http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)

                async def ask(method: str, params: dict[str, Any]) -> httpx.Response:
                    request = {"jsonrpc": "2.0", "id": 2, "method": method, "params": params}
                    return await http.post("/mcp", headers=headers, json=request)

                tool = await ask("tools/call", {"name": "list_generations", "arguments": {}})
                resource = await ask("resources/read", {"uri": "luma://generations"})
    assert b'"isError":true' in tool.content and b"X-Luma-Api-Key" in tool.content and says in tool.content
    assert b'"code":-32602' in resource.content and says in resource.content
    assert emulator.requests == [], "nothing reached Luma, least of all with the operator's key"


async def test_made_up_keys_never_close_an_account_mid_create(tmp_path: Path) -> None:
    """65+ made-up keys while a real user's create is in flight: the create still answers with its video."""
    async with run_emulator(TWO_ACCOUNTS) as emulator:
        emulator.inject(Fault(method="POST", path="/generations/video", delay=3.0, status=None))
        env = server_env(emulator, tmp_path)
        env.pop("LUMA_API_KEY")
        async with http_server("streamable-http", env, tmp_path / "server.log") as url:
            outcome: dict[str, Any] = {}

            async def real_user() -> None:
                async with client_with(url, {"X-Luma-Api-Key": BOB}) as bob:
                    result = await bob.call_tool("create_generation", {"prompt": "bob's video", "wait": False})
                    outcome["text"], outcome["error"] = text_of(result), result.is_error

            async def made_up(number: int) -> None:
                async with client_with(url, {"X-Luma-Api-Key": f"luma-{secrets.token_hex(8)}-{number}"}) as client:
                    await client.call_tool("list_concepts", {})

            async with anyio.create_task_group() as group:
                group.start_soon(real_user)
                with anyio.fail_after(10):
                    while not emulator.requests_for("POST", "/generations/video"):
                        await anyio.sleep(0.01)
                for batch in range(0, 80, 8):
                    async with anyio.create_task_group() as flood:
                        for number in range(batch, batch + 8):
                            flood.start_soon(made_up, number)
    assert outcome["error"] is False, outcome["text"]
    assert len(emulator.requests_for("POST", "/generations/video")) == 1


async def test_a_subscriber_that_stops_reading_stalls_nobody_else(
    emulator: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A 2025-era session subscribes, opens its event stream and never reads it. Everyone else's paid calls,
    which each announce a change, keep answering at once, and the stalled subscriber is dropped.

    Small socket buffers on both ends make the stalled connection fill after a few hundred notifications."""
    settings = settings_for(emulator, tmp_path)
    app = http_app(
        build_server(settings, limits=CreateLimits(per_window=0, max_in_flight=0)),
        "streamable-http",
        host="127.0.0.1",
        settings=settings,
    )
    async with (
        serving(app, send_buffer=4096) as origin,
        httpx.AsyncClient(base_url=origin, headers=JSON_AND_SSE) as http,
    ):
        session = (await http.post("/mcp", json=INITIALIZE)).headers["mcp-session-id"]
        headers = {"Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-11-25"}
        await http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
        subscribe = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "resources/subscribe",
            "params": {"uri": "luma://generations"},
        }
        assert (await http.post("/mcp", json=subscribe, headers=headers)).status_code == 200
        host, port = origin.removeprefix("http://").split(":")
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        stalled.connect((host, int(port)))
        stalled.sendall(
            f"GET /mcp HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\nMcp-Session-Id: {session}\r\n"
            "Mcp-Protocol-Version: 2025-11-25\r\n\r\n".encode()
        )
        try:
            async with Client(f"{origin}/mcp") as other:
                for number in range(1000):
                    with anyio.fail_after(5):
                        await create(other, f"someone else's video number {number}")
            with anyio.fail_after(SEND_TIMEOUT + 5):
                while "stopped reading" not in caplog.text:
                    await anyio.sleep(0.05)
        finally:
            stalled.close()
