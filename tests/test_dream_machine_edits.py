"""The Dream Machine API's modify and reframe through edit_video, reframe_video and reframe_image: the exact bodies
Luma receives, the source's API choosing the model, and every refusal made before anything is sent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from luma_mcp.emulator import Emulator
from tests.helpers import connect, settings_for, text_of
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

PROMPT = "moonlit 35mm film footage"
CLIP = "https://example.com/clip.mp4"
PHOTO = "https://example.com/photo.jpg"
MODIFY = "/generations/video/modify"
REFRAME_VIDEO = "/generations/video/reframe"
REFRAME_IMAGE = "/generations/image/reframe"


def bodies(emulator: Emulator, path: str) -> list[Any]:
    return [request.body for request in emulator.requests_for("POST", path)]


async def test_a_dream_machine_video_is_modified_by_its_id_on_ray2_when_both_keys_are_set(
    emulator: Emulator, tmp_path: Path
) -> None:
    """With an Agents key too (whose default is ray-3.2), a ray-2 video's own API edits it: its asset URL is sent."""
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        made = await client.call_tool("create_generation", {"prompt": "a fox in snow", "model": "ray-2"})
        video = made.structured_content or {}
        edited = await client.call_tool("edit_video", {"video": video["id"], "prompt": PROMPT})
    assert not edited.is_error, text_of(edited)
    assert bodies(emulator, MODIFY) == [
        {
            "generation_type": "modify_video",
            "model": "ray-2",
            "media": {"url": video["video_url"]},
            "mode": "flex_1",
            "prompt": PROMPT,
        }
    ]
    assert emulator.requests_for("POST", "/agents/v1/generations") == []
    result = edited.structured_content or {}
    assert (result["api"], result["model"], result["state"]) == ("dream-machine", "ray-2", "completed")
    assert result["video_url"] and result["estimated_cost_usd"] == 1.75


async def test_a_url_is_modified_on_ray_flash_2_with_a_strength_and_a_first_frame(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        edited = await client.call_tool(
            "edit_video",
            {
                "video": CLIP,
                "prompt": PROMPT,
                "model": "ray-flash-2",
                "strength": "reimagine_3",
                "first_frame": PHOTO,
                "wait": False,
            },
        )
    assert not edited.is_error, text_of(edited)
    assert bodies(emulator, MODIFY) == [
        {
            "generation_type": "modify_video",
            "model": "ray-flash-2",
            "media": {"url": CLIP},
            "mode": "reimagine_3",
            "prompt": PROMPT,
            "first_frame": {"url": PHOTO},
        }
    ]
    assert (edited.structured_content or {})["estimated_cost_usd"] == 0.60


async def test_a_dream_machine_key_alone_reframes_a_video_on_ray2_with_its_place_in_the_frame(
    emulator: Emulator, tmp_path: Path
) -> None:
    geometry = {"grid_position_x": 10, "grid_position_y": 20, "x_start": 0, "x_end": 640, "y_start": 40, "y_end": 400}
    async with connect(settings_for(emulator, tmp_path)) as client:
        reframed = await client.call_tool(
            "reframe_video", {"video": CLIP, "aspect_ratio": "9:21", "prompt": "more sky", **geometry}
        )
    assert not reframed.is_error, text_of(reframed)
    assert bodies(emulator, REFRAME_VIDEO) == [
        {
            "generation_type": "reframe_video",
            "model": "ray-2",
            "media": {"url": CLIP},
            "aspect_ratio": "9:21",
            "prompt": "more sky",
            **geometry,
        }
    ]
    result = reframed.structured_content or {}
    assert result["video_url"] and result["estimated_cost_usd"] == 1.02


async def test_an_image_is_reframed_with_photon_from_a_url(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        reframed = await client.call_tool(
            "reframe_image",
            {
                "image": PHOTO,
                "aspect_ratio": "21:9",
                "prompt": "a wider beach",
                "output_format": "png",
                "resized_width": 800,
                "resized_height": 600,
            },
        )
    assert not reframed.is_error, text_of(reframed)
    assert bodies(emulator, REFRAME_IMAGE) == [
        {
            "generation_type": "reframe_image",
            "model": "photon-1",
            "media": {"url": PHOTO},
            "aspect_ratio": "21:9",
            "prompt": "a wider beach",
            "format": "png",
            "resized_width": 800,
            "resized_height": 600,
        }
    ]
    result = reframed.structured_content or {}
    assert result["image_url"] and result["estimated_cost_usd"] == 0.0104


async def test_an_agents_image_is_reframed_with_photon_flash_by_its_url(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        image = (await client.call_tool("generate_image", {"prompt": "a red kite"})).structured_content or {}
        reframed = await client.call_tool(
            "reframe_image", {"image": image["id"], "aspect_ratio": "1:1", "model": "photon-flash-1"}
        )
    assert not reframed.is_error, text_of(reframed)
    [sent] = bodies(emulator, REFRAME_IMAGE)
    signed_url = sent["media"].pop("url")  # the Agents API signs its URLs anew on each read
    assert signed_url.split("?")[0] == image["image_url"].split("?")[0]
    assert sent == {"generation_type": "reframe_image", "model": "photon-flash-1", "media": {}, "aspect_ratio": "1:1"}
    assert (reframed.structured_content or {})["estimated_cost_usd"] == 0.0027


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("edit_video", {"video": "clip.mp4"}, r"video='clip.mp4' is a local file.*takes videos by public.*'ray-3.2'"),
        ("edit_video", {"first_frame": "first.png"}, r"first_frame='first.png' is a local file.*takes images by"),
        ("reframe_video", {"video": "/videos/clip.mp4"}, r"video=.* is a local file.*ray-2 runs on the Dream"),
        ("reframe_image", {"image": "photo.jpg"}, r"image='photo.jpg' is a local.*photon-1.*URL \(no Agents API model"),
        ("reframe_video", {"x_start": 100, "x_end": 50}, r"x_start=100, x_end=50: x_start must be less than x_end"),
        ("reframe_image", {"y_start": 10}, r"y_start=10, y_end=None: give both y_start and y_end, or neither"),
        ("reframe_image", {"resized_width": 640}, r"give both resized_width and resized_height"),
        ("reframe_image", {"grid_position_x": -1}, r"grid_position_x.*greater than or equal to 0"),
        ("reframe_image", {"model": "ray-2"}, r"model.*'photon-1'.*'photon-flash-1'"),
        ("reframe_video", {"resolution": "720p"}, r"resolution is not offered on ray-2"),
    ],
)
async def test_what_the_dream_machine_cannot_take_is_refused_by_name_and_nothing_is_sent(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any], says: str
) -> None:
    source = {"image": PHOTO, "aspect_ratio": "16:9"} if tool == "reframe_image" else {"video": CLIP, "prompt": PROMPT}
    if tool == "reframe_video":
        source["aspect_ratio"] = "9:16"
    async with connect(settings_for(emulator, tmp_path)) as client:
        refused = await client.call_tool(tool, {**source, **arguments})
    assert refused.is_error
    assert emulator.requests == []
    assert re.search(says, text_of(refused)), text_of(refused)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"grid_position_x": 0}, r"grid_position_x is not offered on ray-3.2"),
        ({"first_frame": PHOTO}, r"first_frame is not offered on ray-3.2"),
        ({"aspect_ratio": "9:21"}, r"aspect_ratio='9:21' is not offered on ray-3.2.*'9:16'.*'21:9'"),
    ],
)
async def test_ray3_refuses_the_dream_machine_reframe_options_before_sending(
    emulator: Emulator, tmp_path: Path, arguments: dict[str, Any], says: str
) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        refused = await client.call_tool(
            "reframe_video", {"video": CLIP, "aspect_ratio": "16:9", "prompt": PROMPT, **arguments}
        )
    assert refused.is_error and re.search(says, text_of(refused)), text_of(refused)
    assert emulator.requests == []


async def test_an_agents_video_is_refused_for_a_dream_machine_model_by_name(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        made = await client.call_tool("create_generation", {"prompt": "a fox in snow"})
        agents_id = (made.structured_content or {})["id"]
        sent_before = len(emulator.requests)
        refused = await client.call_tool("edit_video", {"video": agents_id, "prompt": PROMPT, "model": "ray-flash-2"})
    assert refused.is_error
    said = text_of(refused)
    assert f"Generation {agents_id} was made with the Agents API (ray-3.2)" in said
    assert "model='ray-flash-2' belongs to the Dream Machine API" in said and "as video instead of the id" in said
    assert len(emulator.requests) == sent_before, "nothing sent, nothing looked up"


async def test_a_modify_is_priced_by_its_source_pixels_and_a_url_counts_as_the_longest_source(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Luma charges a modify by the source's pixels: our own 9 s 1080p video costs about $7.09 on ray-2; a URL's
    size is unknown, so it is estimated as 5 s of 720p but counted against the cap as the largest video Ray 2 makes,
    as long as the model takes: 10 s of 4k 21:9 on ray-2 ($41.33), 15 s on ray-flash-2 ($21.32)."""
    settings = settings_for(emulator, tmp_path, state_dir=tmp_path / "state", max_spend_usd=33.0)
    async with connect(settings) as client:
        made = await client.call_tool(
            "create_generation", {"prompt": "a fox in snow", "model": "ray-2", "resolution": "1080p", "duration": "9s"}
        )  # $4.10
        ours = await client.call_tool("edit_video", {"video": (made.structured_content or {})["id"], "prompt": PROMPT})
        by_url = await client.call_tool("edit_video", {"video": CLIP, "prompt": PROMPT, "model": "ray-2"})
        flash = await client.call_tool("edit_video", {"video": CLIP, "prompt": PROMPT, "model": "ray-flash-2"})
    assert not ours.is_error, text_of(ours)
    assert (ours.structured_content or {})["estimated_cost_usd"] == 7.09
    assert by_url.is_error  # $11.19 spent: $41.33 more passes $33
    assert "this create is estimated at $1.75 for a 5 s 720p source" in text_of(by_url)
    assert "so counted at $41.33" in text_of(by_url)
    assert not flash.is_error, text_of(flash)  # $32.51 fits
    assert (flash.structured_content or {})["estimated_cost_usd"] == 0.6
    assert len(bodies(emulator, MODIFY)) == 2


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("reframe_image", {"aspect_ratio": "1:1"}),
        ("edit_image", {"model": "photon-1", "prompt": PROMPT}),
    ],
)
async def test_a_video_is_refused_as_the_image_a_photon_tool_changes(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, str]
) -> None:
    """Its only image is its thumbnail: changing that is never what was asked."""
    async with connect(settings_for(emulator, tmp_path)) as client:
        made = await client.call_tool("create_generation", {"prompt": "a fox in snow", "model": "ray-2"})
        emulator.clear_requests()
        result = await client.call_tool(tool, {**arguments, "image": (made.structured_content or {})["id"]})
    assert result.is_error
    assert re.search(r"image: generation \S+ made a video, and this changes an image", text_of(result))
    assert "call edit_video or reframe_video" in text_of(result)
    assert [request.method for request in emulator.requests] == ["GET"]
