"""Ray 3.2 through edit_video and reframe_video: what reaches Luma, what is refused before anything is sent, and the
source's API deciding; plus the price every paid result carries, Dream Machine's too."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import pytest

from luma_mcp.emulator import Emulator
from tests.helpers import connect, text_of
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

PROMPT = "moonlit 35mm film footage"
SOURCE = "https://example.com/clip.mp4"


def posted(emulator: Emulator) -> list[dict[str, Any]]:
    return [request.body for request in emulator.requests_for("POST", "/agents/v1/generations")]


def mp4_of(seconds: float) -> bytes:
    """The smallest MP4 that says how long it runs: an ftyp box, and a moov box holding a version-0 mvhd."""
    mvhd_payload = struct.pack(">B3xIIII", 0, 0, 0, 1000, round(seconds * 1000)) + bytes(80)
    mvhd = struct.pack(">I4s", 8 + len(mvhd_payload), b"mvhd") + mvhd_payload
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return struct.pack(">I4s", 16, b"ftyp") + b"isom\x00\x00\x02\x00" + moov


async def test_a_ray3_video_is_edited_by_its_id_with_automatic_controls(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        video = (await client.call_tool("create_generation", {"prompt": "a fox in snow"})).structured_content or {}
        edited = await client.call_tool("edit_video", {"video": video["id"], "prompt": PROMPT})
    assert not edited.is_error, text_of(edited)
    assert posted(emulator)[1] == {
        "prompt": PROMPT,
        "model": "ray-3.2",
        "type": "video_edit",
        "source": {"generation_id": video["id"]},
        "video": {"edit": {"auto_controls": True}},
    }
    result = edited.structured_content or {}
    assert (result["api"], result["state"], result["generation_type"]) == ("agents", "completed", "video_edit")
    assert result["video_url"] and result["urls_expire_at"]
    assert result["estimated_cost_usd"] is None
    assert "no price for video_edit on ray-3.2" in result["estimated_cost_note"]


async def test_a_chosen_strength_replaces_the_automatic_controls_and_a_url_source_says_it_is_a_video(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        edited = await client.call_tool("edit_video", {"video": SOURCE, "prompt": PROMPT, "strength": "reimagine_2"})
    assert not edited.is_error, text_of(edited)
    assert posted(emulator) == [
        {
            "prompt": PROMPT,
            "model": "ray-3.2",
            "type": "video_edit",
            "source": {"url": SOURCE, "media_type": "video/mp4"},
            "video": {"edit": {"strength": "reimagine_2"}},
        }
    ]


async def test_a_video_is_reframed_to_a_new_aspect_ratio(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        reframed = await client.call_tool(
            "reframe_video",
            {"video": SOURCE, "aspect_ratio": "21:9", "prompt": "extend the desert", "resolution": "1080p"},
        )
    assert not reframed.is_error, text_of(reframed)
    assert posted(emulator) == [
        {
            "prompt": "extend the desert",
            "model": "ray-3.2",
            "type": "video_reframe",
            "aspect_ratio": "21:9",
            "source": {"url": SOURCE, "media_type": "video/mp4"},
            "video": {"resolution": "1080p"},
        }
    ]
    result = reframed.structured_content or {}
    assert result["video_url"] and "no price for video_reframe" in result["estimated_cost_note"]
    assert f"Video: {result['video_url']}" in text_of(reframed)


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("edit_video", {"strength": "medium"}, r"strength.*'adhere_1'.*'reimagine_3'"),
        ("edit_video", {"model": "ray-4"}, r"model.*'ray-3.2'.*'ray-flash-2'"),
        ("edit_video", {"video": "http://example.com/a.mp4"}, r"video=.* is not an https URL"),
        ("reframe_video", {"aspect_ratio": "9:21"}, r"aspect_ratio.*'9:16'.*'21:9'"),
        ("reframe_video", {"aspect_ratio": "9:16", "resolution": "1080p"}, r"resolution='1080p' cannot be combined"),
        ("reframe_video", {"aspect_ratio": "3:4", "resolution": "1080p"}, r"1080p only for 16:9, 21:9, 4:3, 1:1"),
        ("reframe_video", {"aspect_ratio": "16:9", "resolution": "4k"}, r"resolution.*'360p'.*'1080p'"),
        ("reframe_video", {"aspect_ratio": "16:9", "prompt": ""}, r"prompt.*at least 1 character"),
    ],
)
async def test_what_ray3_refuses_in_an_edit_or_reframe_is_refused_by_name_and_nothing_is_sent(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any], says: str
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        refused = await client.call_tool(tool, {"video": SOURCE, "prompt": PROMPT, **arguments})
    assert refused.is_error
    assert emulator.requests == []
    assert re.search(says, text_of(refused)), text_of(refused)


async def test_a_local_source_longer_than_18_seconds_is_refused_before_anything_is_sent(
    emulator: Emulator, tmp_path: Path
) -> None:
    long_clip = tmp_path / "long.mp4"
    long_clip.write_bytes(mp4_of(19.5))
    async with connect(agents_settings(emulator, tmp_path)) as client:
        refused = await client.call_tool("edit_video", {"video": str(long_clip), "prompt": PROMPT})
    assert refused.is_error
    assert "runs 19.5 s" in text_of(refused) and "at most 18 s" in text_of(refused)
    assert emulator.requests == []


async def test_a_video_outside_the_allowed_folders_is_refused_unread(emulator: Emulator, tmp_path: Path) -> None:
    """Its length is not read (nor told) before the folder check: outside, it is refused as outside, whatever it is."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "long.mp4").write_bytes(mp4_of(19.5))
    settings = agents_settings(emulator, tmp_path / "videos")
    async with connect(settings) as client:
        refused = await client.call_tool("edit_video", {"video": str(elsewhere / "long.mp4"), "prompt": PROMPT})
    assert refused.is_error and "outside the folders" in text_of(refused) and "19.5" not in text_of(refused)
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("edit_video", {"prompt": PROMPT, "model": "ray-3.2"}),
        ("reframe_video", {"prompt": PROMPT, "aspect_ratio": "9:16", "model": "ray-3.2"}),
        ("edit_image", {"prompt": PROMPT}),
        ("split_image_layers", {}),
    ],
)
async def test_a_dream_machine_source_is_refused_for_an_agents_model(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any]
) -> None:
    argument = "video" if tool.endswith("video") else "image"
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        made = await client.call_tool("create_generation", {"prompt": "a fox in snow", "model": "ray-2"})
        dream_id = (made.structured_content or {})["id"]
        refused = await client.call_tool(tool, {argument: dream_id, **arguments})
    assert refused.is_error
    said = text_of(refused)
    assert f"Generation {dream_id} was made with the Dream Machine API" in said
    assert "belongs to the Agents API" in said and f"as {argument} instead of the id" in said
    assert posted(emulator) == [], "nothing sent to the Agents API"


async def test_dream_machine_and_ray3_videos_carry_their_estimated_cost(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        ray2 = await client.call_tool("create_generation", {"prompt": "a fox", "model": "ray-2", "wait": False})
        ray3 = await client.call_tool("create_generation", {"prompt": "a fox", "resolution": "1080p", "wait": False})
        draft = await client.call_tool("create_generation", {"prompt": "a fox", "resolution": "360p", "wait": False})
        listed = (await client.call_tool("list_generations", {})).structured_content or {}
    assert (ray2.structured_content or {})["estimated_cost_usd"] == 1.02
    assert (ray3.structured_content or {})["estimated_cost_usd"] == 1.20
    unknown = draft.structured_content or {}
    assert unknown["estimated_cost_usd"] is None and "no price for 5s 360p on ray-3.2" in unknown["estimated_cost_note"]
    assert sorted(g["estimated_cost_usd"] or 0 for g in listed["generations"]) == [0, 1.02, 1.20]
