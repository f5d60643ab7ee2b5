"""`Settings.from_env`: which key goes to which Luma API, and where each API is."""

from __future__ import annotations

import pytest

from luma_mcp import ConfigurationError, Settings


@pytest.mark.parametrize(
    ("environ", "dream_machine", "agents"),
    [
        ({"LUMA_API_KEY": "luma-0123"}, "luma-0123", None),
        ({"LUMA_API_KEY": "luma-api-0123"}, None, "luma-api-0123"),
        ({"LUMAAI_API_KEY": "luma-0123"}, "luma-0123", None),
        ({"LUMA_API_KEY": "luma-api-a", "LUMAAI_API_KEY": "luma-b"}, "luma-b", "luma-api-a"),
        ({"LUMA_API_KEY": "luma-api-a", "LUMA_AGENTS_API_KEY": "luma-api-b"}, None, "luma-api-b"),
        ({"LUMA_API_KEY": "luma-a", "LUMA_AGENTS_API_KEY": "luma-api-b"}, "luma-a", "luma-api-b"),
        ({"LUMA_API_KEY": "  "}, None, None),
    ],
)
def test_each_key_goes_to_its_api(environ: dict[str, str], dream_machine: str | None, agents: str | None) -> None:
    settings = Settings.from_env(environ)
    assert (settings.api_key, settings.agents_api_key) == (dream_machine, agents)
    assert settings.api_keys == {api: key for api, key in (("dream-machine", dream_machine), ("agents", agents)) if key}


def test_each_api_has_its_own_base_url() -> None:
    settings = Settings.from_env({"LUMA_BASE_URL": "http://127.0.0.1:1/", "LUMA_AGENTS_BASE_URL": "http://a:2/v1/"})
    assert (settings.base_url, settings.agents_base_url) == ("http://127.0.0.1:1", "http://a:2/v1")
    assert Settings.from_env({}).agents_base_url == "https://agents.lumalabs.ai/v1"
    with pytest.raises(ConfigurationError, match="LUMA_AGENTS_BASE_URL"):
        Settings.from_env({"LUMA_AGENTS_BASE_URL": "agents.lumalabs.ai"})


def test_the_first_look_is_typical_unless_asked_early() -> None:
    assert Settings.from_env({}).first_look == "typical"
    assert Settings.from_env({"LUMA_MCP_FIRST_LOOK": " Early "}).first_look == "early"
    with pytest.raises(ConfigurationError, match=r"LUMA_MCP_FIRST_LOOK.*typical.*early"):
        Settings.from_env({"LUMA_MCP_FIRST_LOOK": "soon"})
