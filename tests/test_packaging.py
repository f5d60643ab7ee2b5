"""The distribution: a name on PyPI of its own, both commands, and a built wheel that `uvx` runs as a client would
launch it once published. `.ci/run` builds the wheel and points LUMA_MCP_BUILT_WHEEL at it."""

from __future__ import annotations

import os
import shutil
import tomllib
import zipfile
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client
from mcp.types import TextResourceContents

from luma_mcp import Settings, __version__, build_server
from luma_mcp.player import PLAYER_URI, player_html

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NAME = PROJECT["name"]
ENTRY_POINT = "luma_mcp.cli:main"
BUILT_WHEEL = os.environ.get("LUMA_MCP_BUILT_WHEEL")


def test_the_distribution_has_a_name_of_its_own_and_both_commands() -> None:
    """`luma-mcp` on PyPI is an unrelated project (Luma event discovery); `uvx <name>` must find this one."""
    assert NAME != "luma-mcp"
    assert PROJECT["scripts"] == {NAME: ENTRY_POINT, "luma-mcp": ENTRY_POINT}
    setup = (ROOT / "README.md").read_text().partition("## Client setup")[2]
    assert setup.index('"command": "uvx"') < setup.index('"command": "/path/to/luma-mcp"')
    assert f'"args": ["{NAME}"]' in setup and f"-- uvx {NAME}" in setup


@pytest.mark.skipif(BUILT_WHEEL is None, reason="LUMA_MCP_BUILT_WHEEL does not point at a built wheel")
async def test_uvx_runs_the_built_wheel_and_lists_its_tools(tmp_path: Path) -> None:
    wheel = Path(BUILT_WHEEL or "")
    assert wheel.name == f"{NAME.replace('-', '_')}-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read(f"{wheel.name.rsplit('-', 3)[0]}.dist-info/entry_points.txt").decode()
        shipped_player = archive.read("luma_mcp/player.html").decode()
    assert f"{NAME} = {ENTRY_POINT}" in entry_points and f"luma-mcp = {ENTRY_POINT}" in entry_points
    assert shipped_player == player_html()

    uvx = shutil.which("uvx")
    assert uvx is not None, "uvx comes with the dev extra's uv"
    # As a client launches it: no key yet (the server starts and lists its tools without one).
    env = {name: value for name, value in os.environ.items() if not name.startswith("LUMA")}
    env["LUMA_MCP_STATE_DIR"] = str(tmp_path / "state")
    params = StdioServerParameters(command=uvx, args=["--isolated", "--from", str(wheel), NAME], env=env)
    with (tmp_path / "stderr.log").open("w") as errlog, anyio.fail_after(240):  # the first run fetches dependencies
        async with Client(stdio_client(params, errlog=errlog)) as client:
            served = [tool.name for tool in (await client.list_tools()).tools]
            player = (await client.read_resource(PLAYER_URI)).contents[0]
    assert isinstance(player, TextResourceContents) and player.text == player_html()
    async with Client(build_server(Settings())) as client:
        assert served == [tool.name for tool in (await client.list_tools()).tools]
