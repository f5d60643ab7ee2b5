"""Over the real HTTP transport, one client brings both a Dream Machine and an Agents key in its headers: it makes,
gets, lists and downloads a video on each API, and another client with keys of its own sees none of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import ResourceLink, ResourceTemplateReference

from luma_mcp.emulator import EmulatorConfig, run_emulator
from luma_mcp.emulator.agents.config import AgentsConfig
from tests.helpers import text_of
from tests.test_accounts import client_with
from tests.test_end_to_end import http_server, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:resources/")]

OPERATOR = "luma-key-operator"
ALICE = {"X-Luma-Api-Key": "luma-key-alice", "X-Luma-Agents-Api-Key": "luma-api-alice"}
BOB = {"X-Luma-Api-Key": "luma-key-bob", "X-Luma-Agents-Api-Key": "luma-api-bob"}
KEYS = EmulatorConfig(
    api_keys=(OPERATOR, ALICE["X-Luma-Api-Key"], BOB["X-Luma-Api-Key"]),
    agents=AgentsConfig(api_keys=(ALICE["X-Luma-Agents-Api-Key"], BOB["X-Luma-Agents-Api-Key"])),
    queued_seconds=0.05,
    dreaming_seconds=0.3,
)


GENERATION = ResourceTemplateReference(uri="luma://generations/{generation_id}")


def saved_paths(download: dict[str, Any]) -> list[str]:
    images: list[str] = download["image_paths"]
    return [path for path in (download["video_path"], download["thumbnail_path"]) if path] + images


async def tool(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, text_of(result)
    return result.structured_content or {}


async def test_one_client_with_both_key_headers_uses_both_apis_and_another_sees_none_of_it(tmp_path: Path) -> None:
    async with run_emulator(KEYS) as emulator:
        env = server_env(emulator, tmp_path, LUMA_API_KEY=OPERATOR, LUMA_AGENTS_BASE_URL=emulator.agents_base_url)
        async with (
            http_server("streamable-http", env, tmp_path / "server.log") as url,
            client_with(url, ALICE) as alice,
            client_with(url, BOB) as bob,
        ):
            ray2 = await tool(alice, "create_generation", {"prompt": "a ray-2 video", "model": "ray-2", "wait": False})
            ray3 = await tool(
                alice, "create_generation", {"prompt": "a ray-3.2 video", "model": "ray-3.2", "wait": False}
            )
            ids = [ray2["id"], ray3["id"]]
            got = [await tool(alice, "get_generation", {"generation_id": id_, "wait": True}) for id_ in ids]
            listed = await tool(alice, "list_generations", {})
            saved = [await tool(alice, "download_generation", {"generation_id": id_}) for id_ in ids]
            looked = [await alice.call_tool("get_generation", {"generation_id": id_}) for id_ in ids]
            alice_completes = await alice.complete(GENERATION, {"name": "generation_id", "value": ""})

            emulator.clear_requests()
            bob_completes = await bob.complete(GENERATION, {"name": "generation_id", "value": ""})
            bob_gets = [await bob.call_tool("get_generation", {"generation_id": id_}) for id_ in ids]
            bob_downloads = [await bob.call_tool("download_generation", {"generation_id": id_}) for id_ in ids]
            bob_listed = await tool(bob, "list_generations", {})
            bob_listing = await bob.read_resource("luma://generations")
            bob_reads = []
            for id_ in ids:
                with pytest.raises(MCPError) as refused:
                    await bob.read_resource(f"luma://generations/{id_}")
                bob_reads.append(str(refused.value))

    assert [(result["api"], result["model"], result["state"]) for result in got] == [
        ("dream-machine", "ray-2", "completed"),
        ("agents", "ray-3.2", "completed"),
    ]
    assert sorted((item["id"], item["api"]) for item in listed["generations"]) == sorted(
        [(ray2["id"], "dream-machine"), (ray3["id"], "agents")]
    )
    assert [download["status"] for download in saved] == ["saved", "saved"]
    # Alice's results link her generations and the files she saved; completions offer her ids, and Bob none.
    assert [[link.uri for link in result.content if isinstance(link, ResourceLink)] for result in looked] == [
        [f"luma://generations/{id_}", *(Path(path).as_uri() for path in saved_paths(download))]
        for id_, download in zip(ids, saved, strict=True)
    ]
    assert sorted(alice_completes.completion.values) == sorted(ids)
    assert bob_completes.completion.values == []
    assert all(result.is_error and "not found" in text_of(result).lower() for result in bob_gets + bob_downloads)
    assert bob_listed["generations"] == []
    assert json.loads(getattr(bob_listing.contents[0], "text", "")) == []
    assert all(ids[n] in bob_reads[n] for n in range(2)), bob_reads
    # Bob's calls went to Luma with Bob's keys alone (neither Alice's, nor the operator's), on both APIs.
    assert {request.api_key for request in emulator.requests} == set(BOB.values())
