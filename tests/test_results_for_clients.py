"""What a client understands without the model: resource links in results, the server's and tools' icons, and
completions of prompt arguments and generation ids; through the official MCP client in memory."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import anyio
import pytest
from mcp import Client
from mcp.types import (
    CallToolResult,
    Completion,
    Icon,
    PromptReference,
    ResourceLink,
    ResourceTemplateReference,
    TextContent,
)

from luma_mcp.emulator import Emulator, EmulatorConfig, Fault, run_emulator
from luma_mcp.timing import TimePolicy
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


def svg_of(icon: Icon) -> ElementTree.Element:
    """The icon's picture, which travels inside it: a `data:` URI, nothing to fetch."""
    prefix = "data:image/svg+xml;base64,"
    assert icon.src.startswith(prefix) and icon.mime_type == "image/svg+xml" and icon.sizes == ["any"]
    svg = ElementTree.fromstring(base64.b64decode(icon.src.removeprefix(prefix)))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 512 512"
    return svg


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_server_names_its_website_and_shows_its_icon(emulator: Emulator, tmp_path: Path, mode: str) -> None:
    async with connect(settings_for(emulator, tmp_path), mode=mode) as client:
        info = client.server_info
    assert info is not None and info.website_url == "https://lumalabs.ai/dream-machine/api"
    assert info.icons is not None and len(info.icons) == 1
    svg_of(info.icons[0])


async def test_tools_that_make_something_show_what_they_make(emulator: Emulator, tmp_path: Path) -> None:
    """A video, an image, or a file on disk; the tools that only look something up show the server's icon."""
    async with connect(settings_for(emulator, tmp_path)) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
        info = client.server_info
    by_icon: dict[str, set[str]] = {}
    for tool in tools:
        if tool.icons:
            assert len(tool.icons) == 1
            svg_of(tool.icons[0])
            by_icon.setdefault(tool.icons[0].src, set()).add(tool.name)
    assert sorted(by_icon.values(), key=len) == [
        {"download_generation"},
        {"generate_image", "edit_image", "split_image_layers", "reframe_image"},
        {"create_generation", "extend_generation", "edit_video", "reframe_video", "upscale_generation", "add_audio"},
    ]
    assert info is not None and info.icons is not None and info.icons[0].src not in by_icon
    video_icon = next(src for src, names in by_icon.items() if "create_generation" in names)
    assert [[icon.src for icon in prompt.icons or ()] for prompt in prompts] == [[video_icon], [video_icon]]


async def complete(
    client: Client, ref: PromptReference | ResourceTemplateReference, name: str, value: str, **chosen: str
) -> Completion:
    return (await client.complete(ref, {"name": name, "value": value}, chosen or None)).completion


async def test_prompt_arguments_complete_from_the_lineup_and_lumas_concepts(emulator: Emulator, tmp_path: Path) -> None:
    plan, story = PromptReference(name="plan_shot"), PromptReference(name="storyboard")
    async with connect(settings_for(emulator, tmp_path)) as client:
        assert client.server_capabilities.completions is not None
        models = await complete(client, plan, "model", "")
        rays = await complete(client, story, "model", "RAY-F")
        any_ratio = await complete(client, plan, "aspect_ratio", "")
        ray3_ratios = await complete(client, story, "aspect_ratio", "", model="ray-3.2")
        ray2_wide = await complete(client, plan, "aspect_ratio", "9:", model="ray-2")
        orbits = await complete(client, plan, "camera_concept", "orb")
        concepts = await complete(client, plan, "camera_concept", "")
        shots = await complete(client, story, "shots", "")
        idea = await complete(client, plan, "idea", "a t")
        unknown = await complete(client, PromptReference(name="no_such_prompt"), "model", "")
    assert models == Completion(values=["ray-3.2", "ray-2", "ray-flash-2"], total=3, has_more=False)
    assert rays.values == ["ray-flash-2"]
    assert any_ratio.values == ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"]
    assert ray3_ratios.values == ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"]
    assert ray2_wide.values == ["9:16", "9:21"]
    assert orbits.values == ["orbit_left", "orbit_right"]
    assert len(concepts.values) == concepts.total == 34 and concepts.values == sorted(concepts.values)
    assert {"dolly_zoom", "aerial_drone", "static"} <= set(concepts.values)
    assert shots.values == ["2", "3", "4", "5"]
    assert idea.values == unknown.values == []


async def test_a_generation_id_completes_from_the_callers_own_recent_generations(
    emulator: Emulator, tmp_path: Path
) -> None:
    template = ResourceTemplateReference(uri="luma://generations/{generation_id}")
    async with connect(settings_for(emulator, tmp_path)) as client:
        made = [await call(client, "create_generation", prompt=f"shot {n}", wait=False) for n in range(3)]
        ids = [result.structured_content["id"] for result in reversed(made)]  # newest first
        every = await complete(client, template, "generation_id", "")
        one = await complete(client, template, "generation_id", ids[1][:8].upper())
        other_template = await complete(
            client, ResourceTemplateReference(uri="luma://other/{generation_id}"), "generation_id", ""
        )
    assert every.values[:3] == ids
    assert one.values == [ids[1]]
    assert other_template.values == []


async def test_a_generation_id_completion_without_a_key_or_in_time_is_empty(emulator: Emulator, tmp_path: Path) -> None:
    """Never an error while a person types: no key, or Luma slower than the completion may wait, offers nothing."""
    template = ResourceTemplateReference(uri="luma://generations/{generation_id}")
    async with connect(settings_for(emulator, tmp_path, api_key=None)) as client:
        keyless = await complete(client, template, "generation_id", "")
    emulator.inject(Fault(delay=30.0, method="GET", path="/generations"))
    async with connect(settings_for(emulator, tmp_path)) as client:
        began = anyio.current_time()
        slow = await complete(client, template, "generation_id", "")
        took = anyio.current_time() - began
    assert keyless.values == slow.values == []
    assert took <= TimePolicy().completion + TimePolicy().overrun, took


async def test_the_prompts_take_the_model_and_camera_concept_a_person_picked(
    emulator: Emulator, tmp_path: Path
) -> None:
    picked = {"idea": "a tiger", "model": "ray-2", "camera_concept": "dolly_zoom", "aspect_ratio": "9:16"}
    async with connect(settings_for(emulator, tmp_path)) as client:
        arguments = {prompt.name: prompt.arguments or [] for prompt in (await client.list_prompts()).prompts}
        chosen = await client.get_prompt("plan_shot", picked)
        left_open = await client.get_prompt("plan_shot", {"idea": "a tiger"})
        story = await client.get_prompt("storyboard", {"story": "a tiger's day", "model": "ray-3.2"})
    texts = [getattr(prompt.messages[0].content, "text", "") for prompt in (chosen, left_open, story)]
    assert {name: [argument.name for argument in listed] for name, listed in arguments.items()} == {
        "plan_shot": ["idea", "model", "aspect_ratio", "camera_concept"],
        "storyboard": ["story", "shots", "model", "aspect_ratio"],
    }
    assert "Model: ray-2. Camera move (a Luma concept key): dolly_zoom." in texts[0] and "9:16" in texts[0]
    assert "Model: none named, pick one. Camera move (a Luma concept key): none named, pick one." in texts[1]
    assert "Model: ray-3.2." in texts[2]
