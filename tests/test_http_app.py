"""The HTTP front door: who may reach the server, under which host names, with which token."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from luma_mcp import ConfigurationError, Settings, build_server
from luma_mcp.emulator.runner import serving
from luma_mcp.http_app import check_exposure, http_app
from tests.helpers import INITIALIZE

pytestmark = pytest.mark.anyio

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("host", "settings", "says"),
    [
        ("0.0.0.0", Settings(), "LUMA_MCP_AUTH_TOKEN"),
        ("192.0.2.10", Settings(), "LUMA_MCP_AUTH_TOKEN"),
        ("0.0.0.0", Settings(auth_token="t"), "LUMA_MCP_ALLOWED_HOSTS"),
    ],
)
def test_binding_beyond_loopback_needs_a_token_and_names(host: str, settings: Settings, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        check_exposure(host, settings)


@pytest.mark.parametrize(
    ("host", "settings"),
    [
        ("127.0.0.1", Settings()),
        ("192.0.2.10", Settings(auth_token="t")),
        ("0.0.0.0", Settings(auth_token="t", allowed_hosts=("mcp.example.com",))),
    ],
)
def test_safe_bindings_are_accepted(host: str, settings: Settings) -> None:
    check_exposure(host, settings)


async def test_a_remote_deployment_admits_its_own_name_with_the_token_and_nothing_else(tmp_path: Path) -> None:
    settings = Settings(output_dir=tmp_path, auth_token="s3cret", allowed_hosts=("mcp.example.com",))
    app = http_app(build_server(settings), "streamable-http", host="0.0.0.0", settings=settings)
    async with serving(app) as origin, httpx.AsyncClient() as http:

        async def post(**headers: str) -> int:
            response = await http.post(f"{origin}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers})
            return response.status_code

        assert await post(Host="mcp.example.com", Authorization="bearer s3cret") == 200
        assert await post(Host="mcp.example.com:8443", Authorization="Bearer s3cret") == 200
        assert await post(Host="mcp.example.com", Authorization="Bearer wrong") == 401
        assert await post(Host="mcp.example.com") == 401
        assert await post(Host="evil.example", Authorization="Bearer s3cret") == 421
        assert await post(Host="mcp.example.com", Authorization="Bearer s3cret", Origin="https://evil.example") == 403
