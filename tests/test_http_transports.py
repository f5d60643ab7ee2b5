"""The HTTP transports under load they did not ask for: many connections, half-sent requests, abandoned sessions.
Limits are proved at small numbers here; bench/ measures them at scale."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.types import CallToolResult

from luma_mcp import ConfigurationError, Settings, build_server
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator
from luma_mcp.emulator.runner import serving
from luma_mcp.http_app import RepeatedMessageFilter, http_app
from tests.helpers import FAST_POLLS, INITIALIZE, settings_for
from tests.test_end_to_end import http_server, server_env

pytestmark = pytest.mark.anyio

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
HALF_A_REQUEST_LINE = b"POST /mcp HT"


async def test_sse_connections_share_one_create_queue(emulator: Emulator, tmp_path: Path) -> None:
    """Luma's per-account limit holds across connections: a burst over two SSE connections sends no more creates
    than one queue allows."""
    settings = settings_for(emulator, tmp_path, max_wait=5.0)
    server = build_server(settings, schedule=FAST_POLLS, limits=CreateLimits(per_window=2, window=60.0))
    results: list[CallToolResult] = []

    async def create(client: Client, prompt: str) -> None:
        results.append(await client.call_tool("create_generation", {"prompt": prompt}))

    async with serving(http_app(server, "sse", host="127.0.0.1", settings=settings)) as origin:
        async with Client(sse_client(f"{origin}/sse")) as first, Client(sse_client(f"{origin}/sse")) as second:
            async with anyio.create_task_group() as burst:
                for n in range(3):
                    burst.start_soon(create, first, f"first connection, shot {n}")
                    burst.start_soon(create, second, f"second connection, shot {n}")
    assert len(emulator.requests_for("POST", "/generations/video")) == 2
    assert sorted(result.is_error for result in results) == [False, False, True, True, True, True]


async def test_the_lifespan_opens_once_and_closes_once_per_sse_process(emulator: Emulator, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    env = server_env(emulator, tmp_path, LUMA_MCP_LOG_LEVEL="INFO")
    async with http_server("sse", env, log) as url:
        async with Client(sse_client(f"{url}/sse")) as first, Client(sse_client(f"{url}/sse")) as second:
            assert not (await first.call_tool("get_credits", {})).is_error
            assert not (await second.call_tool("get_credits", {})).is_error
    text = log.read_text()
    assert text.count("Opened the Luma connections") == 1, text
    assert text.count("Closed the Luma connections") == 1, text


async def closed_by_server(connection: socket.socket, *, within: float) -> bool:
    """Whether the server closes this connection (EOF or reset) within `within` seconds, without answering."""
    connection.settimeout(within)
    try:
        return await anyio.to_thread.run_sync(connection.recv, 1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def half_sent_request(url: str, start: bytes = HALF_A_REQUEST_LINE) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall(start)
    return connection


def headers_then_a_trickle(url: str) -> bytes:
    """Whole headers promising a body, and one byte of it: the rest would follow a byte at a time."""
    host = url.removeprefix("http://")
    return (
        f"POST /mcp HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\nContent-Length: 400\r\n\r\n{"
    ).encode()


@pytest.mark.parametrize("slow_part", ["request line", "body"])
async def test_a_half_sent_request_is_dropped_after_the_request_timeout(
    emulator: Emulator, tmp_path: Path, slow_part: str
) -> None:
    env = server_env(emulator, tmp_path, LUMA_MCP_HTTP_REQUEST_TIMEOUT="1")
    async with http_server("streamable-http", env, tmp_path / "server.log") as url:
        start = HALF_A_REQUEST_LINE if slow_part == "request line" else headers_then_a_trickle(url)
        with half_sent_request(url, start) as slow:
            started = anyio.current_time()
            assert await closed_by_server(slow, within=5)
            assert anyio.current_time() - started >= 0.9


async def test_at_the_connection_limit_a_new_client_pushes_out_one_that_never_finished_its_request(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Half-sent requests fill the limit; a real client still gets in at once, and the connection that has waited
    longest for its request is closed for it, long before the request timeout."""
    env = server_env(emulator, tmp_path, LUMA_MCP_HTTP_MAX_CONNECTIONS="2", LUMA_MCP_HTTP_REQUEST_TIMEOUT="60")
    async with http_server("streamable-http", env, tmp_path / "server.log") as url:
        with half_sent_request(url) as slow:
            await anyio.sleep(0.1)
            with half_sent_request(url):
                await anyio.sleep(0.1)
                async with httpx.AsyncClient() as http:
                    admitted = await http.post(f"{url}/mcp", json=INITIALIZE, headers=ACCEPT)
                assert await closed_by_server(slow, within=2)
    assert admitted.status_code == 200


async def test_abandoned_sessions_time_out_and_let_new_clients_in(emulator: Emulator, tmp_path: Path) -> None:
    env = server_env(
        emulator,
        tmp_path,
        LUMA_MCP_MAX_WAIT="0.5",
        LUMA_MCP_HTTP_SESSION_IDLE_TIMEOUT="1",
        LUMA_MCP_HTTP_MAX_SESSIONS="2",
    )
    async with http_server("streamable-http", env, tmp_path / "server.log") as url:
        async with httpx.AsyncClient() as http:

            async def open_session() -> int:
                return (await http.post(f"{url}/mcp", json=INITIALIZE, headers=ACCEPT)).status_code

            assert [await open_session(), await open_session()] == [200, 200]  # then abandoned, never deleted
            assert await open_session() == 503
            with anyio.fail_after(10):
                while await open_session() != 200:
                    await anyio.sleep(0.2)


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, args, sys.exc_info())


def test_a_repeated_log_line_passes_once_per_interval_with_a_count_of_the_rest() -> None:
    now = [0.0]
    repeats = RepeatedMessageFilter(interval=10.0, clock=lambda: now[0])
    accept_failed = "socket.accept() out of system resource"
    passed = [repeats.filter(record(accept_failed)) for _ in range(1000)]
    assert passed == [True] + [False] * 999
    assert repeats.filter(record("a different message"))
    now[0] = 10.5
    later = record(accept_failed)
    assert repeats.filter(later)
    assert later.getMessage() == f"{accept_failed} (999 more like it in the last 10 s)"
    assert not repeats.filter(record(accept_failed))
    retry_failed = "Exception in callback BaseSelectorEventLoop._start_serving(...)"
    assert repeats.filter(record(f"{retry_failed}\nhandle: <TimerHandle when=1.5>"))
    assert not repeats.filter(record(f"{retry_failed}\nhandle: <TimerHandle when=2.5>"))


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("LUMA_MCP_HTTP_REQUEST_TIMEOUT", "soon", "must be a number of seconds, not 'soon'"),
        ("LUMA_MCP_HTTP_REQUEST_TIMEOUT", "0", "must be more than 0 and at most 86400 seconds"),
        ("LUMA_MCP_HTTP_MAX_CONNECTIONS", "many", "must be a whole number, not 'many'"),
        ("LUMA_MCP_HTTP_MAX_SESSIONS", "0", "must be at least 1"),
        ("LUMA_MCP_HTTP_SESSION_IDLE_TIMEOUT", "45", "must be longer than LUMA_MCP_MAX_WAIT"),
    ],
)
def test_a_bad_http_limit_is_refused_naming_the_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{variable} .*{says}"):
        Settings.from_env({variable: value})


def test_sessions_outlive_the_longest_tool_call_by_default() -> None:
    assert Settings.from_env({}).http_session_idle_timeout == 300
    assert Settings.from_env({"LUMA_MCP_MAX_WAIT": "600"}).http_session_idle_timeout == 660
