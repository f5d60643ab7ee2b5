"""Uni-1 through generate_image, edit_image and split_image_layers: what reaches Luma, what comes back (image URLs,
layers with their labels, when the URLs expire, what it cost), and what is refused before anything is sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from luma_mcp.emulator import Emulator, EmulatorConfig, Fault, run_emulator
from tests.helpers import connect, settings_for, text_of
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

PROMPT = "a lighthouse on a cliff at dusk, oil painting"
REF = "https://example.com/style.jpg"


def posted(emulator: Emulator) -> list[dict[str, Any]]:
    return [request.body for request in emulator.requests_for("POST", "/agents/v1/generations")]


async def test_an_image_is_made_with_uni1_and_comes_back_with_its_url_expiry_and_cost(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        made = await client.call_tool(
            "generate_image",
            {
                "prompt": PROMPT,
                "aspect_ratio": "2:3",
                "image_refs": [REF, {"image": "https://example.com/subject.png"}],
                "style": "manga",
                "output_format": "png",
            },
        )
    assert not made.is_error, text_of(made)
    assert posted(emulator) == [
        {
            "prompt": PROMPT,
            "model": "uni-1",
            "type": "image",
            "aspect_ratio": "2:3",
            "image_ref": [{"url": REF}, {"url": "https://example.com/subject.png"}],
            "output_format": "png",
            "style": "manga",
        }
    ]
    result = made.structured_content or {}
    assert (result["api"], result["model"], result["state"], result["video_url"]) == (
        "agents",
        "uni-1",
        "completed",
        None,
    )
    assert result["image_url"].split("?")[0].endswith(".png")
    assert result["outputs"] == [{"type": "image", "url": result["image_url"], "label": None, "index": None}]
    assert result["estimated_cost_usd"] == 0.0464 and result["estimated_cost_note"] is None, "2 references"
    expires = datetime.fromisoformat(result["urls_expire_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert f"Image: {result['image_url']}" in text_of(made) and result["urls_expire_at"] in text_of(made)


@pytest.mark.parametrize(
    ("arguments", "cost"),
    [({}, 0.0404), ({"model": "uni-1-max"}, 0.1), ({"model": "uni-1-max", "image_refs": [REF] * 9}, 0.127)],
)
async def test_every_image_carries_its_price_from_the_lineup(
    emulator: Emulator, tmp_path: Path, arguments: dict[str, Any], cost: float
) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        made = await client.call_tool("generate_image", {"prompt": PROMPT, **arguments})
    assert (made.structured_content or {})["estimated_cost_usd"] == cost, text_of(made)


async def test_an_image_not_waited_for_says_images_take_seconds(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        made = await client.call_tool("generate_image", {"prompt": PROMPT, "wait": False})
    result = made.structured_content or {}
    assert result["state"] == "queued" and "images usually take 15-60 seconds" in result["next_step"]
    assert "video" not in result["next_step"]


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("generate_image", {"aspect_ratio": "4:3"}, r"aspect_ratio='4:3' is not available on uni-1.*'3:1'.*'1:3'"),
        ("generate_image", {"style": "manga", "aspect_ratio": "16:9"}, r"style='manga' cannot be combined.*9:16"),
        ("generate_image", {"style": "comic"}, r"style.*'auto' or 'manga'"),
        ("generate_image", {"output_format": "webp"}, r"output_format.*'png' or 'jpeg'"),
        ("generate_image", {"model": "uni-2"}, r"model.*'uni-1', 'uni-1-max', 'photon-1' or 'photon-flash-1'"),
        ("generate_image", {"image_refs": [REF] * 10}, r"image_refs has 10 images, and at most 9"),
        ("generate_image", {"image_refs": [{"image": REF, "weight": 0.5}]}, r"image_refs\[0\].weight is not offered"),
        ("generate_image", {"image_refs": ["http://example.com/a.jpg"]}, r"image_refs\[0\]=.* is not an https URL"),
        ("generate_image", {"prompt": ""}, r"prompt.*at least 1 character"),
        ("edit_image", {"image": REF, "image_refs": [REF] * 9}, r"image_refs has 9 images, and at most 8.*one of them"),
        ("edit_image", {"image": "ftp://example.com/a.jpg"}, r"image=.* is not an https URL"),
        ("split_image_layers", {"image": REF, "resolution": "4k"}, r"resolution.*'1k' or '2k'"),
        ("split_image_layers", {"image": REF, "prompt": "x" * 501}, r"prompt.*at most 500 characters"),
    ],
)
async def test_what_uni1_refuses_is_refused_by_name_and_nothing_is_sent(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any], says: str
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        refused = await client.call_tool(tool, {"prompt": PROMPT, **arguments})
    assert refused.is_error
    assert emulator.requests == []
    assert re.search(says, text_of(refused)), text_of(refused)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("generate_image", {"prompt": PROMPT, "model": "uni-1"}),
        ("edit_image", {"image": REF, "prompt": PROMPT, "model": "uni-1-max"}),
        ("split_image_layers", {"image": REF}),
    ],
)
async def test_without_an_agents_key_an_image_tool_says_which_key_unlocks_uni1(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any]
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        refused = await client.call_tool(tool, arguments)
    assert refused.is_error
    assert "Uni-1" in text_of(refused) and "LUMA_AGENTS_API_KEY" in text_of(refused)
    assert "https://platform.lumalabs.ai" in text_of(refused)
    assert emulator.requests == []


async def test_an_image_made_here_is_edited_by_its_id_with_references(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        made = await client.call_tool("generate_image", {"prompt": PROMPT})
        image_id = (made.structured_content or {})["id"]
        edited = await client.call_tool(
            "edit_image",
            {
                "image": image_id,
                "prompt": "make it night",
                "model": "uni-1-max",
                "image_refs": [REF],
                "style": "manga",
                "output_format": "jpeg",
            },
        )
    assert not edited.is_error, text_of(edited)
    assert posted(emulator)[1] == {
        "prompt": "make it night",
        "model": "uni-1-max",
        "type": "image_edit",
        "image_ref": [{"url": REF}],
        "source": {"generation_id": image_id},
        "style": "manga",
        "output_format": "jpeg",
    }
    result = edited.structured_content or {}
    assert result["image_url"] and result["estimated_cost_usd"] == 0.106, "source and one reference: 2 images in"


async def test_an_image_made_here_guides_another_by_the_url_of_its_image(emulator: Emulator, tmp_path: Path) -> None:
    """An `image_ref` takes no generation id (luma-agents-api.md §3, inferred), so ours is named by its fresh URL."""
    async with connect(agents_settings(emulator, tmp_path)) as client:
        made = await client.call_tool("generate_image", {"prompt": PROMPT})
        guided = await client.call_tool(
            "generate_image",
            {"prompt": "the same lighthouse by day", "image_refs": [(made.structured_content or {})["id"]]},
        )
    assert not guided.is_error, text_of(guided)
    (reference,) = posted(emulator)[1]["image_ref"]
    assert reference["url"].startswith(emulator.agents_base_url.removesuffix("/agents/v1") + "/storage/outputs/")


async def test_an_image_splits_into_labelled_layers_and_every_layer_comes_back(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        split = await client.call_tool(
            "split_image_layers", {"image": REF, "prompt": "subject, props, background", "resolution": "2k"}
        )
    assert not split.is_error, text_of(split)
    assert posted(emulator) == [
        {
            "prompt": "subject, props, background",
            "model": "uni-1",
            "type": "layering",
            "source": {"url": REF},
            "layering": {"resolution": "2k"},
        }
    ]
    result = split.structured_content or {}
    layers = [(output["index"], output["label"], output["type"]) for output in result["outputs"]]
    assert layers == [(0, "subject", "image"), (1, "props", "image"), (2, "background", "image")]
    assert all(output["url"].startswith("http") for output in result["outputs"])
    assert result["estimated_cost_usd"] is None and "no price for layering" in result["estimated_cost_note"]
    summary = text_of(split)
    assert "3 layers" in summary and all(f"{index} {label}" in summary for index, label, _ in layers)


async def test_a_split_without_options_sends_no_prompt_and_no_resolution(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        split = await client.call_tool("split_image_layers", {"image": REF, "wait": False})
    assert not split.is_error, text_of(split)
    assert posted(emulator) == [{"model": "uni-1", "type": "layering", "source": {"url": REF}}]


async def test_an_image_and_every_layer_download_into_the_output_folder(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        image = (
            await client.call_tool("generate_image", {"prompt": PROMPT, "output_format": "jpeg"})
        ).structured_content
        split = (await client.call_tool("split_image_layers", {"image": REF})).structured_content
        assert image is not None and split is not None
        saved_image = await client.call_tool("download_generation", {"generation_id": image["id"]})
        saved_layers = await client.call_tool(
            "download_generation", {"generation_id": split["id"], "directory": "layers"}
        )
    assert not saved_image.is_error and not saved_layers.is_error, text_of(saved_image) + text_of(saved_layers)
    one = saved_image.structured_content or {}
    [path] = [Path(p) for p in one["image_paths"]]
    assert (one["status"], one["video_path"], path.name) == ("saved", None, f"{image['id']}.jpg")
    assert path.read_bytes()[:3] == b"\xff\xd8\xff" and one["total_bytes"] == path.stat().st_size
    layers = saved_layers.structured_content or {}
    paths = [Path(p) for p in layers["image_paths"]]
    assert [p.name for p in paths] == [
        f"{split['id']}.layer-00-subject.png",
        f"{split['id']}.layer-01-props.png",
        f"{split['id']}.layer-02-background.png",
    ]
    assert all(p.parent == (tmp_path / "layers").resolve() and p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    assert layers["total_bytes"] == sum(p.stat().st_size for p in paths)


async def test_layers_alike_land_in_files_of_their_own(emulator: Emulator, tmp_path: Path) -> None:
    """Luma's answer is taken as it comes: layers with one index and one label still make a file each."""
    async with connect(agents_settings(emulator, tmp_path)) as client:
        split = (await client.call_tool("split_image_layers", {"image": REF})).structured_content or {}
        answer = emulator.agents.generation(split["id"]) or {}
        for output in answer["output"]:
            output["layer"] = {"index": 0, "label": "figure"}
        emulator.inject(Fault(status=200, body=answer, method="GET", path=f"/agents/v1/generations/{split['id']}"))
        saved = await client.call_tool("download_generation", {"generation_id": split["id"]})
    assert not saved.is_error, text_of(saved)
    paths = [Path(path) for path in (saved.structured_content or {})["image_paths"]]
    assert [path.name.split(".layer-")[1] for path in paths] == ["00-figure.png", "01-figure.png", "02-figure.png"]
    assert all(path.is_file() for path in paths)


async def test_layers_from_a_slow_host_download_in_the_background_and_are_reported_saved_later(tmp_path: Path) -> None:
    # Three layers of about 2.3 KB in all: at 800 bytes a second, about 3 s, longer than a 1 s call.
    config = EmulatorConfig(queued_seconds=0.0, dreaming_seconds=0.1, asset_bytes_per_second=800)
    async with run_emulator(config) as emulator:
        async with connect(agents_settings(emulator, tmp_path, max_wait=1.0)) as client:
            split = (await client.call_tool("split_image_layers", {"image": REF})).structured_content or {}
            arguments = {"generation_id": split["id"]}
            first = (await client.call_tool("download_generation", arguments)).structured_content or {}
            landing = [Path(path) for path in first["image_paths"]]
            assert first["status"] == "in_progress" and len(landing) == 3 and first["total_bytes"] is None
            assert not any(path.exists() for path in landing) and "download_generation again" in first["next_step"]
            later = first
            with anyio.fail_after(20):
                while later["status"] != "saved":
                    later = (await client.call_tool("download_generation", arguments)).structured_content or {}
    assert [Path(path) for path in later["image_paths"]] == landing
    assert later["total_bytes"] == sum(path.stat().st_size for path in landing) > 2000


async def test_list_models_shows_uni1_with_its_kinds_options_and_prices(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        listed = (await client.call_tool("list_models", {})).structured_content or {}
    by_name = {model["name"]: model for model in listed["models"]}
    uni1, uni1_max, ray3 = by_name["uni-1"], by_name["uni-1-max"], by_name["ray-3.2"]
    assert (uni1["api"], uni1["available"], uni1["kinds"]) == ("agents", True, ["image", "edit", "layers"])
    assert uni1_max["kinds"] == ["image", "edit"] and ray3["kinds"] == ["video", "extend", "edit", "reframe"]
    assert uni1["options"]["style"] == ["auto", "manga"] and uni1["options"]["output_format"] == ["png", "jpeg"]
    assert len(uni1["options"]["aspect_ratio"]) == 9
    assert (uni1["prices_usd"]["image"], uni1["prices_usd"]["image, 9 images in"]) == (0.0404, 0.0674)
    assert (uni1_max["prices_usd"]["image"], uni1_max["prices_usd"]["image, 9 images in"]) == (0.1, 0.127)
    assert emulator.requests == []


async def test_a_manga_image_with_no_aspect_ratio_is_asked_for_in_portrait(emulator: Emulator, tmp_path: Path) -> None:
    """Left to itself, the model picks a landscape shape, which Luma refuses for manga."""
    async with connect(agents_settings(emulator, tmp_path)) as client:
        made = await client.call_tool("generate_image", {"prompt": PROMPT, "style": "manga"})
    assert not made.is_error, text_of(made)
    assert posted(emulator)[0]["aspect_ratio"] == "2:3"
