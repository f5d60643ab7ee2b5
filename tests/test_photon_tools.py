"""Photon (the Dream Machine API) through generate_image and edit_image: the exact body Luma receives for each
option, what comes back (the image, its estimated cost, its download), and what is refused before anything is sent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from luma_mcp import Settings
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator, EmulatorConfig, Fault, run_emulator
from tests.helpers import connect, settings_for, text_of
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

PROMPT = "a lighthouse on a cliff at dusk, oil painting"
REF = "https://example.com/ref.jpg"
STYLE = "https://example.com/style.jpg"
FACE = "https://example.com/face.jpg"


def posted(emulator: Emulator) -> list[dict[str, Any]]:
    return [request.body for request in emulator.requests_for("POST", "/generations/image")]


async def test_a_photon_image_sends_every_option_as_luma_names_it_and_comes_back_with_its_cost(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        made = await client.call_tool(
            "generate_image",
            {
                "prompt": PROMPT,
                "model": "photon-flash-1",
                "aspect_ratio": "4:3",
                "image_refs": [REF, {"image": "https://example.com/b.png", "weight": 0.25}],
                "style_ref": {"image": STYLE, "weight": 0.8},
                "character_refs": [FACE, "https://example.com/face2.jpg"],
                "modify_image_ref": {"image": "https://example.com/source.jpg", "weight": 0.05},
                "output_format": "jpeg",
            },
        )
    assert not made.is_error, text_of(made)
    assert posted(emulator) == [
        {
            "model": "photon-flash-1",
            "prompt": PROMPT,
            "aspect_ratio": "4:3",
            "format": "jpg",
            "image_ref": [{"url": REF}, {"url": "https://example.com/b.png", "weight": 0.25}],
            "style_ref": [{"url": STYLE, "weight": 0.8}],
            "character_ref": {"identity0": {"images": [FACE, "https://example.com/face2.jpg"]}},
            "modify_image_ref": {"url": "https://example.com/source.jpg", "weight": 0.05},
        }
    ]
    result = made.structured_content or {}
    assert (result["api"], result["model"], result["state"], result["video_url"]) == (
        "dream-machine",
        "photon-flash-1",
        "completed",
        None,
    )
    assert result["image_url"].endswith("/image.jpg") and result["outputs"][0]["url"] == result["image_url"]
    assert (result["estimated_cost_usd"], result["estimated_cost_note"]) == (0.0027, None)
    assert f"Image: {result['image_url']}" in text_of(made) and "Estimated cost: $0.0027" in text_of(made)


async def test_without_an_agents_key_photon_is_the_default_and_with_one_uni1_stays_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        made = await client.call_tool("generate_image", {"prompt": PROMPT})
    assert not made.is_error, text_of(made)
    assert posted(emulator) == [{"model": "photon-1", "prompt": PROMPT}], "only what was given"
    assert (made.structured_content or {})["estimated_cost_usd"] == 0.0104
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        uni1 = await client.call_tool("generate_image", {"prompt": PROMPT, "wait": False})
    assert (uni1.structured_content or {})["model"] == "uni-1" and len(posted(emulator)) == 1, text_of(uni1)


async def test_an_image_of_ours_is_edited_by_photon_through_its_url_with_a_weight(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        made = (await client.call_tool("generate_image", {"prompt": PROMPT, "output_format": "png"})).structured_content
        assert made is not None
        edited = await client.call_tool(
            "edit_image",
            {"image": made["id"], "prompt": "make it night", "weight": 0.1, "image_refs": [REF], "model": "photon-1"},
        )
    assert not edited.is_error, text_of(edited)
    assert posted(emulator)[1] == {
        "model": "photon-1",
        "prompt": "make it night",
        "image_ref": [{"url": REF}],
        "modify_image_ref": {"url": made["image_url"], "weight": 0.1},
    }
    result = edited.structured_content or {}
    assert result["image_url"] and result["image_url"] != made["image_url"] and result["estimated_cost_usd"] == 0.0104


async def test_a_photon_image_downloads_into_the_output_folder(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        made = (await client.call_tool("generate_image", {"prompt": PROMPT})).structured_content or {}
        saved = await client.call_tool("download_generation", {"generation_id": made["id"]})
    assert not saved.is_error, text_of(saved)
    result = saved.structured_content or {}
    [path] = [Path(p) for p in result["image_paths"]]
    assert (result["status"], result["video_path"], path.name) == ("saved", None, f"{made['id']}.jpg")
    assert path.read_bytes()[:3] == b"\xff\xd8\xff" and result["total_bytes"] == path.stat().st_size


PHOTO = "photo.png"


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("generate_image", {"image_refs": [PHOTO]}, r"image_refs\[0\]=.*photo.png' is a local file.*model='uni-1'"),
        ("generate_image", {"style_ref": PHOTO}, r"style_ref=.*is a local file, and photon-1 runs on the Dream"),
        ("generate_image", {"character_refs": [FACE, PHOTO]}, r"character_refs\[1\]=.* is a local file"),
        ("generate_image", {"modify_image_ref": {"image": PHOTO}}, r"modify_image_ref=.* is a local file"),
        ("edit_image", {"image": PHOTO}, r"image=.*photo.png' is a local file, and photon-1"),
        ("generate_image", {"image_refs": [{"image": REF, "weight": 1.5}]}, r"weight.*less than or equal to 1"),
        ("generate_image", {"style_ref": {"image": STYLE, "weight": -0.1}}, r"weight.*greater than or equal to 0"),
        ("edit_image", {"image": REF, "weight": 2}, r"weight.*less than or equal to 1"),
        ("generate_image", {"image_refs": [REF] * 5}, r"image_refs has 5 images, and at most 4"),
        ("edit_image", {"image": REF, "image_refs": [REF] * 5}, r"image_refs has 5 images, and at most 4"),
        ("generate_image", {"character_refs": [FACE] * 5}, r"character_refs has 5 images, and at most 4.*one person"),
        ("generate_image", {"aspect_ratio": "2:3"}, r"aspect_ratio='2:3' is not available on photon-1.*'9:21'"),
        ("generate_image", {"style": "manga"}, r"style is not offered on photon-1; it is a Uni-1 option"),
        ("edit_image", {"image": REF, "style": "auto"}, r"style is not offered on photon-1; it is a Uni-1 option"),
        ("generate_image", {"output_format": "webp"}, r"output_format.*'png' or 'jpeg'"),
        ("generate_image", {"model": "photon-2"}, r"model.*'photon-1' or 'photon-flash-1'"),
    ],
)
async def test_what_photon_refuses_is_refused_by_name_and_nothing_is_sent(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any], says: str
) -> None:
    (tmp_path / PHOTO).write_bytes(b"\x89PNG\r\n\x1a\n")
    settings = agents_settings(emulator, tmp_path, dream_machine=True)
    async with connect(settings) as client:
        refused = await client.call_tool(tool, {"prompt": PROMPT, "model": "photon-1", **arguments})
    assert refused.is_error
    assert emulator.requests == []
    assert re.search(says, text_of(refused)), text_of(refused)
    assert "(got 'photon-1')" not in text_of(refused), "photon-1 itself is a model these tools take"


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("generate_image", {"style_ref": STYLE}, r"style_ref is not offered on uni-1; it is a Photon option"),
        ("generate_image", {"character_refs": [FACE]}, r"character_refs is not offered on uni-1; it is a Photon"),
        ("generate_image", {"modify_image_ref": REF}, r"modify_image_ref is not offered on uni-1; it is a Photon"),
        ("edit_image", {"image": REF, "weight": 0.5}, r"weight is not offered on uni-1-max; it is a Photon option"),
    ],
)
async def test_photon_options_are_refused_by_name_on_uni1_and_nothing_is_sent(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any], says: str
) -> None:
    model = "uni-1-max" if tool == "edit_image" else "uni-1"
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        refused = await client.call_tool(tool, {"prompt": PROMPT, "model": model, **arguments})
    assert refused.is_error
    assert emulator.requests == []
    assert re.search(says, text_of(refused)), text_of(refused)


async def test_with_only_an_agents_key_photon_says_which_key_unlocks_it(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        refused = await client.call_tool("generate_image", {"prompt": PROMPT, "model": "photon-1"})
    assert refused.is_error and "LUMA_API_KEY" in text_of(refused), text_of(refused)
    assert emulator.requests == []


async def test_list_models_shows_photon_with_its_kinds_options_and_estimated_prices(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        listed = (await client.call_tool("list_models", {})).structured_content or {}
    by_name = {model["name"]: model for model in listed["models"]}
    photon, flash = by_name["photon-1"], by_name["photon-flash-1"]
    assert (photon["api"], photon["available"], photon["kinds"]) == (
        "dream-machine",
        True,
        ["image", "edit", "reframe"],
    )
    assert flash["kinds"] == ["image", "edit", "reframe"] and flash["available"] is True
    assert photon["options"]["aspect_ratio"] == ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"]
    assert photon["options"]["output_format"] == ["jpeg", "png"]
    assert (photon["prices_usd"], flash["prices_usd"]) == (
        {"image": 0.0104, "reframe_image": 0.0104},
        {"image": 0.0027, "reframe_image": 0.0027},
    )
    assert "estimate" in photon["price_source"] and "third party" in photon["price_source"]
    assert (listed["default_video_model"], listed["default_image_model"]) == ("ray-2", "photon-1")
    assert emulator.requests == []


async def test_an_image_luma_names_by_an_internal_version_is_priced_by_the_model_asked_for(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Luma's docs show a Photon answer whose `model` is "photon-v1.0", not the model the request named."""
    async with connect(settings_for(emulator, tmp_path)) as client:
        made = (await client.call_tool("generate_image", {"prompt": PROMPT, "wait": False})).structured_content or {}
        emulator.finish_now(made["id"])
        answer = {**(emulator.generation(made["id"]) or {}), "model": "photon-v1.0"}
        emulator.inject(Fault(status=200, body=answer, method="GET", path=f"/generations/{made['id']}"))
        looked = await client.call_tool("get_generation", {"generation_id": made["id"]})
    result = looked.structured_content or {}
    assert (result["model"], result["estimated_cost_usd"]) == ("photon-v1.0", 0.0104), text_of(looked)


async def test_photon_creates_are_counted_apart_from_ray_creates_on_one_account(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Luma limits Photon (80 creates a minute, 40 in flight) apart from Ray (20, 10): Ray's full window holds no
    image back, and Ray's limit still holds the next video."""
    limits = CreateLimits(per_window=1, window=60.0, max_in_flight=1)
    async with connect(settings_for(emulator, tmp_path, max_wait=3.0), limits=limits) as client:
        video = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
        images = [await client.call_tool("generate_image", {"prompt": PROMPT, "wait": False}) for _ in range(3)]
        second_video = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
    assert not video.is_error and not any(image.is_error for image in images), [text_of(i) for i in images]
    assert len(posted(emulator)) == 3
    assert second_video.is_error and "Luma allows 1 creates per 60 s" in text_of(second_video)
    assert len(emulator.requests_for("POST", "/generations/video")) == 1


async def test_photons_limits_are_the_users_to_set(tmp_path: Path) -> None:
    """A plan allowing one Photon image in flight: the second waits for the first and goes out once it is done, and
    a video on the same account is not held back by them. The emulator limits the two kinds apart, as Luma does."""
    environ = {"LUMA_MCP_PHOTON_CREATES_PER_MINUTE": "30", "LUMA_MCP_PHOTON_MAX_IN_FLIGHT": "1"}
    assert (Settings.from_env(environ).photon_creates_per_minute, Settings.from_env(environ).photon_max_in_flight) == (
        30,
        1,
    )
    config = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=1.0, image_max_concurrent=1, max_concurrent=1)
    async with run_emulator(config) as emulator:
        settings = settings_for(emulator, tmp_path, photon_creates_per_minute=30, photon_max_in_flight=1)
        async with connect(settings) as client:
            first = await client.call_tool("generate_image", {"prompt": PROMPT, "wait": False})
            video = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
            second = await client.call_tool("generate_image", {"prompt": PROMPT, "wait": False})
    assert not first.is_error and not video.is_error and not second.is_error, text_of(second)
    # No 429: the second image waited here for the first, and the video was not held back by either.
    creates = [(request.path, request.status) for request in emulator.requests_for("POST", "/generations/*")]
    assert creates == [("/generations/image", 201), ("/generations/video", 201), ("/generations/image", 201)]
