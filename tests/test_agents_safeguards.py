"""The Agents API's media and money, attacked: a local video is never read outside the allowed folders (not even
over HTTP with a caller's own key), a refusal after a good local file uploads nothing, spend counts only what has
a price, and with two keys a subscription asks Luma nothing before it is answered."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from luma_mcp import build_server
from luma_mcp.emulator import Emulator
from luma_mcp.emulator.assets import sample_bytes
from luma_mcp.emulator.runner import serving
from luma_mcp.http_app import http_app
from tests.helpers import FAST_POLLS, connect, text_of
from tests.test_accounts import client_with
from tests.test_edit_tools import mp4_of
from tests.test_media_inputs import OUTSIDE, with_photos
from tests.test_ray3_tools import PROMPT, agents_settings

pytestmark = pytest.mark.anyio


def long_video_outside(tmp_path: Path) -> Path:
    """A 30-second MP4 in a folder the operator did not allow."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    secret = elsewhere / "private.mp4"
    secret.write_bytes(mp4_of(30.0))
    return secret


async def test_edit_video_does_not_read_a_file_outside_the_allowed_folders(emulator: Emulator, tmp_path: Path) -> None:
    settings = with_photos(emulator, tmp_path)
    secret = long_video_outside(tmp_path)
    async with connect(settings) as client:
        refused = await client.call_tool("edit_video", {"video": str(secret), "prompt": "moonlit 35mm film"})
    assert refused.is_error
    assert emulator.requests == []
    assert "30.0 s" not in text_of(refused), text_of(refused)
    assert re.search(OUTSIDE, text_of(refused)), text_of(refused)


async def test_over_http_a_visitor_cannot_probe_the_servers_disk_through_edit_video(
    emulator: Emulator, tmp_path: Path
) -> None:
    settings = with_photos(emulator, tmp_path)
    secret = long_video_outside(tmp_path)
    arguments = {"video": str(secret), "prompt": "moonlit 35mm film", "wait": False}
    app = http_app(build_server(settings, schedule=FAST_POLLS), "streamable-http", host="127.0.0.1", settings=settings)
    async with serving(app) as origin:
        async with client_with(origin, {"X-Luma-Agents-Api-Key": emulator.agents_api_key}) as visitor:
            refused = await visitor.call_tool("edit_video", arguments)
    assert refused.is_error
    assert emulator.requests == []
    assert "brings its own Luma key" in text_of(refused), text_of(refused)


async def test_a_relative_video_path_is_measured_where_it_is_uploaded_from(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = with_photos(emulator, tmp_path)
    photos = settings.input_folders[0]
    (photos / "take.mp4").write_bytes(mp4_of(30.0))  # too long: must be refused before upload
    work = tmp_path / "cwd"
    work.mkdir()
    (work / "take.mp4").write_bytes(mp4_of(3.0))  # what the length check reads instead
    monkeypatch.chdir(work)
    async with connect(settings) as client:
        result = await client.call_tool("edit_video", {"video": "take.mp4", "prompt": "moonlit", "wait": False})
    assert result.is_error and "runs 30.0 s" in text_of(result), text_of(result)
    assert emulator.requests == []


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
async def test_with_both_keys_subscribing_to_an_id_not_seen_yet_asks_luma_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    uri = f"luma://generations/{uuid.uuid4()}"
    async with connect(agents_settings(emulator, tmp_path), mode="legacy") as one_key:
        await one_key.subscribe_resource(uri)  # one key: followed, nothing asked on the request's path
    emulator.clear_requests()
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True), mode="legacy") as both_keys:
        await both_keys.subscribe_resource(uri)
    assert [request.path for request in emulator.requests if "/generations/" in request.path] == []


def photos_and_secret(emulator: Emulator, tmp_path: Path) -> tuple[Any, str, str]:
    """Settings allowing the photos folder, a good photo in it, and a photo outside it."""
    settings = with_photos(emulator, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "secret.png").write_bytes(sample_bytes("image.png"))
    return settings, str(settings.input_folders[0] / "frame.png"), str(elsewhere / "secret.png")


REFUSED_AFTER_A_GOOD_FILE = [
    pytest.param(
        "create_generation",
        {"prompt": PROMPT, "start_image_url": "{good}", "end_image_url": "{outside}"},
        OUTSIDE,
        id="video-end-outside",
    ),
    pytest.param(
        "create_generation",
        {"prompt": PROMPT, "keyframes": [{"image": "{good}", "frame": 0}, {"image": "{outside}", "frame": 60}]},
        OUTSIDE,
        id="second-keyframe-outside",
    ),
    pytest.param(
        "generate_image",
        {"prompt": PROMPT, "image_refs": ["{good}", {"image": "https://example.com/b.jpg", "weight": 0.5}]},
        r"weight",
        id="image-ref-weight",
    ),
    pytest.param(
        "generate_image",
        {"prompt": PROMPT, "image_refs": ["{good}", "{outside}"]},
        OUTSIDE,
        id="image-ref-outside",
    ),
    pytest.param(
        "edit_image",
        {"prompt": PROMPT, "image": "{good}", "image_refs": ["{outside}"]},
        OUTSIDE,
        id="edit-ref-outside",
    ),
]


@pytest.mark.parametrize(("tool", "arguments", "says"), REFUSED_AFTER_A_GOOD_FILE)
async def test_a_refusal_after_a_good_local_file_uploads_nothing(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any], says: str
) -> None:
    settings, good, outside = photos_and_secret(emulator, tmp_path)
    filled = json.loads(json.dumps(arguments).replace("{good}", good).replace("{outside}", outside))
    async with connect(settings) as client:
        refused = await client.call_tool(tool, filled)
    assert refused.is_error
    assert re.search(says, text_of(refused), re.DOTALL), text_of(refused)
    assert [(request.method, request.path) for request in emulator.requests] == []


async def test_get_credits_does_not_price_an_upscale_or_a_soundtrack_as_a_new_video(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        made = await client.call_tool(
            "create_generation", {"prompt": "a fox in the snow at dawn", "model": "ray-2", "resolution": "540p"}
        )
        video = made.structured_content or {}
        upscaled = await client.call_tool("upscale_generation", {"generation_id": video["id"], "resolution": "1080p"})
        scored = await client.call_tool("add_audio", {"generation_id": video["id"], "prompt": "wind and birdsong"})
        credits = (await client.call_tool("get_credits", {})).structured_content or {}
    assert (upscaled.structured_content or {})["estimated_cost_usd"] is None, text_of(upscaled)
    assert (scored.structured_content or {})["estimated_cost_usd"] is None, text_of(scored)
    [dream_machine] = [spent for spent in credits["spent"] if spent["api"] == "dream-machine"]
    assert (dream_machine["total_usd"], dream_machine["unpriced"]) == (video["estimated_cost_usd"], 2), credits


async def test_a_multi_keyframe_video_has_no_published_price(emulator: Emulator, tmp_path: Path) -> None:
    keyframes = [
        {"image": "https://example.com/a.jpg", "frame": 0},
        {"image": "https://example.com/b.jpg", "frame": 96},
    ]
    async with connect(agents_settings(emulator, tmp_path)) as client:
        made = await client.call_tool("create_generation", {"prompt": PROMPT, "keyframes": keyframes, "wait": False})
    assert not made.is_error, text_of(made)
    assert (made.structured_content or {})["estimated_cost_usd"] is None, text_of(made)
