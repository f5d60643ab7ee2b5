"""The Luma emulator, driven over real HTTP exactly as a Luma client would drive Luma."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from lumaai import AsyncLumaAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import luma_mcp.emulator
from luma_mcp.emulator import DEFAULT_AGENTS_API_KEY, DEFAULT_API_KEY, Emulator, EmulatorConfig, Fault, run_emulator
from luma_mcp.emulator.clock import GenerationClock, Timeline
from luma_mcp.emulator.runner import serving
from luma_mcp.emulator.vocabulary import MODIFY_MODES

pytestmark = pytest.mark.anyio

PROMPT = "a red fox running through fresh snow"
RAY_2_720P_5S_CENTS = 102.0
COMPLETED_ID = "00000000-0000-4000-8000-000000000000"
TLS = httpx.create_ssl_context()
"""One TLS context for every test client: httpx builds one per client otherwise, at ~40 ms each."""


@asynccontextmanager
async def client_for(emulator: Emulator, *, api_key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {api_key or emulator.api_key}"}
    async with httpx.AsyncClient(base_url=emulator.base_url, headers=headers, verify=TLS) as client:
        yield client


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(emulator) as client:
        yield client


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT, **fields})
    assert response.status_code == 201, response.text
    generation: dict[str, Any] = response.json()
    return generation


async def wait_for_state(client: httpx.AsyncClient, generation_id: str, *states: str) -> dict[str, Any]:
    with anyio.fail_after(5):
        while True:
            generation: dict[str, Any] = (await client.get(f"/generations/{generation_id}")).json()
            if generation["state"] in states:
                return generation
            await anyio.sleep(0.01)


async def completed(emulator: Emulator, client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    generation = await create(client, **fields)
    emulator.finish_now(generation["id"])
    return await wait_for_state(client, generation["id"], "completed")


def state_in_emulator(emulator: Emulator, generation_id: str) -> str | None:
    generation = emulator.generation(generation_id)
    return None if generation is None else str(generation["state"])


# --- the package surface -------------------------------------------------------------------------------------------


def test_the_public_names_are_exported_in_sorted_order() -> None:
    """``from luma_mcp.emulator import *`` gives exactly the documented names."""
    assert luma_mcp.emulator.__all__ == sorted(luma_mcp.emulator.__all__)
    assert set(luma_mcp.emulator.__all__) == {
        "AgentsConfig",
        "DEFAULT_AGENTS_API_KEY",
        "DEFAULT_API_KEY",
        "Emulator",
        "EmulatorConfig",
        "Fault",
        "RecordedRequest",
        "run_emulator",
        "serve",
    }


async def test_the_emulator_runs_on_loopback_under_lumas_prefix(emulator: Emulator) -> None:
    """``base_url`` is where the SDK would point ``LUMAAI_BASE_URL``."""
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert emulator.base_url.endswith("/dream-machine/v1")
    assert emulator.api_key == DEFAULT_API_KEY


async def test_routes_answer_under_the_prefix_and_at_the_root(emulator: Emulator, client: httpx.AsyncClient) -> None:
    """Both the documented base URL and a bare host work, as clients configure either."""
    root = emulator.base_url.removesuffix("/dream-machine/v1")
    assert (await client.get("/ping")).json() == {"message": "pong"}
    assert (await client.get(f"{root}/ping")).json() == {"message": "pong"}


# --- auth and routing ----------------------------------------------------------------------------------------------


async def test_a_missing_or_wrong_key_is_refused(emulator: Emulator) -> None:
    """Luma's spec example: 401 with "Invalid API key is provided"."""
    for headers in [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": f"Basic {DEFAULT_API_KEY}"}]:
        async with httpx.AsyncClient(base_url=emulator.base_url, headers=headers, verify=TLS) as anonymous:
            for response in [await anonymous.get("/generations"), await anonymous.post("/generations/video", json={})]:
                assert (response.status_code, response.json()) == (401, {"detail": "Invalid API key is provided"})


async def test_an_unknown_route_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


# --- the generation lifecycle --------------------------------------------------------------------------------------


async def test_a_create_answers_201_queued_with_the_whole_request_echoed(client: httpx.AsyncClient) -> None:
    """Unset request fields come back as null, and ``generation_type`` is always there."""
    generation = await create(client, aspect_ratio="9:16", concepts=[{"key": "dolly_zoom"}])
    assert generation["state"] == "queued"
    assert generation["generation_type"] == "video"
    assert generation["model"] == "ray-2"
    assert generation["assets"] is None
    assert generation["failure_reason"] is None
    assert generation["created_at"].endswith("Z")
    assert generation["request"] == {
        "generation_type": "video",
        "model": "ray-2",
        "prompt": PROMPT,
        "aspect_ratio": "9:16",
        "loop": None,
        "keyframes": None,
        "resolution": None,
        "duration": None,
        "concepts": [{"key": "dolly_zoom"}],
        "callback_url": None,
    }


async def test_the_older_create_path_works_too(client: httpx.AsyncClient) -> None:
    """Luma's docs and its own MCP server still POST to /generations."""
    response = await client.post("/generations", json={"model": "ray-flash-2", "prompt": PROMPT})
    assert response.status_code == 201
    assert response.json()["model"] == "ray-flash-2"


async def test_a_generation_dreams_then_completes_with_assets_that_download(client: httpx.AsyncClient) -> None:
    """The clock runs by itself; the finished assets are a real MP4 and a real JPEG."""
    generation = await create(client)
    dreaming = await wait_for_state(client, generation["id"], "dreaming", "completed")
    assert dreaming["state"] == "dreaming"
    assert dreaming["assets"] is None
    done = await wait_for_state(client, generation["id"], "completed")
    assert done["assets"]["progress_video"] is None
    video = await client.get(done["assets"]["video"])
    thumbnail = await client.get(done["assets"]["image"])
    assert video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    assert thumbnail.content[:2] == b"\xff\xd8"


async def test_assets_are_missing_until_the_generation_completes(emulator: Emulator, client: httpx.AsyncClient) -> None:
    generation = await create(client)
    root = emulator.base_url.removesuffix("/dream-machine/v1")
    assert (await client.get(f"{root}/assets/{generation['id']}/video.mp4")).status_code == 404
    assert (await client.get(f"{root}/assets/{COMPLETED_ID}/thumb.jpg")).status_code == 404


async def test_a_planned_failure_ends_failed_with_its_reason(emulator: Emulator, client: httpx.AsyncClient) -> None:
    emulator.plan_next(failure_reason="Advanced prompt moderation failed", queued_seconds=0, dreaming_seconds=0.05)
    generation = await create(client)
    failed = await wait_for_state(client, generation["id"], "failed", "completed")
    assert failed["state"] == "failed"
    assert failed["failure_reason"] == "Advanced prompt moderation failed"
    assert failed["assets"] is None


async def test_plans_apply_to_one_generation_each_in_order(emulator: Emulator, client: httpx.AsyncClient) -> None:
    emulator.plan_next(queued_seconds=60)
    emulator.plan_next(failure_reason="Job failed", queued_seconds=0, dreaming_seconds=0)
    emulator.plan_next(queued_seconds=0, dreaming_seconds=0)
    slow, failing, fast = [await create(client) for _ in range(3)]
    assert (await wait_for_state(client, failing["id"], "failed"))["failure_reason"] == "Job failed"
    await wait_for_state(client, fast["id"], "completed")
    assert state_in_emulator(emulator, slow["id"]) == "queued"


async def test_finish_now_jumps_to_the_end(emulator: Emulator, client: httpx.AsyncClient) -> None:
    emulator.plan_next(queued_seconds=60)
    generation = await create(client)
    emulator.finish_now(generation["id"])
    assert (await client.get(f"/generations/{generation['id']}")).json()["state"] == "completed"
    assert state_in_emulator(emulator, generation["id"]) == "completed"


async def test_the_test_controls_know_only_existing_generations(emulator: Emulator) -> None:
    assert emulator.generation(COMPLETED_ID) is None
    with pytest.raises(KeyError):
        emulator.finish_now(COMPLETED_ID)


async def test_the_list_is_newest_first_and_paged(client: httpx.AsyncClient) -> None:
    ids = [(await create(client))["id"] for _ in range(3)]
    everything = (await client.get("/generations")).json()
    assert [g["id"] for g in everything["generations"]] == ids[::-1]
    assert (everything["count"], everything["limit"], everything["offset"], everything["has_more"]) == (
        3,
        100,
        0,
        False,
    )
    page = (await client.get("/generations", params={"limit": 2, "offset": 0})).json()
    assert ([g["id"] for g in page["generations"]], page["count"], page["has_more"]) == (ids[:0:-1], 2, True)
    rest = (await client.get("/generations", params={"limit": 2, "offset": 2})).json()
    assert ([g["id"] for g in rest["generations"]], rest["count"], rest["has_more"]) == ([ids[0]], 1, False)


async def test_bad_paging_is_refused(client: httpx.AsyncClient) -> None:
    for params in [{"limit": "0"}, {"limit": "many"}, {"offset": "-1"}]:
        response = await client.get("/generations", params=params)
        assert response.status_code == 400
        assert "must be an integer" in response.json()["detail"]


async def test_a_deleted_generation_is_gone(emulator: Emulator, client: httpx.AsyncClient) -> None:
    generation = await create(client)
    deleted = await client.delete(f"/generations/{generation['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await client.get(f"/generations/{generation['id']}")).status_code == 404
    assert (await client.get("/generations")).json()["generations"] == []
    assert emulator.generation(generation["id"]) is None


async def test_an_unknown_id_is_not_found(client: httpx.AsyncClient) -> None:
    for response in [
        await client.get(f"/generations/{COMPLETED_ID}"),
        await client.delete(f"/generations/{COMPLETED_ID}"),
    ]:
        assert response.status_code == 404
        assert COMPLETED_ID in response.json()["detail"]


async def test_each_key_sees_only_its_own_generations() -> None:
    """Keys are tenants: another key's generation is as invisible as a missing one."""
    async with (
        run_emulator(EmulatorConfig(api_keys=("key-a", "key-b"))) as emulator,
        client_for(emulator, api_key="key-a") as alice,
        client_for(emulator, api_key="key-b") as bob,
    ):
        generation = await create(alice)
        assert (await bob.get(f"/generations/{generation['id']}")).status_code == 404
        assert (await bob.delete(f"/generations/{generation['id']}")).status_code == 404
        assert (await bob.post(f"/generations/{generation['id']}/upscale", json={})).status_code == 404
        assert (await bob.get("/generations")).json()["generations"] == []
        assert (await alice.get("/generations")).json()["count"] == 1
        assert (await bob.get("/credits")).json()["credit_balance"] == 100_000.0
        assert {r.api_key for r in emulator.requests} == {"key-a", "key-b"}


# --- validation ----------------------------------------------------------------------------------------------------

GEN = {"type": "generation", "id": COMPLETED_ID}
IMAGE = {"type": "image", "url": "https://example.com/frame.jpg"}


def loop_with(frame0: dict[str, str] | None, frame1: dict[str, str]) -> dict[str, Any]:
    return {"loop": True, "keyframes": {"frame0": frame0, "frame1": frame1}}


INVALID_CREATES: list[tuple[dict[str, Any], str]] = [
    ({"generation_type": "image"}, "Unknown request type"),
    ({"model": None}, "model is required; use one of: ray-2, ray-flash-2"),
    ({"model": "ray-3"}, "Invalid model 'ray-3'; use one of: ray-2, ray-flash-2"),
    ({"model": "ray-1-6"}, "Invalid model 'ray-1-6'; use one of: ray-2, ray-flash-2"),
    ({"prompt": None}, "Prompt is required"),
    ({"prompt": "ab"}, "Prompt is too short, minimum length is 3 characters"),
    ({"prompt": "x" * 5001}, "Prompt is too long, maximum length is 5000 characters"),
    ({"prompt": 42}, "prompt must be a string"),
    ({"aspect_ratio": "5:4"}, "Invalid aspect_ratio '5:4'; use one of: 1:1, 16:9, 9:16, 4:3, 3:4, 21:9, 9:21"),
    ({"resolution": "8k"}, "Invalid resolution '8k'; use one of: 540p, 720p, 1080p, 4k"),
    ({"duration": "10s"}, "Invalid duration '10s'; use one of: 5s, 9s"),
    ({"loop": "yes"}, "loop must be true or false"),
    ({"keyframes": {"frame0": None, "frame1": None}}, "No keyframes provided"),
    ({"keyframes": []}, "keyframes must be an object with frame0 and/or frame1"),
    (
        {"keyframes": {"frame0": {"url": "https://example.com/a.jpg"}}},
        "keyframes.frame0 needs a type of 'image' (with a url) or 'generation' (with an id)",
    ),
    ({"keyframes": {"frame1": {"type": "image"}}}, "keyframes.frame1 of type 'image' needs a non-empty 'url'"),
    (
        {"keyframes": {"frame0": {"type": "generation"}}},
        "keyframes.frame0 of type 'generation' needs a non-empty 'id'",
    ),
    (loop_with(None, IMAGE), "Loop is not supported for end frame"),
    (loop_with(IMAGE, IMAGE), "Loop is not supported for keyframes"),
    (loop_with(None, GEN), "Loop is not supported for extend reverse"),
    (loop_with(GEN, IMAGE), "Loop is not supported for interpolate video to image"),
    (loop_with(IMAGE, GEN), "Loop is not supported for interpolate image to video"),
    (loop_with(GEN, GEN), "Loop is not supported for interpolate between two videos"),
    ({"keyframes": {"frame0": GEN}}, f"Generation {COMPLETED_ID} not found"),
    ({"concepts": ["dolly_zoom"]}, 'concepts must be a list of objects like {"key": "dolly_zoom"}'),
    ({"concepts": [{"key": "moonwalk"}]}, "Unknown concept 'moonwalk'; see GET /generations/concepts/list"),
    ({"callback_url": "ftp://example.com/hook"}, "callback_url must be an http:// or https:// URL"),
]
"""Fields merged into a valid create (``None`` removes a field), and the 400 detail Luma answers with."""


async def test_an_invalid_create_is_refused_with_lumas_message(client: httpx.AsyncClient) -> None:
    mismatches = []
    for fields, detail in INVALID_CREATES:
        body = {
            key: value for key, value in {"model": "ray-2", "prompt": PROMPT, **fields}.items() if value is not None
        }
        response = await client.post("/generations/video", json=body)
        if (response.status_code, response.json()) != (400, {"detail": detail}):
            mismatches.append((fields, response.status_code, response.json()))
    assert mismatches == []
    assert (await client.get("/generations")).json()["generations"] == []


MEDIA = {"url": "https://example.com/clip.mp4"}
VALID_EDITS: dict[str, dict[str, Any]] = {
    "/generations/video/modify": {"model": "ray-2", "mode": "flex_1", "media": MEDIA},
    "/generations/video/reframe": {"model": "ray-flash-2", "aspect_ratio": "9:16", "media": MEDIA},
    "/generations/image/reframe": {"model": "photon-1", "aspect_ratio": "1:1", "media": MEDIA},
}
INVALID_EDITS: list[tuple[str, dict[str, Any], str]] = [
    ("/generations/video/modify", {"generation_type": "video"}, "Unknown request type"),
    ("/generations/video/modify", {"model": None}, "model is required; use one of: ray-2, ray-flash-2"),
    ("/generations/video/modify", {"model": "ray-3.2"}, "Invalid model 'ray-3.2'; use one of: ray-2, ray-flash-2"),
    ("/generations/video/modify", {"mode": None}, f"mode is required; use one of: {', '.join(MODIFY_MODES)}"),
    ("/generations/video/modify", {"mode": "medium"}, f"Invalid mode 'medium'; use one of: {', '.join(MODIFY_MODES)}"),
    ("/generations/video/modify", {"media": None}, "media must be an object with an http:// or https:// url"),
    (
        "/generations/video/modify",
        {"first_frame": {"url": "frame.jpg"}},
        "first_frame must be an object with an http:// or https:// url",
    ),
    ("/generations/video/modify", {"prompt": "ab"}, "Prompt is too short, minimum length is 3 characters"),
    (
        "/generations/video/reframe",
        {"aspect_ratio": None},
        "aspect_ratio is required; use one of: 1:1, 16:9, 9:16, 4:3, 3:4, 21:9, 9:21",
    ),
    ("/generations/video/reframe", {"model": "photon-1"}, "Invalid model 'photon-1'; use one of: ray-2, ray-flash-2"),
    ("/generations/video/reframe", {"x_start": -1}, "x_start must be a whole number of pixels, 0 or more"),
    ("/generations/video/reframe", {"y_start": 9, "y_end": 9}, "y_start must be less than y_end"),
    ("/generations/image/reframe", {"model": "ray-2"}, "Invalid model 'ray-2'; use one of: photon-1, photon-flash-1"),
    ("/generations/image/reframe", {"format": "jpeg"}, "Invalid format 'jpeg'; use one of: jpg, png"),
    ("/generations/image/reframe", {"resized_width": 1.5}, "resized_width must be a whole number of pixels, 0 or more"),
    ("/generations/image/reframe", {"generation_type": "reframe_video"}, "Unknown request type"),
]
"""Fields merged into a valid modify or reframe (``None`` removes a field), and the 400 detail answered."""


async def test_an_invalid_modify_or_reframe_is_refused_with_its_message(client: httpx.AsyncClient) -> None:
    mismatches = []
    for path, fields, detail in INVALID_EDITS:
        body = {key: value for key, value in {**VALID_EDITS[path], **fields}.items() if value is not None}
        response = await client.post(path, json=body)
        if (response.status_code, response.json()) != (400, {"detail": detail}):
            mismatches.append((path, fields, response.status_code, response.json()))
    assert mismatches == []
    assert (await client.get("/generations")).json()["generations"] == []


async def test_a_modify_or_reframe_answers_201_queued_with_the_request_echoed_and_is_charged(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    made = []
    for path, body in VALID_EDITS.items():
        response = await client.post(path, json=body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    modify, reframe_video, reframe_image = made
    assert modify["request"] == {
        "generation_type": "modify_video",
        "model": "ray-2",
        "media": MEDIA,
        "mode": "flex_1",
        "prompt": None,
        "first_frame": None,
        "callback_url": None,
    }
    assert reframe_video["request"]["generation_type"] == "reframe_video" and reframe_video["model"] == "ray-flash-2"
    assert reframe_image["generation_type"] == "image" and reframe_image["request"]["format"] is None
    assert all(generation["state"] == "queued" for generation in made)
    emulator.finish_now(reframe_image["id"])
    finished = (await client.get(f"/generations/{reframe_image['id']}")).json()
    assert {name for name, url in finished["assets"].items() if url} == {"image"}, "a reframed image has no video"
    assert (await client.get("/credits")).json()["credit_balance"] == 100_000.0 - (175.0 + 34.0 + 1.04)


async def test_a_body_that_is_not_a_json_object_is_refused(client: httpx.AsyncClient) -> None:
    for content, detail in [
        (b"[1, 2]", "Request body must be a JSON object"),
        (b"{oops", "Request body is not valid JSON"),
    ]:
        response = await client.post("/generations", content=content, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"detail": detail})


async def test_an_image_keyframe_makes_the_prompt_optional(client: httpx.AsyncClient) -> None:
    response = await client.post("/generations/video", json={"model": "ray-2", "keyframes": {"frame0": IMAGE}})
    assert response.status_code == 201
    assert response.json()["request"]["keyframes"] == {"frame0": IMAGE, "frame1": None}


async def test_extending_needs_a_completed_generation(emulator: Emulator, client: httpx.AsyncClient) -> None:
    emulator.plan_next(queued_seconds=60)
    source = await create(client)
    extend = {"keyframes": {"frame0": {"type": "generation", "id": source["id"]}}}
    refused = await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT, **extend})
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        f"Generation {source['id']} is queued, not completed; "
        "only a completed generation can be extended or interpolated"
    )
    emulator.finish_now(source["id"])
    assert (await create(client, **extend))["request"]["keyframes"]["frame0"]["id"] == source["id"]


# --- upscale and audio ---------------------------------------------------------------------------------------------


async def test_upscale_makes_a_new_generation_that_runs_on_the_clock(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    source = await completed(emulator, client, duration="9s")
    emulator.plan_next(queued_seconds=0, dreaming_seconds=0.05)
    response = await client.post(f"/generations/{source['id']}/upscale", json={"resolution": "4k"})
    assert response.status_code == 200
    upscaled = response.json()
    assert upscaled["id"] != source["id"]
    assert (upscaled["generation_type"], upscaled["state"], upscaled["model"]) == ("video", "queued", "ray-2")
    assert upscaled["request"] == {"generation_type": "upscale_video", "resolution": "4k", "callback_url": None}
    assert (await wait_for_state(client, upscaled["id"], "completed"))["assets"]["video"].endswith("/video.mp4")


async def test_audio_makes_a_new_generation(emulator: Emulator, client: httpx.AsyncClient) -> None:
    source = await completed(emulator, client)
    response = await client.post(f"/generations/{source['id']}/audio", json={"prompt": "wind and distant owls"})
    assert response.status_code == 200
    assert response.json()["generation_type"] == "video"
    assert response.json()["request"] == {
        "generation_type": "add_audio",
        "prompt": "wind and distant owls",
        "negative_prompt": None,
        "callback_url": None,
    }


async def test_upscale_and_audio_need_a_completed_source(emulator: Emulator, client: httpx.AsyncClient) -> None:
    emulator.plan_next(queued_seconds=60)
    source = await create(client)
    for action, use in [("upscale", "upscaled"), ("audio", "given audio")]:
        response = await client.post(f"/generations/{source['id']}/{action}", json={})
        assert response.status_code == 400
        assert response.json()["detail"].endswith(f"only a completed generation can be {use}")
        assert (await client.post(f"/generations/{COMPLETED_ID}/{action}", json={})).status_code == 404


# --- catalogues, credits -------------------------------------------------------------------------------------------


async def test_concepts_list_the_34_known_keys(client: httpx.AsyncClient) -> None:
    concepts = (await client.get("/generations/concepts/list")).json()
    assert len(concepts) == len(set(concepts)) == 34
    assert {"dolly_zoom", "orbit_left", "aerial_drone"} <= set(concepts)


async def test_camera_motions_are_gone_unless_switched_on(client: httpx.AsyncClient) -> None:
    response = await client.get("/generations/camera_motion/list")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    async with run_emulator(EmulatorConfig(camera_motions=True)) as emulator, client_for(emulator) as legacy:
        assert "camera orbit left" in (await legacy.get("/generations/camera_motion/list")).json()


async def test_credits_are_charged_per_create_and_refunded_on_failure(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    async def balance() -> float:
        return float((await client.get("/credits")).json()["credit_balance"])

    assert await balance() == 100_000.0
    await create(client)
    assert await balance() == 100_000.0 - RAY_2_720P_5S_CENTS
    emulator.plan_next(failure_reason="Job failed")
    doomed = await create(client, resolution="4k", duration="9s")
    assert await balance() < 100_000.0 - RAY_2_720P_5S_CENTS
    emulator.finish_now(doomed["id"])
    assert await balance() == 100_000.0 - RAY_2_720P_5S_CENTS


# --- callbacks -----------------------------------------------------------------------------------------------------


@asynccontextmanager
async def callback_receiver(answer: Callable[[int], int]) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback endpoint that records each POSTed body and answers ``answer(n)`` to the n-th (from 0)."""
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=answer(len(received) - 1))

    async with serving(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as origin:
        yield f"{origin}/hook", received


async def wait_for_count(items: list[Any], count: int) -> None:
    with anyio.fail_after(5):
        while len(items) < count:
            await anyio.sleep(0.01)


async def test_callbacks_announce_dreaming_and_completion_retrying_until_200(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """Luma retries a callback that did not get 200, up to 3 tries in all."""
    async with callback_receiver(lambda n: 500 if n < 2 else 200) as (url, received):
        emulator.plan_next(queued_seconds=0, dreaming_seconds=0.3)
        generation = await create(client, callback_url=url)
        await wait_for_count(received, 4)
        assert [body["state"] for body in received] == ["dreaming", "dreaming", "dreaming", "completed"]
        assert {body["id"] for body in received} == {generation["id"]}
        assert received[-1]["assets"]["video"].endswith("/video.mp4")


async def test_callbacks_give_up_after_three_tries_and_the_emulator_carries_on(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    async with callback_receiver(lambda n: 503) as (url, received):
        emulator.plan_next(failure_reason="Job failed", queued_seconds=0, dreaming_seconds=0.3)
        generation = await create(client, callback_url=url)
        await wait_for_count(received, 6)
        with anyio.fail_after(5):
            while emulator.callbacks_in_flight:
                await anyio.sleep(0.01)
        assert [body["state"] for body in received] == ["dreaming"] * 3 + ["failed"] * 3
    emulator.plan_next(queued_seconds=0, dreaming_seconds=0)
    unreachable = await create(client, callback_url=url)
    await wait_for_state(client, unreachable["id"], "completed")
    assert (await client.get(f"/generations/{generation['id']}")).json()["failure_reason"] == "Job failed"


# --- limits --------------------------------------------------------------------------------------------------------


async def test_creates_per_minute_are_limited_with_retry_after() -> None:
    async with run_emulator(EmulatorConfig(creates_per_minute=2)) as emulator, client_for(emulator) as client:
        await create(client)
        await create(client)
        refused = await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT})
        assert refused.status_code == 429
        assert "2 generations may be created per minute" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert (await client.get("/generations")).json()["count"] == 2


async def test_concurrent_generations_are_limited_until_one_finishes() -> None:
    async with (
        run_emulator(EmulatorConfig(max_concurrent=1, queued_seconds=60)) as emulator,
        client_for(emulator) as client,
    ):
        first = await create(client)
        refused = await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT})
        assert refused.status_code == 429
        assert "at most 1" in refused.json()["detail"]
        emulator.finish_now(first["id"])
        await create(client)


# --- fault injection -----------------------------------------------------------------------------------------------


async def test_a_fault_answers_its_status_and_retry_after_then_is_used_up(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    emulator.inject(Fault(status=503, count=2, method="POST", path="/generations/video", retry_after=1.5))
    assert (await client.get("/generations")).status_code == 200
    for _ in range(2):
        faulted = await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT})
        assert (faulted.status_code, faulted.json()) == (503, {"detail": "Service Unavailable"})
        assert faulted.headers["Retry-After"] == "1.5"
    await create(client)
    assert (await client.get("/generations")).json()["count"] == 1


async def test_faults_apply_in_order_and_match_path_prefixes(emulator: Emulator, client: httpx.AsyncClient) -> None:
    emulator.inject(Fault(status=500, path="/generations/*", detail="boom"))
    emulator.inject(Fault(status=429))
    assert (await client.get("/ping")).status_code == 429
    assert (await client.get("/generations")).status_code == 200
    faulted = await client.get(f"/generations/{COMPLETED_ID}")
    assert (faulted.status_code, faulted.json()) == (500, {"detail": "boom"})


async def test_a_fault_can_answer_any_json_padded_to_any_size(emulator: Emulator, client: httpx.AsyncClient) -> None:
    hostile = {"id": "../../../ESCAPED", "state": "completed"}
    emulator.inject(Fault(status=200, method="GET", path="/generations/*", body=hostile))
    emulator.inject(Fault(status=201, path="/generations/video", body=hostile, padding=300_000))
    assert (await client.get(f"/generations/{COMPLETED_ID}")).json() == hostile
    padded = await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT})
    assert (padded.status_code, padded.json()) == (201, hostile)
    assert "content-length" not in padded.headers
    assert padded.content[:300_000].isspace() and len(padded.content) == 300_000 + len(json.dumps(hostile))


async def test_a_delayed_answer_runs_the_client_into_its_read_timeout(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    emulator.inject(Fault(status=200, delay=30))
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/ping", timeout=0.2)
    emulator.inject(Fault(status=502, delay=0.01))
    assert (await client.get("/ping")).status_code == 502


async def test_a_dropped_connection_is_a_transport_error(emulator: Emulator, client: httpx.AsyncClient) -> None:
    emulator.inject(Fault(drop=True, path="/ping"))
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get("/ping")
    assert (await client.get("/ping")).status_code == 200
    assert [r.status for r in emulator.requests_for("GET", "/ping")] == [0, 200]


async def test_a_fault_after_processing_still_creates_the_generation(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """The "did my create reach Luma?" case: the client sees an error, yet the generation exists."""
    emulator.inject(Fault(status=504, after_processing=True, method="POST", path="/generations/video"))
    response = await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT})
    assert response.status_code == 504
    assert [g["request"]["prompt"] for g in (await client.get("/generations")).json()["generations"]] == [PROMPT]


async def test_a_dropped_create_after_processing_still_creates_the_generation(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    emulator.inject(Fault(drop=True, after_processing=True, path="/generations/video"))
    with pytest.raises(httpx.TransportError):
        await client.post("/generations/video", json={"model": "ray-2", "prompt": PROMPT})
    assert (await client.get("/generations")).json()["count"] == 1


async def test_asset_downloads_are_never_faulted_or_logged(emulator: Emulator, client: httpx.AsyncClient) -> None:
    generation = await completed(emulator, client)
    emulator.inject(Fault(status=500))
    emulator.clear_requests()
    assert (await client.get(generation["assets"]["video"])).status_code == 200
    assert emulator.requests == []
    assert (await client.get("/ping")).status_code == 500


# --- the request log -----------------------------------------------------------------------------------------------


async def test_the_request_log_records_what_was_asked_and_answered(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    generation = await create(client, resolution="1080p")
    await client.get("/generations", params={"limit": "5"})
    async with client_for(emulator, api_key="intruder") as intruder:
        await intruder.get(f"/generations/{generation['id']}")
    created, listed, refused = emulator.requests
    assert (created.method, created.path, created.status) == ("POST", "/generations/video", 201)
    assert created.body == {"model": "ray-2", "prompt": PROMPT, "resolution": "1080p"}
    assert created.api_key == emulator.api_key
    assert (listed.path, listed.query, listed.body) == ("/generations", {"limit": "5"}, None)
    assert (refused.path, refused.api_key, refused.status) == (f"/generations/{generation['id']}", "intruder", 401)
    assert created.at <= listed.at <= refused.at
    assert emulator.requests_for("get", "/generations*") == [listed, refused]
    emulator.clear_requests()
    assert emulator.requests == []


# --- reset: one emulator, many tests ------------------------------------------------------------------------------


async def test_a_reset_emulator_keeps_nothing_from_before() -> None:
    """Generations, balances, plans, faults, logged requests, spent limits, and timelines and callbacks still under
    way: none of it outlives ``reset()``. The generations created after it run on the same clock as those before,
    so whatever a surviving timeline or callback would do has happened by the time theirs are done."""
    config = EmulatorConfig(creates_per_minute=2, queued_seconds=0, dreaming_seconds=0.6)
    received: list[dict[str, Any]] = []
    release_first = anyio.Event()

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        if len(received) == 1:
            await release_first.wait()
            return Response(status_code=500)  # a delivery that outlived the reset would try again
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    async with run_emulator(config) as emulator, client_for(emulator) as client, serving(receiver) as origin:
        url = f"{origin}/hook"
        emulator.plan_next(failure_reason="Job failed")  # refunded when it ends
        before = [await create(client, callback_url=url), await create(client, callback_url=url)]
        emulator.plan_next(failure_reason="Planned and never used")
        emulator.inject(Fault(status=418, path="/credits"))
        await wait_for_count(received, 2)  # both "dreaming", the first one still waiting for its answer

        emulator.reset()
        release_first.set()

        assert emulator.requests == []
        assert [emulator.generation(generation["id"]) for generation in before] == [None, None]
        assert (await client.get("/generations")).json()["generations"] == []
        assert (await client.get("/credits")).json() == {"credit_balance": config.initial_credit_cents}
        after = [await create(client, callback_url=url), await create(client, callback_url=url)]
        ended = [await wait_for_state(client, generation["id"], "completed", "failed") for generation in after]
        assert [generation["state"] for generation in ended] == ["completed", "completed"]
        await wait_for_count(received, 2 + 4)
        assert sorted((body["id"], body["state"]) for body in received[2:]) == sorted(
            (generation["id"], state) for state in ("dreaming", "completed") for generation in after
        )
        assert (await client.get("/credits")).json() == {
            "credit_balance": config.initial_credit_cents - 2 * RAY_2_720P_5S_CENTS
        }
        assert [(r.path, r.status) for r in emulator.requests_for("GET", "/credits")] == [("/credits", 200)] * 2


# --- fidelity: the official SDK -----------------------------------------------------------------------------------


async def test_the_official_sdk_accepts_every_answer_in_strict_mode(emulator: Emulator) -> None:
    """lumaai validates each response against Luma's OpenAPI types; the emulator must pass."""
    async with AsyncLumaAI(
        auth_token=emulator.api_key, base_url=emulator.base_url, _strict_response_validation=True, max_retries=0
    ) as luma:
        generation = await luma.generations.create(
            model="ray-2", prompt=PROMPT, aspect_ratio="16:9", concepts=[{"key": "dolly_zoom"}]
        )
        assert generation.id is not None
        assert generation.state == "queued"
        emulator.finish_now(generation.id)
        fetched = await luma.generations.get(generation.id)
        assert fetched.assets is not None and fetched.assets.video is not None
        listed = await luma.generations.list(limit=10)
        assert [g.id for g in listed.generations] == [generation.id]
        assert "dolly_zoom" in await luma.generations.concepts.list()
        assert (await luma.credits.get()).credit_balance == 100_000.0 - RAY_2_720P_5S_CENTS
        assert (await luma.ping.check()).message == "pong"
        upscaled = await luma.generations.upscale(generation.id, generation_type="upscale_video", resolution="4k")
        assert upscaled.request is not None and upscaled.request.generation_type == "upscale_video"
        voiced = await luma.generations.audio(generation.id, generation_type="add_audio", prompt="wind")
        assert voiced.state == "queued"
        source = "https://example.com/clip.mp4"
        modified = await luma.generations.video.modify(
            generation_type="modify_video",
            media={"url": source},
            mode="adhere_2",
            model="ray-flash-2",
            first_frame={"url": source},
        )
        reframed = await luma.generations.video.reframe(
            generation_type="reframe_video",
            media={"url": source},
            aspect_ratio="9:21",
            model="ray-2",
            x_start=0,
            x_end=10,
        )
        photo = await luma.generations.image.reframe(
            generation_type="reframe_image", media={"url": source}, aspect_ratio="1:1", model="photon-1", format="png"
        )
        assert modified.request is not None and modified.request.generation_type == "modify_video"
        assert reframed.request is not None and reframed.request.generation_type == "reframe_video"
        emulator.finish_now(photo.id or "")
        finished_photo = await luma.generations.get(photo.id or "")
        assert finished_photo.assets is not None and finished_photo.assets.image is not None
        for derived in (upscaled, voiced, modified, reframed, photo):
            assert derived.id is not None
            await luma.generations.delete(derived.id)
        await luma.generations.delete(generation.id)
        assert (await luma.generations.list()).generations == []


# --- the CLI entry point -------------------------------------------------------------------------------------------


def test_serve_announces_itself_on_stderr_and_stops_cleanly_on_ctrl_c() -> None:
    """One line on stderr naming both APIs, nothing on stdout, and Ctrl-C ends it without a traceback."""
    code = "from luma_mcp.emulator import serve; serve(port=0)"
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        announcement = process.stderr.readline()
        base_url = announcement.split(" at ")[1].split(" ")[0]
        agents_url = announcement.split("Agents API at ")[1].split(" ")[0]
        ping = httpx.get(f"{base_url}/ping", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
        files = httpx.get(f"{agents_url}/files", headers={"Authorization": f"Bearer {DEFAULT_AGENTS_API_KEY}"})
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    assert ping.json() == {"message": "pong"}
    assert files.json() == {"data": [], "has_more": False, "next_cursor": None}
    assert f"API key: {DEFAULT_API_KEY}" in announcement and f"API key: {DEFAULT_AGENTS_API_KEY}" in announcement
    assert (process.returncode, stdout, stderr) == (0, "", "")


async def test_finish_now_as_the_queued_wait_ends_finishes_the_job_for_good() -> None:
    """`finish_now` landing after the queued wait has ended but before the timeline's task runs again (about when a
    listener that has just been set up calls it, 50 ms in) used to be undone by the `begin` step that followed,
    leaving the job running with no timeline to finish it. The moment is made exact: the event loop is held up past
    both this test's wait and the (later) end of the queued wait, so the test wakes first, with the timeline's
    wait over and its task not yet run."""
    clock = GenerationClock()
    steps: list[str] = []
    timeline = Timeline("job", 0.05, 60.0, begin=lambda: steps.append("begin"), finish=lambda: steps.append("finish"))

    async def hold_up_the_loop() -> None:
        time.sleep(0.2)

    async with clock.running(), anyio.create_task_group() as group:
        clock.start(timeline)
        await anyio.lowlevel.checkpoint()  # the timeline's task starts its queued wait
        group.start_soon(hold_up_the_loop)
        await anyio.sleep(0.01)
        clock.finish_now("job")
        await anyio.sleep(0.05)
    assert steps == ["finish"]


async def test_the_official_sdk_makes_a_photon_image_in_strict_mode(emulator: Emulator) -> None:
    """Every Photon option, as lumaai sends it, is taken and echoed; the image is served in the format asked for."""
    async with AsyncLumaAI(
        auth_token=emulator.api_key, base_url=emulator.base_url, _strict_response_validation=True, max_retries=0
    ) as luma:
        image = await luma.generations.image.create(
            model="photon-flash-1",
            prompt=PROMPT,
            aspect_ratio="9:21",
            format="png",
            image_ref=[{"url": "https://example.com/a.jpg", "weight": 0.3}],
            style_ref=[{"url": "https://example.com/style.jpg", "weight": 0.8}],
            character_ref={"identity0": {"images": ["https://example.com/face.jpg"]}},
            modify_image_ref={"url": "https://example.com/source.jpg", "weight": 1.0},
        )
        assert (image.generation_type, image.state, image.model) == ("image", "queued", "photon-flash-1")
        emulator.finish_now(str(image.id))
        fetched = await luma.generations.get(str(image.id))
        assert fetched.assets is not None and fetched.assets.video is None and fetched.assets.image is not None
        assert fetched.request is not None and fetched.request.model_dump(exclude_none=True) == {
            "generation_type": "image",
            "model": "photon-flash-1",
            "prompt": PROMPT,
            "aspect_ratio": "9:21",
            "format": "png",
            "image_ref": [{"url": "https://example.com/a.jpg", "weight": 0.3}],
            "style_ref": [{"url": "https://example.com/style.jpg", "weight": 0.8}],
            "character_ref": {"identity0": {"images": ["https://example.com/face.jpg"]}},
            "modify_image_ref": {"url": "https://example.com/source.jpg", "weight": 1.0},
        }
        assert (await luma.credits.get()).credit_balance == 100_000.0 - 0.27
    async with httpx.AsyncClient() as http:
        served = await http.get(fetched.assets.image)
    assert served.headers["content-type"] == "image/png" and served.content[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"model": "photon-2"}, "Invalid model 'photon-2'; use one of: photon-1, photon-flash-1"),
        ({"model": None}, "model is required; use one of: photon-1, photon-flash-1"),
        ({"format": "webp"}, "Invalid format 'webp'; use one of: jpg, png"),
        ({"aspect_ratio": "2:3"}, "Invalid aspect_ratio '2:3'"),
        ({"prompt": "hi"}, "Prompt is too short, minimum length is 3 characters"),
        ({"image_ref": [{"url": "https://e.com/a.jpg"}] * 5}, "image_ref takes at most 4 images, not 5"),
        ({"style_ref": [{"url": "https://e.com/a.jpg", "weight": 1.5}]}, "style_ref[0].weight must be a number from 0"),
        ({"modify_image_ref": {"url": "/tmp/a.jpg"}}, "modify_image_ref needs a url"),
        ({"character_ref": {"identity0": {"images": ["https://e.com/a.jpg"] * 5}}}, "at most 4 images of one person"),
    ],
)
async def test_a_photon_image_luma_would_refuse_is_refused_with_its_message(
    client: httpx.AsyncClient, fields: dict[str, Any], detail: str
) -> None:
    answer = await client.post("/generations/image", json={"model": "photon-1", "prompt": PROMPT, **fields})
    assert answer.status_code == 400 and detail in answer.json()["detail"], answer.text
