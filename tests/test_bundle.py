"""The Claude Desktop bundle: manifest.json agrees with the server, validates and packs with the official
`mcpb` CLI, and the packed bundle starts the way a client starts it."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from luma_mcp import Settings, __version__, build_server
from luma_mcp.emulator import Emulator
from luma_mcp.prompts import PROMPTS

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "manifest.json").read_text())
MCPB = "@anthropic-ai/mcpb@2.1.2"
REQUIRED = os.environ.get("LUMA_MCP_REQUIRE_OUTSIDE_CLIENTS") == "1"


def tool_or_skip(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{name} is required here (LUMA_MCP_REQUIRE_OUTSIDE_CLIENTS=1) but is not on PATH")
        pytest.skip(f"{name} is not installed")
    return path


async def test_the_manifest_lists_exactly_the_servers_tools_and_prompts() -> None:
    async with Client(build_server(Settings())) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
    assert MANIFEST["version"] == __version__
    assert MANIFEST["tools"] == [
        {"name": tool.name, "description": (tool.description or "").split("\n")[0]} for tool in tools
    ], "manifest.json's tools are out of date"
    templates = {prompt.__name__: prompt for prompt, _ in PROMPTS}
    expected_prompts = []
    for prompt in prompts:
        names = [argument.name for argument in prompt.arguments or []]
        text = templates[prompt.name](**{name: f"${{arguments.{name}}}" for name in names})
        expected_prompts.append(
            {"name": prompt.name, "description": prompt.description, "arguments": names, "text": text}
        )
    assert MANIFEST["prompts"] == expected_prompts, "manifest.json's prompts are out of date"


def test_every_user_setting_reaches_the_server_as_a_known_variable() -> None:
    env = MANIFEST["server"]["mcp_config"]["env"]
    assert env == {
        "LUMA_API_KEY": "${user_config.api_key}",
        "LUMA_AGENTS_API_KEY": "${user_config.agents_api_key}",
        "LUMA_MCP_OUTPUT_DIR": "${user_config.output_dir}",
        "LUMA_MCP_INPUT_DIRS": "${user_config.input_dir}",
        "LUMA_MCP_STATE_DIR": "${user_config.state_dir}",
        "LUMA_MCP_MAX_WAIT": "${user_config.max_wait}",
        "LUMA_MCP_CREATES_PER_MINUTE": "${user_config.creates_per_minute}",
        "LUMA_MCP_MAX_IN_FLIGHT": "${user_config.max_in_flight}",
        "LUMA_MCP_AGENTS_CREATES_PER_MINUTE": "${user_config.agents_creates_per_minute}",
        "LUMA_MCP_AGENTS_MAX_IN_FLIGHT": "${user_config.agents_max_in_flight}",
        "LUMA_MCP_PHOTON_CREATES_PER_MINUTE": "${user_config.photon_creates_per_minute}",
        "LUMA_MCP_PHOTON_MAX_IN_FLIGHT": "${user_config.photon_max_in_flight}",
        "LUMA_MCP_FIRST_LOOK": "${user_config.first_look}",
        "LUMA_MCP_MAX_SPEND_USD": "${user_config.max_spend_usd}",
        "LUMA_MCP_CONFIRM_ABOVE_USD": "${user_config.confirm_above_usd}",
        "LUMA_MCP_MEDIA_HOSTS": "${user_config.media_hosts}",
        "LUMA_MCP_AGENTS_MEDIA_HOSTS": "${user_config.agents_media_hosts}",
    }
    assert MANIFEST["user_config"]["api_key"]["sensitive"] is True
    assert MANIFEST["user_config"]["api_key"]["required"] is True
    assert MANIFEST["user_config"]["agents_api_key"]["sensitive"] is True
    given = {name: "/x" if name.endswith(("KEY", "DIR", "DIRS")) else "7" for name in env}
    given["LUMA_MCP_MEDIA_HOSTS"] = "https://media.example.com"
    given["LUMA_MCP_AGENTS_MEDIA_HOSTS"] = "https://outputs.example.com"
    settings = Settings.from_env({**given, "LUMA_MCP_FIRST_LOOK": "early"})
    assert settings.max_wait == 7.0 and settings.api_key == "/x" and settings.agents_api_key == "/x"
    assert settings.creates_per_minute == 7 and settings.max_in_flight == 7
    assert (settings.agents_creates_per_minute, settings.agents_max_in_flight, settings.first_look) == (7, 7, "early")
    assert (settings.max_spend_usd, settings.confirm_above_usd) == (7.0, 7.0)
    assert (settings.photon_creates_per_minute, settings.photon_max_in_flight) == (7, 7)
    assert settings.media_hosts == ("https://media.example.com",)
    assert settings.agents_media_hosts == ("https://outputs.example.com",)
    for left_blank in ("", None):  # None: the host passes the placeholder itself, as Claude Desktop does
        blank = Settings.from_env({name: value if left_blank is None else left_blank for name, value in env.items()})
        assert (blank.api_key, blank.agents_api_key, blank.input_dirs) == (None, None, ())
        assert (blank.agents_max_in_flight, blank.first_look, blank.max_wait) == (0, "typical", Settings().max_wait)
        assert blank.state_dir == Settings.from_env({}).state_dir
        assert (blank.max_spend_usd, blank.confirm_above_usd, blank.media_hosts) == (None, None, ())
        assert blank.agents_media_hosts == ("https://*.amazonaws.com",)
    assert settings.input_folders == (Path("/x"),)
    assert MANIFEST["user_config"]["input_dir"]["type"] == "directory"


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """Expand `${...}` the way an MCPB host does before it launches the server."""
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace(f"${{{name}}}", replacement)
        return value
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return {key: substitute(item, variables) for key, item in value.items()}


async def test_the_packed_bundle_validates_and_serves_tools(emulator: Emulator, tmp_path: Path) -> None:
    npx = tool_or_skip("npx")
    tool_or_skip("uv")
    validated = await anyio.run_process([npx, "-y", MCPB, "validate", str(ROOT / "manifest.json")], check=False)
    assert validated.returncode == 0, validated.stdout.decode() + validated.stderr.decode()
    bundle = tmp_path / "luma-mcp.mcpb"
    packed = await anyio.run_process([npx, "-y", MCPB, "pack", str(ROOT), str(bundle)], check=False)
    assert packed.returncode == 0, packed.stdout.decode() + packed.stderr.decode()

    installed = tmp_path / "installed"
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        archive.extractall(installed)
    assert "manifest.json" in names and "luma_mcp/server.py" in names and "pyproject.toml" in names
    assert not [name for name in names if name.startswith(("tests/", "bench/", ".ci"))]

    config = substitute(
        MANIFEST["server"]["mcp_config"],
        {
            "__dirname": str(installed),
            "user_config.api_key": emulator.api_key,
            "user_config.output_dir": str(tmp_path / "videos"),
            "user_config.input_dir": str(tmp_path / "photos"),
            "user_config.state_dir": str(tmp_path / "state"),
            "user_config.max_wait": "20",
            "user_config.creates_per_minute": "20",
            "user_config.max_in_flight": "10",
        },
    )
    # A host launches the command in the user's environment (PATH, certificates, proxies), plus the bundle's
    # variables; the one thing a real install would not have is the emulator standing in for Luma.
    env = {**os.environ, **config["env"], "LUMA_BASE_URL": emulator.base_url}
    params = StdioServerParameters(command=config["command"], args=config["args"], env=env)
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            tools = (await client.list_tools()).tools
            concepts = await client.call_tool("list_concepts", {})
    assert [tool["name"] for tool in MANIFEST["tools"]] == [tool.name for tool in tools]
    assert not concepts.is_error and concepts.structured_content is not None
    assert "dolly_zoom" in concepts.structured_content["concepts"]


DEBRIS = [
    ".hypothesis/examples/0a1b/2c3d",
    ".pytest_cache/v/cache/lastfailed",
    ".ci-venv/bin/python",
    ".ci-node/bin/node",
    ".venv/bin/python",
    "dist/luma_video_mcp-0.1.0-py3-none-any.whl",
    "build/lib/luma_mcp/server.py",
    "luma_video_mcp.egg-info/PKG-INFO",
    "luma_mcp/__pycache__/server.cpython-311.pyc",
    ".mypy_cache/3.11/luma_mcp/server.data.json",
    ".ruff_cache/0.6.0/123",
    ".coverage",
    ".coverage.host.123.456",
    "htmlcov/index.html",
    "luma-videos/a-video.mp4",
    "luma-mcp.mcpb",
    "server.log",
    ".env",
    "uv.lock",
]


async def test_the_bundle_leaves_out_tests_tools_and_test_debris(tmp_path: Path) -> None:
    """Packed from a checkout that has been tested and built in, the bundle holds the package and its four files."""
    npx = tool_or_skip("npx")
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "luma_mcp", checkout / "luma_mcp", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("tests", "bench", ".ci"):
        shutil.copytree(ROOT / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    for name in ("manifest.json", "pyproject.toml", "README.md", "icon.png", ".mcpbignore", ".gitignore"):
        shutil.copy(ROOT / name, checkout / name)
    package = {f"luma_mcp/{path.relative_to(checkout / 'luma_mcp')}" for path in (checkout / "luma_mcp").rglob("*")}
    for name in DEBRIS:
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text("debris")

    bundle = tmp_path / "luma-mcp.mcpb"
    packed = await anyio.run_process([npx, "-y", MCPB, "pack", str(checkout), str(bundle)], check=False)
    assert packed.returncode == 0, packed.stdout.decode() + packed.stderr.decode()
    with zipfile.ZipFile(bundle) as archive:
        names = {name.rstrip("/") for name in archive.namelist()}
    expected = {"manifest.json", "pyproject.toml", "README.md", "icon.png"} | package
    assert sorted(names - expected) == []
    assert sorted(expected - names - {path for path in package if (checkout / path).is_dir()}) == []
