"""The emulator's Agents API, driven over real HTTP as a client of Luma's Agents API would drive it."""

from __future__ import annotations

import base64
import re
import struct
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from luma_agents import AsyncLuma, NotFoundError
from luma_agents.types import CreateFileResponse

from luma_mcp.emulator import DEFAULT_AGENTS_API_KEY, AgentsConfig, Emulator, EmulatorConfig, Fault, run_emulator
from luma_mcp.emulator.assets import sample_bytes
from tests.test_emulator import wait_for_state

pytestmark = pytest.mark.anyio

PROMPT = "a red fox running through fresh snow"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
TLS = httpx.create_ssl_context()
"""One TLS context for every test client: httpx builds one per client otherwise, at ~40 ms each."""

PNG = sample_bytes("image.png")
JPEG = sample_bytes("thumb.jpg")
MP4 = sample_bytes("video.mp4")
"""2 s long."""
INLINE_PNG = {"data": base64.b64encode(PNG).decode(), "media_type": "image/png"}
IMAGE_URL = {"url": "https://example.com/frame.png"}
VIDEO_URL = {"url": "https://example.com/clip.mp4", "media_type": "video/mp4"}


def mp4_lasting(seconds: int) -> bytes:
    """The sample MP4 with its movie header saying it runs ``seconds`` (its timescale is 1000)."""
    header = MP4.index(b"mvhd") + 4
    assert MP4[header] == 0 and struct.unpack(">I", MP4[header + 12 : header + 16]) == (1000,)
    return MP4[: header + 16] + struct.pack(">I", seconds * 1000) + MP4[header + 20 :]


def inline_video(seconds: int) -> dict[str, str]:
    return {"data": base64.b64encode(mp4_lasting(seconds)).decode(), "media_type": "video/mp4"}


async def storage_get(url: str) -> httpx.Response:
    """A presigned URL is fetched as S3 wants it: with no Luma key (S3 refuses a second credential)."""
    async with httpx.AsyncClient(verify=TLS) as s3:
        return await s3.get(url)


async def storage_put(url: str, **request: Any) -> httpx.Response:
    async with httpx.AsyncClient(verify=TLS) as s3:
        return await s3.put(url, **request)


@asynccontextmanager
async def client_for(emulator: Emulator, *, api_key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {api_key or emulator.agents_api_key}"}
    async with httpx.AsyncClient(base_url=emulator.agents_base_url, headers=headers, verify=TLS) as client:
        yield client


@asynccontextmanager
async def agents_emulator(**settings: Any) -> AsyncIterator[tuple[Emulator, httpx.AsyncClient]]:
    """A fast emulator whose Agents API has these settings, and a client with its key."""
    config = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.3, agents=AgentsConfig(**settings))
    async with run_emulator(config) as emulator, client_for(emulator) as client:
        yield emulator, client


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(emulator) as client:
        yield client


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/generations", json={"prompt": PROMPT, **fields})
    assert response.status_code == 201, response.text
    generation: dict[str, Any] = response.json()
    return generation


async def completed(emulator: Emulator, client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    generation = await create(client, **fields)
    emulator.agents.finish_now(generation["id"])
    return await wait_for_state(client, generation["id"], "completed")


async def uploaded(
    emulator: Emulator, client: httpx.AsyncClient, content: bytes, mime_type: str, **fields: Any
) -> dict[str, Any]:
    """A file uploaded inline and ingested: ``ready``, unless its bytes give ingest a reason to fail it."""
    response = await client.post("/files", files={"file": ("upload", content, mime_type)}, data=fields)
    assert response.status_code == 201, response.text
    emulator.agents.ingest_now(response.json()["id"])
    file: dict[str, Any] = (await client.get(f"/files/{response.json()['id']}")).json()
    return file


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["detail"]


# --- where it lives, who may call it -------------------------------------------------------------------------------


async def test_the_agents_api_is_served_beside_dream_machine_under_its_own_prefix(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """One emulator, one port, two APIs: each under its own prefix, each with its own kind of key."""
    assert emulator.agents_base_url == emulator.base_url.removesuffix("/dream-machine/v1") + "/agents/v1"
    assert emulator.agents_api_key == DEFAULT_AGENTS_API_KEY
    assert DEFAULT_AGENTS_API_KEY.startswith("luma-api-")
    assert (await create(client))["model"] == "uni-1"
    dream_machine = {"Authorization": f"Bearer {emulator.api_key}"}
    async with httpx.AsyncClient(base_url=emulator.base_url, headers=dream_machine, verify=TLS) as other:
        assert (await other.get("/ping")).json() == {"message": "pong"}
        assert (await other.get("/generations")).json()["generations"] == []


async def test_every_answer_carries_a_request_id_and_the_api_version(client: httpx.AsyncClient) -> None:
    """The caller's X-Request-Id comes back; without one, each answer gets a fresh UUID. Errors too."""
    echoed = await client.get(f"/generations/{UNKNOWN_ID}", headers={"X-Request-Id": "trace-42"})
    first, second = await client.get("/files"), await client.post("/generations", json={})
    assert echoed.headers["X-Request-Id"] == "trace-42"
    assert re.fullmatch(r"[0-9a-f-]{36}", first.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert {r.headers["X-API-Version"] for r in (echoed, first, second)} == {"2026-04-01"}
    assert (echoed.status_code, first.status_code, second.status_code) == (404, 200, 400)


async def test_a_missing_malformed_or_unknown_key_is_refused(emulator: Emulator) -> None:
    """Anything not ``Bearer luma-api-...`` is refused before lookup; a well-formed stranger gets its own message."""
    malformed = [
        {},
        {"Authorization": f"bearer {emulator.agents_api_key}"},
        {"Authorization": f"Basic {emulator.agents_api_key}"},
        {"Authorization": f"Bearer {emulator.api_key}"},
    ]
    cases = [(headers, "Missing or invalid API key") for headers in malformed]
    cases.append(({"Authorization": "Bearer luma-api-someone-else"}, "Invalid API key"))
    for headers, detail in cases:
        async with httpx.AsyncClient(base_url=emulator.agents_base_url, headers=headers, verify=TLS) as anonymous:
            for response in [
                await anonymous.post("/generations", json={"prompt": PROMPT}),
                await anonymous.get(f"/generations/{UNKNOWN_ID}"),
                await anonymous.get("/files"),
            ]:
                assert refusal(response) == (401, detail)
    async with httpx.AsyncClient(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.agents_api_key}"}, verify=TLS
    ) as crossed:
        assert refusal(await crossed.get("/generations")) == (401, "Invalid API key is provided")


async def test_the_config_refuses_keys_that_are_not_agents_keys() -> None:
    with pytest.raises(ValueError, match="luma-api-"):
        AgentsConfig(api_keys=("luma-emulator-key",))
    with pytest.raises(ValueError):
        AgentsConfig(api_keys=())


async def test_each_key_is_a_client_that_sees_only_its_own() -> None:
    """Someone else's generation reads exactly like an unknown or malformed id; their files cannot be used."""
    keys = ("luma-api-alice", "luma-api-bob")
    async with (
        run_emulator(EmulatorConfig(agents=AgentsConfig(api_keys=keys))) as emulator,
        client_for(emulator, api_key=keys[0]) as alice,
        client_for(emulator, api_key=keys[1]) as bob,
    ):
        generation = await completed(emulator, alice)
        file = await uploaded(emulator, alice, PNG, "image/png")
        for generation_id in (generation["id"], UNKNOWN_ID, "not-a-uuid"):
            assert refusal(await bob.get(f"/generations/{generation_id}")) == (404, "Generation not found")
        for path in (f"/files/{file['id']}", f"/files/{UNKNOWN_ID}"):
            assert refusal(await bob.get(path)) == (404, "File not found")
        assert refusal(await bob.delete(f"/files/{file['id']}")) == (404, "File not found")
        assert refusal(await bob.post(f"/files/{file['id']}/complete")) == (404, "File not found")
        assert (await bob.get("/files")).json() == {"data": [], "has_more": False, "next_cursor": None}
        edit = {"type": "image_edit", "prompt": PROMPT}
        for source, detail in [
            ({"generation_id": generation["id"]}, f"source: generation {generation['id']} not found"),
            ({"file_id": file["id"]}, f"source: file {file['id']} not found"),
        ]:
            assert refusal(await bob.post("/generations", json={**edit, "source": source})) == (400, detail)
        assert (await alice.get(f"/files/{file['id']}")).json()["state"] == "ready"
        assert {r.api_key for r in emulator.requests} == set(keys)


# --- the generation lifecycle --------------------------------------------------------------------------------------


async def test_a_generation_is_queued_then_processing_then_completed_with_an_output_that_downloads(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """The clock moves it on its own; a second of processing leaves time to see it there, however busy the host."""
    emulator.agents.plan_next(queued_seconds=0.05, processing_seconds=1.0)
    generation = await create(client)
    assert {key: generation[key] for key in ("model", "type", "state", "failure_code", "failure_reason", "output")} == {
        "model": "uni-1",
        "type": "image",
        "state": "queued",
        "failure_code": None,
        "failure_reason": None,
        "output": [],
    }
    assert generation["created_at"].endswith("Z")
    processing = await wait_for_state(client, generation["id"], "processing", "completed")
    assert (processing["state"], processing["output"]) == ("processing", [])
    done = await wait_for_state(client, generation["id"], "completed")
    [output] = done["output"]
    assert output["type"] == "image" and "layer" not in output
    image = await storage_get(output["url"])
    assert (image.status_code, image.headers["content-type"], image.content[:3]) == (200, "image/jpeg", b"\xff\xd8\xff")


async def test_each_type_serves_real_files(emulator: Emulator, client: httpx.AsyncClient) -> None:
    """A PNG when asked for one, an MP4 for every Ray type, and for layering a stack of RGBA layers."""
    png = await completed(emulator, client, output_format="png")
    assert (await storage_get(png["output"][0]["url"])).content[:8] == b"\x89PNG\r\n\x1a\n"
    video = await completed(emulator, client, model="ray-3.2", type="video")
    [clip] = video["output"]
    assert clip["type"] == "video" and (await storage_get(clip["url"])).content[4:8] == b"ftyp"
    for source in ({"generation_id": video["id"]}, VIDEO_URL):
        for generation_type, extra in [("video_edit", {}), ("video_reframe", {"aspect_ratio": "21:9"})]:
            derived = await completed(emulator, client, model="ray-3.2", type=generation_type, source=source, **extra)
            assert [item["type"] for item in derived["output"]] == ["video"]
    layered = await completed(emulator, client, type="layering", source=INLINE_PNG, layering={"resolution": "2k"})
    layers = [item["layer"] for item in layered["output"]]
    assert [(layer["index"], layer["label"], layer["alpha_hint"]) for layer in layers] == [
        (0, "subject", "soft"),
        (1, "props", "hard"),
        (2, "background", "none"),
    ]
    assert all(layer["description"] for layer in layers)
    front = (await storage_get(layered["output"][0]["url"])).content
    assert front[:8] == b"\x89PNG\r\n\x1a\n" and front[25] == 6  # colour type 6: RGBA


async def test_a_planned_failure_ends_failed_with_its_code_and_reason(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    emulator.agents.plan_next(failure_code="content_moderated", queued_seconds=0, processing_seconds=0.05)
    emulator.agents.plan_next(failure_code="image_too_large", failure_reason="source is 9000 px wide")
    moderated, too_large = await create(client), await create(client)
    failed = await wait_for_state(client, moderated["id"], "failed", "completed")
    assert (failed["state"], failed["failure_code"], failed["failure_reason"], failed["output"]) == (
        "failed",
        "content_moderated",
        "Generation output was flagged by our content moderation system.",
        [],
    )
    emulator.agents.finish_now(too_large["id"])
    assert emulator.agents.generation(too_large["id"]) == {
        **too_large,
        "state": "failed",
        "failure_code": "image_too_large",
        "failure_reason": "source is 9000 px wide",
    }


async def test_plans_apply_in_order_and_finish_now_jumps_to_the_end(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    emulator.agents.plan_next(queued_seconds=60)
    emulator.agents.plan_next(failure_code="generation_failed", queued_seconds=0, processing_seconds=0)
    slow, failing = await create(client), await create(client)
    assert (await wait_for_state(client, failing["id"], "failed"))["failure_reason"] == "Generation failed"
    assert (await client.get(f"/generations/{slow['id']}")).json()["state"] == "queued"
    emulator.agents.finish_now(slow["id"])
    assert (await client.get(f"/generations/{slow['id']}")).json()["state"] == "completed"
    emulator.agents.finish_now(slow["id"])
    assert (await client.get(f"/generations/{slow['id']}")).json()["state"] == "completed"


async def test_the_test_controls_know_only_what_exists_and_only_lumas_failure_codes(emulator: Emulator) -> None:
    assert emulator.agents.generation(UNKNOWN_ID) is None and emulator.agents.file(UNKNOWN_ID) is None
    with pytest.raises(KeyError):
        emulator.agents.finish_now(UNKNOWN_ID)
    with pytest.raises(KeyError):
        emulator.agents.ingest_now(UNKNOWN_ID)
    with pytest.raises(ValueError, match="content_moderated"):
        emulator.agents.plan_next(failure_code="melted")
    with pytest.raises(ValueError):
        emulator.agents.plan_next(failure_reason="no code")


async def test_output_urls_are_minted_on_every_get_and_answer_403_once_expired() -> None:
    """Presigned URLs work for the TTL and then fail as S3 fails them; a new GET mints working ones again.

    The presigned upload URL of a file runs out the same way.
    """
    async with agents_emulator(url_ttl_seconds=1.5) as (emulator, client):
        generation = await completed(emulator, client)
        first = generation["output"][0]["url"]
        upload = (await client.post("/files", json={"mime_type": "image/png", "size_bytes": len(PNG)})).json()
        assert (await storage_get(first)).status_code == 200
        second = (await client.get(f"/generations/{generation['id']}")).json()["output"][0]["url"]
        assert second != first
        tampered = first.replace("Signature=", "Signature=0")
        forged = await storage_get(tampered)
        assert forged.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in forged.text
        expires = float(parse_qs(urlsplit(second).query)["Expires"][0])
        await anyio.sleep(max(0.0, expires - time.time()) + 0.05)
        for url in (first, second):
            expired = await storage_get(url)
            assert (expired.status_code, expired.headers["content-type"]) == (403, "application/xml")
            assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.text
        late = await storage_put(upload["upload"]["url"], content=PNG, headers=upload["upload"]["headers"])
        assert late.status_code == 403 and "Request has expired" in late.text
        fresh = (await client.get(f"/generations/{generation['id']}")).json()["output"][0]["url"]
        assert (await storage_get(fresh)).status_code == 200


async def test_a_presigned_url_is_good_only_for_the_path_it_was_signed_for(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    generation = await completed(emulator, client)
    url = generation["output"][0]["url"]
    assert (await storage_get(url.replace("/0.jpg", "/1.jpg"))).status_code == 403
    unsigned = await storage_get(url.split("?")[0])
    assert unsigned.status_code == 403


# --- validation ----------------------------------------------------------------------------------------------------

RAY = {"model": "ray-3.2", "type": "video", "prompt": PROMPT}
EDIT = {"model": "ray-3.2", "type": "video_edit", "prompt": PROMPT, "source": VIDEO_URL}
REFRAME = {"model": "ray-3.2", "type": "video_reframe", "prompt": PROMPT, "source": VIDEO_URL, "aspect_ratio": "16:9"}
IMAGE = {"prompt": PROMPT}
IMAGE_EDIT = {"type": "image_edit", "prompt": PROMPT, "source": IMAGE_URL}
LAYERING = {"type": "layering", "source": IMAGE_URL}


def video(base: dict[str, Any] = RAY, **options: Any) -> dict[str, Any]:
    return {**base, "video": options}


def keyframes(count: int, indexes: list[Any], **options: Any) -> dict[str, Any]:
    return video(keyframes=[IMAGE_URL] * count, keyframe_indexes=indexes, **options)


INVALID_CREATES: list[tuple[dict[str, Any], int, str]] = [
    # the body, the model and the type
    ({**IMAGE, "model": "ray-2"}, 400, "Unknown model: ray-2"),
    ({**IMAGE, "type": "audio"}, 400, "Unknown type: audio"),
    ({**IMAGE, "type": "video"}, 400, "Type 'video' is not supported for model 'uni-1'"),
    ({**LAYERING, "model": "uni-1-max"}, 400, "Type 'layering' is not supported for model 'uni-1-max'"),
    ({"model": "ray-3.2", "prompt": PROMPT}, 400, "Type 'image' is not supported for model 'ray-3.2'"),
    # the prompt and the plain fields
    ({}, 400, "Prompt must be between 1 and 6000 characters"),
    ({"prompt": ""}, 400, "Prompt must be between 1 and 6000 characters"),
    ({"prompt": "x" * 6001}, 400, "Prompt must be between 1 and 6000 characters"),
    ({**RAY, "prompt": None}, 400, "Prompt must be between 1 and 6000 characters"),
    ({**LAYERING, "prompt": "x" * 501}, 400, "Prompt must be at most 500 characters for type 'layering'"),
    ({**IMAGE, "user_id": "u" * 257}, 400, "user_id must be at most 256 characters"),
    ({**IMAGE, "web_search": "yes"}, 400, "web_search must be true or false"),
    ({**IMAGE, "style": "noir"}, 400, "Invalid style 'noir'. Valid: auto, manga"),
    ({**IMAGE, "output_format": "gif"}, 400, "Invalid output_format 'gif'. Valid: png, jpeg"),
    (
        {**RAY, "output_format": "png"},
        400,
        "output_format is only valid for types 'image' and 'image_edit', not 'video'",
    ),
    # aspect ratios, per model and type
    (
        {**IMAGE, "aspect_ratio": "4:3"},
        400,
        "Invalid aspect_ratio '4:3'. Valid: 1:1, 1:2, 1:3, 16:9, 2:1, 2:3, 3:1, 3:2, 9:16",
    ),
    ({**RAY, "aspect_ratio": "3:1"}, 400, "Invalid aspect_ratio '3:1'. Valid: 1:1, 16:9, 21:9, 3:4, 4:3, 9:16"),
    (
        {**REFRAME, "aspect_ratio": None},
        400,
        "aspect_ratio is required for type 'video_reframe': the ratio to reframe to",
    ),
    (
        {**IMAGE, "style": "manga", "aspect_ratio": "16:9"},
        422,
        "style 'manga' needs a portrait aspect_ratio (2:3, 9:16, 1:2, 1:3), not '16:9'",
    ),
    # image_ref and source
    ({**IMAGE, "image_ref": [IMAGE_URL] * 10}, 400, "image supports up to 9 reference images"),
    (
        {**IMAGE_EDIT, "image_ref": [IMAGE_URL] * 9},
        400,
        "image_edit supports up to 8 reference images (source occupies one slot)",
    ),
    ({**RAY, "image_ref": [IMAGE_URL]}, 400, "image_ref is only valid for types 'image' and 'image_edit', not 'video'"),
    ({**IMAGE, "source": IMAGE_URL}, 400, "source is only valid for type 'image_edit'"),
    (
        {**RAY, "source": IMAGE_URL},
        400,
        "source is not valid for type 'video'; use video.start_frame or video.keyframes",
    ),
    ({"type": "image_edit", "prompt": PROMPT}, 400, "source is required for type 'image_edit'"),
    ({**EDIT, "source": None}, 400, "source is required for type 'video_edit'"),
    ({"type": "layering"}, 400, "source is required for type 'layering'"),
    (
        {**EDIT, "source": {"url": "https://example.com/a.mp4"}},
        400,
        "source: 'media_type' is required with 'url' for a video",
    ),
    ({**REFRAME, "source": INLINE_PNG}, 400, "source: media_type must be video/* for a video, not 'image/png'"),
    ({**IMAGE, "layering": {"resolution": "1k"}}, 400, "layering is only valid for type 'layering', not 'image'"),
    ({**LAYERING, "layering": {"resolution": "4k"}}, 400, "Invalid layering.resolution '4k'. Valid: 1k, 2k"),
    ({**IMAGE, "video": {"duration": "5s"}}, 400, "video is only valid for model 'ray-3.2', not 'uni-1'"),
    # one media reference (ImageRef)
    (
        {**IMAGE, "image_ref": [{**IMAGE_URL, **INLINE_PNG}]},
        400,
        "image_ref[0]: provide either 'url' or 'data', not both",
    ),
    ({**IMAGE, "image_ref": [IMAGE_URL, {}]}, 400, "image_ref[1]: provide either 'url' or 'data', not neither"),
    (
        {**IMAGE_EDIT, "source": {**IMAGE_URL, "file_id": UNKNOWN_ID}},
        400,
        "source: provide exactly one of 'url', 'data', 'generation_id' or 'file_id', not 'url' or 'file_id'",
    ),
    (
        {**IMAGE, "image_ref": ["https://example.com/a.png"]},
        400,
        "image_ref[0] must be an object with one of 'url', 'data', 'generation_id' or 'file_id'",
    ),
    ({**IMAGE, "image_ref": [{"data": INLINE_PNG["data"]}]}, 400, "image_ref[0]: 'media_type' is required with 'data'"),
    (
        {**IMAGE, "image_ref": [{"data": "not base64!", "media_type": "image/png"}]},
        422,
        "image_ref[0]: invalid base64 data",
    ),
    (
        {**IMAGE, "image_ref": [{"data": base64.b64encode(b"plain text").decode(), "media_type": "image/png"}]},
        422,
        "image_ref[0]: data is not a JPEG, PNG, WebP or GIF image",
    ),
    (
        {**IMAGE, "image_ref": [{**IMAGE_URL, "media_type": "image/tiff"}]},
        400,
        "image_ref[0]: unsupported media_type 'image/tiff'. Valid: image/jpeg, image/png, image/webp, image/gif",
    ),
    ({**IMAGE_EDIT, "source": {"url": "http://example.com/a.png"}}, 422, "source: failed to fetch URL"),
    ({**IMAGE_EDIT, "source": {"url": "https://127.0.0.1/a.png"}}, 422, "source: failed to fetch URL"),
    ({**IMAGE_EDIT, "source": {"url": "https://10.0.0.8/a.png"}}, 422, "source: failed to fetch URL"),
    ({**IMAGE_EDIT, "source": {"url": "https://localhost/a.png"}}, 422, "source: failed to fetch URL"),
    ({**IMAGE_EDIT, "source": {"url": "https://[::1/a.png"}}, 422, "source: failed to fetch URL"),
    (video(start_frame={}), 400, "video.start_frame: provide either 'url' or 'data', not neither"),
    (
        {**IMAGE, "image_ref": [{"generation_id": UNKNOWN_ID}]},
        400,
        "image_ref[0]: generation_id is only accepted on source, video.start_frame and video.end_frame",
    ),
    ({**IMAGE_EDIT, "source": {"generation_id": UNKNOWN_ID}}, 400, f"source: generation {UNKNOWN_ID} not found"),
    ({**IMAGE_EDIT, "source": {"file_id": UNKNOWN_ID}}, 400, f"source: file {UNKNOWN_ID} not found"),
    # Ray 3.2: options the type does not take
    (video(EDIT, loop=True), 400, "video.loop is only valid for type 'video', not 'video_edit'"),
    (video(EDIT, keyframes=[IMAGE_URL]), 400, "video.keyframes is only valid for type 'video', not 'video_edit'"),
    (video(EDIT, end_frame=IMAGE_URL), 400, "video.end_frame is only valid for type 'video', not 'video_edit'"),
    (video(edit={"auto_controls": True}), 400, "video.edit is only valid for type 'video_edit', not 'video'"),
    (
        video(source_position={"x_norm": 0, "y_norm": 0, "w_norm": 1, "h_norm": 1}),
        400,
        "video.source_position is only valid for type 'video_reframe', not 'video'",
    ),
    (video(REFRAME, hdr=True), 400, "video.hdr is only valid for type 'video' and 'video_edit', not 'video_reframe'"),
    (video(resolution="4k"), 400, "Invalid video.resolution '4k'. Valid: 360p, 540p, 720p, 1080p"),
    (video(duration="9s"), 400, "Invalid video.duration '9s'. Valid: 5s, 10s"),
    (video(hdr="on"), 400, "video.hdr must be true or false"),
    ({**RAY, "video": "5s"}, 400, "video must be a JSON object"),
    # Ray 3.2: options that clash
    (video(duration="10s", hdr=True), 422, "video.duration '10s' cannot be combined with video.hdr without keyframes"),
    (
        video(duration="10s", start_frame=IMAGE_URL),
        422,
        "video.duration '10s' cannot be combined with video.start_frame; use video.keyframes",
    ),
    (video(duration="10s", end_frame=IMAGE_URL), 422, "video.duration '10s' cannot be combined with video.end_frame"),
    (video(duration="10s", loop=True), 422, "video.duration '10s' cannot be combined with video.loop"),
    (video(loop=True, hdr=True), 422, "video.loop cannot be combined with video.hdr"),
    (video(loop=True, end_frame=IMAGE_URL), 422, "video.loop cannot be combined with video.end_frame"),
    (video(hdr=True, resolution="540p"), 422, "video.hdr needs video.resolution 720p or 1080p, not 540p"),
    (video(hdr=True, resolution="360p"), 422, "video.hdr needs video.resolution 720p or 1080p, not 360p"),
    (video(exr_export=True), 422, "video.exr_export requires video.hdr"),
    (keyframes(1, [0], start_frame=IMAGE_URL), 422, "video.keyframes cannot be combined with video.start_frame"),
    (keyframes(1, [0], end_frame=IMAGE_URL), 422, "video.keyframes cannot be combined with video.end_frame"),
    (keyframes(1, [0], loop=True), 422, "video.keyframes cannot be combined with video.loop"),
    (
        video(REFRAME, resolution="1080p") | {"aspect_ratio": "9:16"},
        422,
        "video_reframe at 1080p is coming soon for aspect_ratio '9:16'; "
        "use 720p, or a landscape or square aspect_ratio",
    ),
    # Ray 3.2: keyframes on the 24 fps grid
    (keyframes(0, []), 400, "video.keyframes must list 1 to 64 images, not 0"),
    (keyframes(65, list(range(65))), 400, "video.keyframes must list 1 to 64 images, not 65"),
    (
        keyframes(2, [0]),
        400,
        "video.keyframe_indexes must give one frame index per keyframe (2 keyframes, 1 indexes)",
    ),
    (
        video(keyframes=[IMAGE_URL]),
        400,
        "video.keyframe_indexes must give one frame index per keyframe (1 keyframes, 0 indexes)",
    ),
    (video(keyframe_indexes=[0]), 400, "video.keyframe_indexes needs video.keyframes"),
    (keyframes(2, [0, -1]), 400, "video.keyframe_indexes[1] must be a non-negative integer"),
    (keyframes(2, [0, 1.5]), 400, "video.keyframe_indexes[1] must be a non-negative integer"),
    (
        keyframes(2, [0, 121]),
        400,
        "video.keyframe_indexes[1] is 121, past the last frame index of a 5s video at 24 fps (0..120)",
    ),
    (
        keyframes(2, [0, 241], duration="10s"),
        400,
        "video.keyframe_indexes[1] is 241, past the last frame index of a 10s video at 24 fps (0..240)",
    ),
    (keyframes(3, [0, 60, 60]), 400, "video.keyframe_indexes must be unique; 60 appears more than once"),
    (
        video(keyframes=[{"generation_id": UNKNOWN_ID}], keyframe_indexes=[0]),
        400,
        "video.keyframes[0]: generation_id is only accepted on source, video.start_frame and video.end_frame",
    ),
    # Ray 3.2: video_edit and video_reframe options
    (
        video(EDIT, edit={"strength": "wild"}),
        400,
        "Invalid video.edit.strength 'wild'. Valid: adhere_1, adhere_2, adhere_3, flex_1, flex_2, flex_3, "
        "reimagine_1, reimagine_2, reimagine_3",
    ),
    (
        video(EDIT, edit={"controls": {"colour": {"enabled": True}}}),
        400,
        "Invalid video.edit.controls 'colour'. Valid: depth, face, normals, pose, trajectory",
    ),
    (
        video(EDIT, edit={"controls": {"depth": {"blur": 1.5}}}),
        400,
        "video.edit.controls.depth.blur must be a number from 0 to 1",
    ),
    (
        video(EDIT, edit={"controls": {"trajectory": {"sparsity": -0.1}}}),
        400,
        "video.edit.controls.trajectory.sparsity must be a number from 0 to 1",
    ),
    (
        video(EDIT, edit={"controls": {"pose": {"strength": "loose"}}}),
        400,
        "Invalid video.edit.controls.pose.strength 'loose'. Valid: precise, coarse",
    ),
    (video(EDIT, edit={"auto_controls": 1}), 400, "video.edit.auto_controls must be true or false"),
    (
        video(EDIT, start_frame=IMAGE_URL, edit={"keyframes": [IMAGE_URL], "keyframe_indexes": [10]}),
        422,
        "video.edit.keyframes cannot be combined with video.start_frame",
    ),
    (
        video(REFRAME, source_position={"x_norm": 0, "y_norm": 0, "w_norm": 1}),
        400,
        "video.source_position needs x_norm, y_norm, w_norm and h_norm, each a number",
    ),
    (
        video(REFRAME, source_position={"x_norm": 0, "y_norm": 0, "w_norm": 2.5, "h_norm": 1}),
        400,
        "video.source_position.w_norm must be more than 0 and at most 2",
    ),
]
"""Whole create bodies (``None`` drops a field) and what Luma answers: status and detail."""


async def test_an_invalid_create_is_refused_with_the_status_and_message_luma_gives(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    mismatches = []
    for fields, status, detail in INVALID_CREATES:
        body = {key: value for key, value in fields.items() if value is not None}
        response = await client.post("/generations", json=body)
        if (response.status_code, response.json()) != (status, {"detail": detail}):
            mismatches.append((fields, response.status_code, response.json()))
    assert mismatches == []
    assert [r.status for r in emulator.requests_for("POST", "/agents/v1/generations")] == [
        status for _, status, _ in INVALID_CREATES
    ]


async def test_a_body_that_is_not_a_json_object_is_refused(client: httpx.AsyncClient) -> None:
    for content, detail in [
        (b"[1, 2]", "Request body must be a JSON object"),
        (b"{oops", "Request body is not valid JSON"),
    ]:
        response = await client.post("/generations", content=content, headers={"Content-Type": "application/json"})
        assert refusal(response) == (400, detail)


VALID_CREATES: list[dict[str, Any]] = [
    {**IMAGE, "model": "uni-1-max", "aspect_ratio": "3:1", "style": "auto", "web_search": True},
    {**IMAGE, "style": "manga", "aspect_ratio": "9:16", "image_ref": [IMAGE_URL] * 9, "user_id": "u" * 256},
    {**IMAGE_EDIT, "aspect_ratio": "5:4", "image_ref": [INLINE_PNG] * 8, "output_format": "jpeg"},
    {**LAYERING, "prompt": "x" * 500},
    {**LAYERING, "source": INLINE_PNG, "layering": None},
    video(
        duration="10s",
        resolution="1080p",
        hdr=True,
        exr_export=True,
        keyframes=[IMAGE_URL, INLINE_PNG],
        keyframe_indexes=[0, 240],
    ),
    keyframes(1, [0], duration="10s"),
    keyframes(64, list(range(57, 121))),
    video(resolution="360p", loop=True, start_frame=IMAGE_URL),
    video(start_frame=IMAGE_URL, end_frame=INLINE_PNG, hdr=True, resolution="720p"),
    video(
        EDIT,
        resolution="360p",
        hdr=False,
        duration="10s",
        edit={
            "auto_controls": True,
            "strength": "flex_2",
            "controls": {"pose": {"enabled": True, "strength": "precise"}, "depth": {"blur": 0.3}, "face": None},
        },
    ),
    video(EDIT, hdr=True, exr_export=True, edit={"keyframes": [IMAGE_URL], "keyframe_indexes": [1000]}),
    video(REFRAME, resolution="1080p", source_position={"x_norm": -0.2, "y_norm": 0, "w_norm": 2, "h_norm": 1.5})
    | {"aspect_ratio": "21:9"},
    video(REFRAME, resolution="720p") | {"aspect_ratio": "9:16"},
]
"""Bodies at the edges of what Luma accepts."""


async def test_requests_at_the_edges_of_the_rules_are_accepted(client: httpx.AsyncClient) -> None:
    refused = []
    for body in VALID_CREATES:
        response = await client.post("/generations", json={key: v for key, v in body.items() if v is not None})
        if response.status_code != 201:
            refused.append((body, response.json()))
    assert refused == []


async def test_references_to_generations_must_be_completed_and_of_the_right_kind(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """Extend a video forward or backward, edit an image, reframe a video: each needs a finished generation."""
    emulator.agents.plan_next(queued_seconds=60)
    pending = await create(client, **RAY)
    clip = await completed(emulator, client, **RAY)
    picture = await completed(emulator, client)
    refused = [
        (
            video(start_frame={"generation_id": pending["id"]}),
            f"video.start_frame: generation {pending['id']} is queued, not completed",
        ),
        (
            video(end_frame={"generation_id": picture["id"]}),
            f"video.end_frame: generation {picture['id']} is of type 'image', not video",
        ),
        (
            {**IMAGE_EDIT, "source": {"generation_id": clip["id"]}},
            f"source: generation {clip['id']} is of type 'video', not image",
        ),
        (
            {**EDIT, "source": {"generation_id": picture["id"]}},
            f"source: generation {picture['id']} is of type 'image', not video",
        ),
    ]
    for body, detail in refused:
        assert refusal(await client.post("/generations", json=body)) == (400, detail)
    extend = {"generation_id": clip["id"]}
    for body in (
        video(start_frame=extend),
        video(end_frame=extend),
        {**REFRAME, "source": extend},
        {**IMAGE_EDIT, "source": {"generation_id": picture["id"]}},
    ):
        assert (await client.post("/generations", json=body)).status_code == 201
    interpolate = video(start_frame=extend, end_frame=IMAGE_URL)
    assert refusal(await client.post("/generations", json=interpolate)) == (
        422,
        "Interpolating between a prior generation and another frame is not available yet",
    )


async def test_a_video_edit_source_may_run_at_most_18_seconds_where_its_length_is_known(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """The length is read from the MP4 (inline or uploaded); edit keyframes must fall on the source's frames."""
    too_long = await uploaded(emulator, client, mp4_lasting(20), "video/mp4")
    for source, seconds in [(inline_video(19), 19), ({"file_id": too_long["id"]}, 20)]:
        response = await client.post("/generations", json={**EDIT, "source": source})
        assert refusal(response) == (400, f"source: video is {seconds} seconds long; video_edit takes at most 18")
    short = await uploaded(emulator, client, mp4_lasting(18), "video/mp4")
    assert (await client.post("/generations", json={**EDIT, "source": {"file_id": short["id"]}})).status_code == 201
    past_the_end = video({**EDIT, "source": inline_video(2)}, edit={"keyframes": [IMAGE_URL], "keyframe_indexes": [49]})
    assert refusal(await client.post("/generations", json=past_the_end)) == (
        400,
        "video.edit.keyframe_indexes[0] is 49, past the last frame index of the source video at 24 fps (0..48)",
    )
    reframe_long = {**REFRAME, "source": {"file_id": too_long["id"]}}
    assert (await client.post("/generations", json=reframe_long)).status_code == 201


async def test_media_over_the_size_limit_is_413() -> None:
    """Inline images (decoded), declared image files and inline uploads each have a cap; shortened here."""
    async with agents_emulator(max_image_bytes=len(PNG), max_inline_upload_bytes=len(JPEG) - 1) as (_, client):
        jpeg = {"data": base64.b64encode(JPEG).decode(), "media_type": "image/jpeg"}
        response = await client.post("/generations", json={**IMAGE_EDIT, "source": jpeg})
        assert refusal(response) == (413, f"source: image exceeds {len(PNG)} bytes limit")
        assert (await client.post("/generations", json={**IMAGE_EDIT, "source": INLINE_PNG})).status_code == 201
        declared = await client.post("/files", json={"mime_type": "image/jpeg", "size_bytes": len(JPEG)})
        assert refusal(declared) == (413, f"file: image exceeds {len(PNG)} bytes limit")
        inline = await client.post("/files", files={"file": ("a.jpg", JPEG, "image/jpeg")})
        assert refusal(inline) == (
            413,
            f"file: {len(JPEG)} bytes is over the inline upload limit of {len(JPEG) - 1} bytes",
        )
        assert (await client.get("/files")).json()["data"] == []
    async with run_emulator() as emulator, client_for(emulator) as client:
        huge = await client.post("/files", json={"mime_type": "image/png", "size_bytes": 51 * 1024 * 1024})
        assert refusal(huge) == (413, "file: image exceeds 50 MB limit")
        too_big = await client.post("/files", json={"mime_type": "video/mp4", "size_bytes": 5 * 1024**3 + 1})
        assert refusal(too_big) == (413, "size_bytes exceeds the 5 GiB limit")


async def test_hdr_needs_the_entitlement() -> None:
    async with agents_emulator(hdr_access=False) as (_, client):
        response = await client.post("/generations", json=video(hdr=True))
        assert refusal(response) == (400, "video.hdr requires HDR access, which this API client does not have")
        assert (await client.post("/generations", json=video(resolution="1080p"))).status_code == 201


# --- balance and limits --------------------------------------------------------------------------------------------


async def test_a_create_that_costs_more_than_the_balance_is_402_and_failures_refund_all_but_budget_exhausted() -> None:
    """One uni-1 image costs 4.04 cents; the balance here holds exactly one."""
    async with agents_emulator(credit_cents=4.04) as (emulator, client):
        emulator.agents.plan_next(failure_code="generation_failed", queued_seconds=60)
        refunded = await create(client)
        assert refusal(await client.post("/generations", json={"prompt": PROMPT})) == (
            402,
            "Insufficient balance. Please add funds to continue.",
        )
        emulator.agents.finish_now(refunded["id"])
        emulator.agents.plan_next(failure_code="budget_exhausted", queued_seconds=60)
        spent = await create(client)
        emulator.agents.finish_now(spent["id"])
        assert (await client.get(f"/generations/{spent['id']}")).json()["failure_code"] == "budget_exhausted"
        assert (await client.post("/generations", json={"prompt": PROMPT})).status_code == 402
        assert [r.status for r in emulator.requests_for("POST", "/agents/v1/generations")] == [201, 402, 201, 402]


async def test_requests_per_minute_over_the_limit_get_429_with_retry_after_and_rate_headers() -> None:
    """Every create request the limiter lets through counts, even one that then fails validation; GETs never do."""
    async with agents_emulator(requests_per_minute=3) as (_, client):
        assert (await client.post("/generations", json={"prompt": ""})).status_code == 400
        before = time.time()
        first = await client.post("/generations", json={"prompt": PROMPT})
        for _ in range(5):
            assert (await client.get(f"/generations/{first.json()['id']}")).status_code == 200
            assert (await client.get("/files")).status_code == 200
        last = await client.post("/generations", json={"prompt": PROMPT})
        assert [r.headers["X-RateLimit-Remaining"] for r in (first, last)] == ["1", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in (first, last)} == {"3"}
        assert before + 59 <= int(first.headers["X-RateLimit-Reset"]) <= time.time() + 61
        refused = await client.post("/generations", json={"prompt": PROMPT})
        assert refusal(refused) == (429, "Rate limit exceeded")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert (refused.headers["X-RateLimit-Limit"], refused.headers["X-RateLimit-Remaining"]) == ("3", "0")
        assert int(refused.headers["X-RateLimit-Reset"]) >= time.time()
        assert "X-RateLimit-Limit" not in (await client.get(f"/generations/{first.json()['id']}")).headers


async def test_too_many_jobs_in_flight_get_429_with_retry_after_60_and_no_rate_headers() -> None:
    keys = ("luma-api-busy", "luma-api-idle")
    config = EmulatorConfig(queued_seconds=60, agents=AgentsConfig(api_keys=keys, max_concurrent=1))
    async with (
        run_emulator(config) as emulator,
        client_for(emulator, api_key=keys[0]) as busy,
        client_for(emulator, api_key=keys[1]) as idle,
    ):
        first = await create(busy)
        refused = await busy.post("/generations", json={"prompt": PROMPT})
        assert refusal(refused) == (429, "Too many concurrent jobs")
        assert refused.headers["Retry-After"] == "60"
        assert not [name for name in refused.headers if name.lower().startswith("x-ratelimit")]
        await create(idle)
        emulator.agents.finish_now(first["id"])
        await create(busy)


# --- the Files API -------------------------------------------------------------------------------------------------


async def test_a_presigned_upload_is_put_completed_and_ingested_into_a_usable_file(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    emulator.agents.plan_next_ingest(seconds=60)
    created = await client.post(
        "/files",
        json={
            "mime_type": "image/png",
            "size_bytes": len(PNG),
            "filename": "fox.png",
            "purpose": "reference",
            "user_id": "end-user-7",
            "expires_at": "2099-01-01T00:00:00Z",
        },
    )
    assert created.status_code == 201
    body = created.json()
    file_id, upload = body["id"], body["upload"]
    assert (body["state"], body["file"]["state"], body["file"]["id"]) == ("pending", "pending", file_id)
    assert {key: body["file"][key] for key in ("filename", "purpose", "user_id", "size_bytes", "expires_at")} == {
        "filename": "fox.png",
        "purpose": "reference",
        "user_id": "end-user-7",
        "size_bytes": len(PNG),
        "expires_at": "2099-01-01T00:00:00.000000Z",
    }
    assert (upload["method"], upload["headers"]) == ("PUT", {"Content-Type": "image/png"})
    assert upload["url"].startswith(emulator.base_url.removesuffix("/dream-machine/v1") + "/storage/uploads/")
    assert refusal(await client.post(f"/files/{file_id}/complete")) == (
        400,
        f"No bytes were uploaded for file {file_id}; PUT them to its upload URL first",
    )
    async with httpx.AsyncClient(verify=TLS) as s3:  # no Luma key: the URL is the permission
        wrong_type = await s3.put(upload["url"], content=PNG, headers={"Content-Type": "image/jpeg"})
        assert wrong_type.status_code == 403 and "SignatureDoesNotMatch" in wrong_type.text
        put = await s3.put(upload["url"], content=PNG, headers=upload["headers"])
    assert put.status_code == 200
    completing = await client.post(f"/files/{file_id}/complete")
    assert (completing.status_code, completing.json()["state"]) == (200, "pending")
    async with httpx.AsyncClient(verify=TLS) as s3:
        closed = await s3.put(upload["url"], content=PNG, headers=upload["headers"])
    assert closed.status_code == 403 and "<Code>AccessDenied</Code>" in closed.text
    assert refusal(await client.post("/generations", json={**IMAGE_EDIT, "source": {"file_id": file_id}})) == (
        400,
        f"source: file {file_id} is not ready (state: pending)",
    )
    emulator.agents.ingest_now(file_id)
    assert (await client.get(f"/files/{file_id}")).json()["state"] == "ready"
    assert (await client.post(f"/files/{file_id}/complete")).json()["state"] == "ready"
    for body in ({**IMAGE_EDIT, "source": {"file_id": file_id}}, {**IMAGE, "image_ref": [{"file_id": file_id}]}):
        assert (await client.post("/generations", json=body)).status_code == 201
    assert refusal(await client.post("/generations", json={**EDIT, "source": {"file_id": file_id}})) == (
        400,
        f"source: file {file_id} is image/png, not video",
    )
    assert [r.path for r in emulator.requests if "storage" in r.path] == []


async def test_an_inline_upload_needs_no_complete_and_becomes_ready_after_the_ingest_delay(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/files", files={"file": ("clip.mp4", MP4, "video/mp4")}, data={"purpose": "input", "user_id": "u1"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["upload"], body["state"], body["file"]["mime_type"]) == (None, "pending", "video/mp4")
    assert (body["file"]["filename"], body["file"]["size_bytes"], body["file"]["user_id"]) == (
        "clip.mp4",
        len(MP4),
        "u1",
    )
    with anyio.fail_after(5):
        while (await client.get(f"/files/{body['id']}")).json()["state"] == "pending":
            await anyio.sleep(0.01)
    assert (await client.get(f"/files/{body['id']}")).json()["state"] == "ready"


async def test_ingest_fails_a_file_whose_bytes_are_not_what_was_declared(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    mislabelled = await uploaded(emulator, client, JPEG, "image/png")
    assert (mislabelled["state"], mislabelled["failure_reason"]) == ("failed", "File content is not valid image/png")
    emulator.agents.plan_next_ingest(failure_reason="Flagged by moderation")
    flagged = await uploaded(emulator, client, PNG, "image/png")
    assert (flagged["state"], flagged["failure_reason"]) == ("failed", "Flagged by moderation")
    created = (await client.post("/files", json={"mime_type": "image/png", "size_bytes": len(PNG) + 1})).json()
    await storage_put(created["upload"]["url"], content=PNG, headers=created["upload"]["headers"])
    await client.post(f"/files/{created['id']}/complete")
    emulator.agents.ingest_now(created["id"])
    short = (await client.get(f"/files/{created['id']}")).json()
    assert (short["state"], short["failure_reason"]) == (
        "failed",
        f"Received {len(PNG)} bytes, but size_bytes was {len(PNG) + 1}",
    )
    response = await client.post("/generations", json={**LAYERING, "source": {"file_id": flagged["id"]}})
    assert refusal(response) == (400, f"source: file {flagged['id']} is not ready (state: failed)")


async def test_files_are_listed_newest_first_in_keyset_pages_with_filters(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    ids = [
        (await uploaded(emulator, client, PNG, "image/png", purpose=p))["id"] for p in ("input", "reference", "input")
    ]
    first = (await client.get("/files", params={"limit": 2})).json()
    assert ([f["id"] for f in first["data"]], first["has_more"]) == (ids[:0:-1], True)
    rest = (await client.get("/files", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert rest == {"data": [await file_json(client, ids[0])], "has_more": False, "next_cursor": None}
    assert [f["id"] for f in (await client.get("/files")).json()["data"]] == ids[::-1]
    inputs = (await client.get("/files", params={"purpose": "input"})).json()["data"]
    assert [f["id"] for f in inputs] == [ids[2], ids[0]]
    assert (await client.get("/files", params={"state": "pending"})).json()["data"] == []
    for params, detail in [
        ({"limit": "0"}, "limit must be an integer from 1 to 100, not '0'"),
        ({"limit": "101"}, "limit must be an integer from 1 to 100, not '101'"),
        ({"limit": "lots"}, "limit must be an integer from 1 to 100, not 'lots'"),
        ({"cursor": "bogus"}, "Invalid cursor: pass back the next_cursor of a previous page"),
        ({"purpose": "style"}, "Invalid purpose 'style'. Valid: input, reference"),
        ({"state": "gone"}, "Invalid state 'gone'. Valid: pending, ready, failed, deleted"),
    ]:
        assert refusal(await client.get("/files", params=params)) == (400, detail)


async def file_json(client: httpx.AsyncClient, file_id: str) -> dict[str, Any]:
    file: dict[str, Any] = (await client.get(f"/files/{file_id}")).json()
    return file


async def test_a_deleted_file_is_soft_deleted_and_can_no_longer_be_used(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    file = await uploaded(emulator, client, PNG, "image/png")
    pending = (await client.post("/files", json={"mime_type": "image/png", "size_bytes": len(PNG)})).json()
    for file_id in (file["id"], pending["id"]):
        deleted = await client.delete(f"/files/{file_id}")
        assert (deleted.status_code, deleted.content) == (204, b"")
    gone = await file_json(client, file["id"])
    assert gone["state"] == "deleted" and gone["deleted_at"] is not None
    assert (await client.get("/files")).json()["data"] == []
    assert [f["id"] for f in (await client.get("/files", params={"state": "deleted"})).json()["data"]] == [
        pending["id"],
        file["id"],
    ]
    response = await client.post("/generations", json={**IMAGE_EDIT, "source": {"file_id": file["id"]}})
    assert refusal(response) == (400, f"source: file {file['id']} is not ready (state: deleted)")
    late = await storage_put(pending["upload"]["url"], content=PNG, headers=pending["upload"]["headers"])
    assert late.status_code == 403 and "<Code>AccessDenied</Code>" in late.text
    assert refusal(await client.post(f"/files/{pending['id']}/complete")) == (400, f"File {pending['id']} is deleted")
    assert (await client.delete(f"/files/{file['id']}")).status_code == 204


async def test_a_file_create_is_checked_before_anything_is_stored(client: httpx.AsyncClient) -> None:
    valid = {"mime_type": "image/png", "size_bytes": 10}
    for fields, detail in [
        (
            {"size_bytes": 10},
            "mime_type is required; use one of: image/jpeg, image/png, image/webp, image/gif, "
            "video/mp4, video/quicktime, video/webm",
        ),
        (
            {**valid, "mime_type": "text/plain"},
            "Unsupported mime_type 'text/plain'. Valid: image/jpeg, image/png, "
            "image/webp, image/gif, video/mp4, video/quicktime, video/webm",
        ),
        ({**valid, "size_bytes": 0}, "size_bytes is required: the exact size of the file in bytes, at least 1"),
        ({**valid, "size_bytes": "10"}, "size_bytes is required: the exact size of the file in bytes, at least 1"),
        ({**valid, "purpose": "style"}, "Invalid purpose 'style'. Valid: input, reference"),
        ({**valid, "expires_at": "tomorrow"}, "expires_at must be an ISO-8601 date-time, not 'tomorrow'"),
        ({**valid, "expires_at": "2001-01-01T00:00:00Z"}, "expires_at must be in the future"),
        ({**valid, "user_id": "u" * 257}, "user_id must be at most 256 characters"),
    ]:
        assert refusal(await client.post("/files", json=fields)) == (400, detail)
    plain = await client.post("/files", content=b"raw", headers={"Content-Type": "text/plain"})
    assert refusal(plain) == (400, "Content-Type must be application/json or multipart/form-data")
    no_file = await client.post("/files", files={"other": ("a.png", PNG, "image/png")})
    assert refusal(no_file) == (400, "file is required: the bytes, as a multipart/form-data part named 'file'")
    assert (await client.get("/files")).json()["data"] == []


# --- faults and the request log ------------------------------------------------------------------------------------


async def test_faults_and_the_request_log_reach_the_agents_api_by_its_prefixed_paths(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """A Dream Machine pattern never catches an Agents request: their paths differ by the /agents/v1 prefix."""
    emulator.inject(Fault(status=500, method="POST", path="/generations"))
    emulator.inject(Fault(status=503, method="POST", path="/agents/v1/generations", retry_after=2))
    faulted = await client.post("/generations", json={"prompt": PROMPT})
    assert (faulted.status_code, faulted.headers["Retry-After"]) == (503, "2")
    generation = await completed(emulator, client)
    emulator.inject(Fault(status=502, path="/agents/v1/files*"))
    assert (await client.get("/files")).status_code == 502
    assert (await storage_get(generation["output"][0]["url"])).status_code == 200
    posts = emulator.requests_for("POST", "/agents/v1/generations")
    assert [(r.status, r.body, r.api_key) for r in posts] == [
        (503, {"prompt": PROMPT}, emulator.agents_api_key),
        (201, {"prompt": PROMPT}, emulator.agents_api_key),
    ]
    assert not [r for r in emulator.requests if r.path.startswith("/storage")]
    assert [r.path for r in emulator.requests_for("POST", "/generations*")] == []


# --- fidelity: the official SDK -------------------------------------------------------------------------------------


async def test_the_official_sdk_accepts_every_answer_in_strict_mode(emulator: Emulator) -> None:
    """luma-agents validates each response against the Agents API's types; the emulator must pass, endpoint by
    endpoint (create, get, and the five file endpoints, inline upload included)."""
    async with AsyncLuma(
        auth_token=emulator.agents_api_key,
        base_url=emulator.agents_base_url,
        _strict_response_validation=True,
        max_retries=0,
    ) as luma:
        created = await luma.files.create(mime_type="image/png", size_bytes=len(PNG), filename="fox.png")
        assert created.upload is not None and created.upload.method == "PUT"
        async with httpx.AsyncClient(verify=TLS) as s3:
            put = await s3.put(created.upload.url, content=PNG, headers=created.upload.headers)
            assert put.status_code == 200
        assert (await luma.files.complete(created.id)).state == "pending"
        emulator.agents.ingest_now(created.id)
        ready = await luma.files.get(created.id)
        assert (ready.state, ready.filename, ready.created_at.tzinfo is not None) == ("ready", "fox.png", True)
        inline = await luma.post(
            "/files",
            cast_to=CreateFileResponse,
            body={"purpose": "reference"},
            files=[("file", ("clip.mp4", MP4, "video/mp4"))],
            options={"headers": {"Content-Type": "multipart/form-data"}},
        )
        assert (inline.upload, inline.file.purpose) == (None, "reference")
        listed = await luma.files.list(limit=1)
        assert ([f.id for f in listed.data], listed.has_more) == ([inline.id], True)
        assert listed.next_cursor is not None
        assert [f.id for f in (await luma.files.list(cursor=listed.next_cursor)).data] == [created.id]

        requests: list[dict[str, Any]] = [
            {"prompt": PROMPT, "model": "uni-1-max", "aspect_ratio": "16:9", "output_format": "png"},
            {"prompt": PROMPT, "type": "layering", "source": {"file_id": created.id}, "layering": {"resolution": "1k"}},
            {
                "prompt": PROMPT,
                "model": "ray-3.2",
                "type": "video",
                "video": {"duration": "10s", "keyframes": [{"file_id": created.id}], "keyframe_indexes": [0]},
            },
        ]
        outputs = []
        for params in requests:
            generation = await luma.generations.create(**params)
            assert (generation.state, generation.output) == ("queued", [])
            emulator.agents.finish_now(generation.id)
            done = await luma.generations.get(generation.id)
            assert done.state == "completed" and done.output is not None
            outputs.append(done.output)
        image, layers, clip = outputs
        assert [item.type for item in image] == ["image"] and [item.type for item in clip] == ["video"]
        assert [(item.layer.index, item.layer.label) for item in layers if item.layer] == [
            (0, "subject"),
            (1, "props"),
            (2, "background"),
        ]
        emulator.agents.plan_next(failure_code="output_not_found")
        failing = await luma.generations.create(prompt=PROMPT)
        emulator.agents.finish_now(failing.id)
        failed = await luma.generations.get(failing.id)
        assert (failed.state, failed.failure_code) == ("failed", "output_not_found")

        with pytest.raises(NotFoundError) as missing:
            await luma.generations.get(UNKNOWN_ID)
        assert missing.value.body == {"detail": "Generation not found"}
        await luma.files.delete(created.id)
        assert (await luma.files.get(created.id)).state == "deleted"


async def test_a_presigned_url_sent_with_a_luma_key_is_refused_as_s3_does(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    """S3 takes one credential: the signature in the URL. A Luma key sent along is refused, never used."""
    generation = await completed(emulator, client)
    url = generation["output"][0]["url"]
    with_key = await client.get(url)
    assert with_key.status_code == 400 and "<Code>InvalidArgument</Code>" in with_key.text
    assert (await storage_get(url)).status_code == 200


async def test_a_reset_forgets_the_agents_side_too(emulator: Emulator, client: httpx.AsyncClient) -> None:
    """Generations, files, plans, balances and the per-minute window of the Agents API do not outlive ``reset()``."""
    generation = await create(client)
    emulator.agents.plan_next(failure_code="generation_failed", failure_reason="Generation failed")
    file = (await client.post("/files", json={"mime_type": "image/png", "size_bytes": len(PNG)})).json()
    emulator.reset()
    assert emulator.agents.generation(generation["id"]) is None
    assert emulator.agents.file(file["id"]) is None
    assert (await client.get(f"/generations/{generation['id']}")).status_code == 404
    after = await completed(emulator, client)
    assert after["state"] == "completed", "the plan made before the reset was forgotten"
