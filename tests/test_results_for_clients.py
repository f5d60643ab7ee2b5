"""What a client understands without the model: resource links in results, the server's and tools' icons, and
completions of prompt arguments and generation ids; through the official MCP client in memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, ResourceLink, TextContent

from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator
from tests.helpers import connect, settings_for, text_of
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio


def generation_link(generation_id: str) -> ResourceLink:
    return ResourceLink(
        name="generation",
        title=f"Luma generation {generation_id}",
        uri=f"luma://generations/{generation_id}",
        description="Its state and URLs, as Luma reports them when read.",
        mime_type="application/json",
    )


def file_link(path: Path, mime_type: str) -> ResourceLink:
    return ResourceLink(name=path.name, uri=path.as_uri(), mime_type=mime_type, size=path.stat().st_size)


def summary(result: CallToolResult) -> TextContent:
    """The result's first block, the summary the model reads (its wording is tested elsewhere)."""
    first = result.content[0]
    assert isinstance(first, TextContent) and first.text.startswith("Generation ")
    return first


async def call(client: Client, tool: str, **arguments: Any) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    return result


async def test_a_generation_result_links_the_generation_resource(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        started = await call(client, "create_generation", prompt="a tiger walking in snow", wait=False)
        generation_id = started.structured_content["id"]
        finished = await call(client, "get_generation", generation_id=generation_id, wait=True)
        read = await client.read_resource(f"luma://generations/{generation_id}")
    assert started.content == [summary(started), generation_link(generation_id)]
    assert finished.content == [summary(finished), generation_link(generation_id)]
    assert f'"id": "{generation_id}"' in getattr(read.contents[0], "text", "")


async def test_once_downloaded_a_generation_result_also_links_its_files(emulator: Emulator, tmp_path: Path) -> None:
    """The files the ledger says it was saved to, each with its size and type; a file since deleted is not linked."""
    async with connect(settings_for(emulator, tmp_path / "videos", state_dir=tmp_path / "state")) as client:
        made = await call(client, "create_generation", prompt="a tiger walking in snow")
        generation_id = made.structured_content["id"]
        downloaded = await call(client, "download_generation", generation_id=generation_id)
        video = Path(downloaded.structured_content["video_path"])
        thumbnail = Path(downloaded.structured_content["thumbnail_path"])
        files = [file_link(video, "video/mp4"), file_link(thumbnail, "image/jpeg")]
        looked = await call(client, "get_generation", generation_id=generation_id)
        thumbnail.unlink()
        after_delete = await call(client, "get_generation", generation_id=generation_id)
    assert made.content == [summary(made), generation_link(generation_id)]
    assert downloaded.content[1:] == [generation_link(generation_id), *files]
    assert looked.content == [summary(looked), generation_link(generation_id), *files]
    assert after_delete.content[1:] == [generation_link(generation_id), files[0]]


async def test_a_download_still_running_links_the_generation_and_no_file(tmp_path: Path) -> None:
    # The sample video is about 20 KB: at 8 KB/s it takes about 2.5 s, longer than a 1 s call.
    config = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.2, asset_bytes_per_second=8_000)
    async with run_emulator(config) as emulator, connect(settings_for(emulator, tmp_path, max_wait=1.0)) as client:
        made = await call(client, "create_generation", prompt="a slow river", wait=False)
        generation_id = made.structured_content["id"]
        await call(client, "get_generation", generation_id=generation_id, wait=True)
        downloading = await call(client, "download_generation", generation_id=generation_id)
    assert downloading.structured_content["status"] == "in_progress"
    assert downloading.content[1:] == [generation_link(generation_id)]


async def test_every_layer_of_a_split_is_linked_once_saved(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        image = await call(client, "generate_image", prompt="a fox in a meadow")
        split = await call(client, "split_image_layers", image=image.structured_content["id"])
        split_id = split.structured_content["id"]
        saved = await call(client, "download_generation", generation_id=split_id)
        looked = await call(client, "get_generation", generation_id=split_id)
    layers = [Path(path) for path in saved.structured_content["image_paths"]]
    assert len(layers) >= 2
    files = [file_link(path, "image/png") for path in layers]
    assert saved.content[1:] == [generation_link(split_id), *files]
    assert looked.content == [summary(looked), generation_link(split_id), *files]
