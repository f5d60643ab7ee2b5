"""The inline player as the protocol shows it: which tools link it, how it is served, and the media hosts its
Content-Security-Policy allows. tests/test_player_browser.py plays it in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp.server.apps import APP_MIME_TYPE
from mcp.types import TextResourceContents

from luma_mcp import Settings
from luma_mcp.emulator import Emulator
from luma_mcp.errors import ConfigurationError
from luma_mcp.player import PLAYER_URI

from .helpers import TOOL_NAMES, connect, settings_for

pytestmark = pytest.mark.anyio

SHOWN = {
    "create_generation",
    "extend_generation",
    "upscale_generation",
    "add_audio",
    "generate_image",
    "edit_image",
    "split_image_layers",
    "edit_video",
    "reframe_video",
    "reframe_image",
    "get_generation",
}
LUMA_MEDIA = ["https://storage.cdn-luma.com", "https://*.amazonaws.com"]


async def read_player(settings: Settings) -> TextResourceContents:
    async with connect(settings) as client:
        contents = (await client.read_resource(PLAYER_URI)).contents
    assert len(contents) == 1 and isinstance(contents[0], TextResourceContents)
    return contents[0]


async def test_every_tool_that_starts_or_looks_at_a_generation_opens_the_player(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        tools = (await client.list_tools()).tools
    linked = {tool.name for tool in tools if (tool.meta or {}).get("ui") == {"resourceUri": PLAYER_URI}}
    assert linked == SHOWN
    assert all(tool.meta is None for tool in tools if tool.name not in SHOWN)
    assert SHOWN < TOOL_NAMES


async def test_the_player_is_one_self_contained_mcp_app(emulator: Emulator, tmp_path: Path) -> None:
    player = await read_player(settings_for(emulator, tmp_path))
    assert player.mime_type == APP_MIME_TYPE
    html = player.text
    assert html.startswith("<!DOCTYPE html>") and "ui/initialize" in html and "get_generation" in html
    # Nothing from elsewhere: no script, style sheet, font or frame by URL (a host's CSP would block it anyway).
    assert not re.search(r"<(script|link|iframe)[^>]*\b(src|href)=", html)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", html)


async def test_the_player_may_play_from_luma_and_from_the_emulator_on_this_machine(
    emulator: Emulator, tmp_path: Path
) -> None:
    player = await read_player(settings_for(emulator, tmp_path))
    origin = emulator.base_url.removesuffix("/dream-machine/v1")
    assert player.meta == {"ui": {"csp": {"resourceDomains": [*LUMA_MEDIA, origin]}, "prefersBorder": True}}


async def test_media_hosts_the_operator_names_are_added_and_remote_apis_are_not(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "LUMA_BASE_URL": "https://proxy.example.com/dream-machine/v1",
            "LUMA_MCP_OUTPUT_DIR": str(tmp_path),
            "LUMA_MCP_MEDIA_HOSTS": " https://media.example.com/, http://*.cdn.example.net:8443 ,,",
        }
    )
    assert settings.media_hosts == ("https://media.example.com", "http://*.cdn.example.net:8443")
    player = await read_player(settings)
    assert player.meta is not None
    assert player.meta["ui"]["csp"]["resourceDomains"] == [*LUMA_MEDIA, *settings.media_hosts]


async def test_the_agents_apis_media_host_is_a_setting_that_replaces_the_best_known_guess(tmp_path: Path) -> None:
    """Luma does not document where the Agents API's outputs are: an operator who knows narrows the guess."""
    environ = {"LUMA_MCP_OUTPUT_DIR": str(tmp_path), "LUMA_AGENTS_BASE_URL": "https://agents.lumalabs.ai/v1"}
    guessed = await read_player(Settings.from_env(environ))
    named = await read_player(
        Settings.from_env({**environ, "LUMA_MCP_AGENTS_MEDIA_HOSTS": "https://luma-outputs.s3.amazonaws.com"})
    )
    assert guessed.meta is not None and named.meta is not None
    assert "https://*.amazonaws.com" in guessed.meta["ui"]["csp"]["resourceDomains"]
    assert named.meta["ui"]["csp"]["resourceDomains"] == [
        "https://storage.cdn-luma.com",
        "https://luma-outputs.s3.amazonaws.com",
    ]


@pytest.mark.parametrize("setting", ["LUMA_MCP_MEDIA_HOSTS", "LUMA_MCP_AGENTS_MEDIA_HOSTS"])
@pytest.mark.parametrize(
    "value", ["media.example.com", "https://media.example.com/videos", "ftp://media.example.com", "https://*"]
)
def test_a_media_host_that_is_not_an_origin_is_refused_by_name(setting: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=setting) as refused:
        Settings.from_env({setting: f"https://fine.example.com,{value}"})
    assert repr(value) in str(refused.value) and "https://media.example.com" in str(refused.value)
