"""Images for create_generation in every form: an https URL, a generation's id, a local file (checked whole before
anything is sent, then uploaded once per account and content), and Ray 3.2's keyframes with their rules."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from luma_mcp import Settings, build_server
from luma_mcp.accounts import account_of
from luma_mcp.emulator import AgentsConfig, Emulator, EmulatorConfig, run_emulator
from luma_mcp.emulator.assets import sample_bytes
from luma_mcp.emulator.runner import serving
from luma_mcp.http_app import http_app
from luma_mcp.ledger import LEDGER_FILE, Ledger
from tests.helpers import FAST_POLLS, connect, text_of
from tests.test_accounts import client_with
from tests.test_ray3_tools import PROMPT, agents_settings

pytestmark = pytest.mark.anyio

UPLOADS = "/agents/v1/files"
CREATES = "/agents/v1/generations"
IMAGE_LIMIT = 50 * 1024 * 1024


def photos_of(tmp_path: Path) -> Path:
    """The allowed folder, with a PNG, a JPEG and an MP4 in it."""
    photos = tmp_path / "photos"
    photos.mkdir(exist_ok=True)
    (photos / "frame.png").write_bytes(sample_bytes("image.png"))
    (photos / "thumb.jpg").write_bytes(sample_bytes("thumb.jpg"))
    (photos / "clip.mp4").write_bytes(sample_bytes("video.mp4"))
    return photos


def with_photos(emulator: Emulator, tmp_path: Path, **overrides: Any) -> Settings:
    return agents_settings(emulator, tmp_path, input_dirs=(photos_of(tmp_path),), **overrides)


def start_frames(emulator: Emulator) -> list[Any]:
    return [request.body["video"].get("start_frame") for request in emulator.requests_for("POST", CREATES)]


async def test_a_local_image_is_uploaded_and_named_by_its_file_id(emulator: Emulator, tmp_path: Path) -> None:
    settings = with_photos(emulator, tmp_path)
    photo = settings.input_folders[0] / "frame.png"
    async with connect(settings) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": str(photo)})
    assert not created.is_error, text_of(created)
    assert (created.structured_content or {})["state"] == "completed"
    [upload] = emulator.requests_for("POST", UPLOADS)
    assert upload.body == {"mime_type": "image/png", "size_bytes": photo.stat().st_size, "filename": "frame.png"} | {
        "purpose": "input"
    }
    [frame] = start_frames(emulator)
    assert (emulator.agents.file(frame["file_id"]) or {})["state"] == "ready"


async def test_the_same_file_is_uploaded_once_per_account_and_after_a_restart_not_again(tmp_path: Path) -> None:
    """Two accounts on one ledger: each uploads its own copy once; a new server (a restart) names the same ids."""
    alice, bob = "luma-api-alice", "luma-api-bob"
    config = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.3, agents=AgentsConfig(api_keys=(alice, bob)))
    async with run_emulator(config) as emulator:
        photos = photos_of(tmp_path)
        same = {"prompt": PROMPT, "wait": False, "start_image_url": str(photos / "frame.png")}
        relative = {**same, "start_image_url": "frame.png"}  # taken from the first allowed folder
        for key in (alice, bob, alice):  # the second alice is a restart: a new server on the same ledger
            settings = agents_settings(emulator, tmp_path, agents_api_key=key, input_dirs=(photos,))
            async with connect(settings) as client:
                for arguments in (same, relative):
                    created = await client.call_tool("create_generation", arguments)
                    assert not created.is_error, text_of(created)
        uploads = emulator.requests_for("POST", UPLOADS)
        ids = [frame["file_id"] for frame in start_frames(emulator)]
    assert [request.api_key for request in uploads] == [alice, bob]
    assert ids[0] == ids[1] == ids[4] == ids[5] and ids[2] == ids[3] and ids[0] != ids[2]


async def test_without_a_ledger_the_same_file_is_still_uploaded_once(emulator: Emulator, tmp_path: Path) -> None:
    settings = with_photos(emulator, tmp_path, state_dir=None)
    photo = str(settings.input_folders[0] / "frame.png")
    async with connect(settings) as client:
        for _ in range(2):
            created = await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": photo})
            assert not created.is_error, text_of(created)
    assert len(emulator.requests_for("POST", UPLOADS)) == 1


async def test_calls_naming_the_same_file_at_once_upload_it_once(emulator: Emulator, tmp_path: Path) -> None:
    settings = with_photos(emulator, tmp_path)
    arguments = {"prompt": PROMPT, "start_image_url": str(settings.input_folders[0] / "frame.png"), "wait": False}
    results = []
    async with connect(settings) as client:

        async def create() -> None:
            results.append(await client.call_tool("create_generation", arguments))

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(create)
    assert [result.is_error for result in results] == [False, False, False], [text_of(r) for r in results]
    assert len(emulator.requests_for("POST", UPLOADS)) == 1
    assert len({frame["file_id"] for frame in start_frames(emulator)}) == 1


async def test_a_file_luma_is_still_taking_in_is_not_uploaded_again(emulator: Emulator, tmp_path: Path) -> None:
    """A call that runs out of time while Luma ingests the file says so; the next call names the same file."""
    settings = with_photos(emulator, tmp_path, max_wait=1.5)
    arguments = {"prompt": PROMPT, "start_image_url": str(settings.input_folders[0] / "frame.png"), "wait": False}
    emulator.agents.plan_next_ingest(seconds=60)
    async with connect(settings) as client:
        slow = await client.call_tool("create_generation", arguments)
        [completed] = emulator.requests_for("POST", f"{UPLOADS}/*")
        file_id = completed.path.split("/")[-2]
        emulator.agents.ingest_now(file_id)
        again = await client.call_tool("create_generation", arguments)
    assert slow.is_error and "had not finished taking it in" in text_of(slow), text_of(slow)
    assert emulator.requests_for("POST", CREATES)[0].body["video"]["start_frame"] == {"file_id": file_id}
    assert not again.is_error, text_of(again)
    assert len(emulator.requests_for("POST", UPLOADS)) == 1


async def test_a_file_luma_no_longer_has_is_uploaded_again(emulator: Emulator, tmp_path: Path) -> None:
    settings = with_photos(emulator, tmp_path)
    photo = str(settings.input_folders[0] / "frame.png")
    async with connect(settings) as client:
        first = await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": photo})
        [gone] = [frame["file_id"] for frame in start_frames(emulator)]
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emulator.agents_api_key}"}) as http:
            assert (await http.delete(f"{emulator.agents_base_url}/files/{gone}")).status_code == 204
        second = await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": photo})
    assert not first.is_error and not second.is_error, text_of(second)
    assert len(emulator.requests_for("POST", UPLOADS)) == 2
    assert start_frames(emulator)[1]["file_id"] != gone


OUTSIDE = r"outside the folders local images and videos are read from .*LUMA_MCP_INPUT_DIRS"
NOT_MEDIA = r"is not a JPEG, PNG, WebP or GIF image, or an MP4 or MOV video.*LUMA_MCP_INPUT_DIRS"
FRAME = "{photos}/frame.png"
REFUSALS = [
    pytest.param({"start_image_url": "{elsewhere}/secret.png"}, OUTSIDE, id="outside"),
    pytest.param({"start_image_url": "{photos}/escape.png"}, OUTSIDE, id="symlink-out"),
    pytest.param({"start_image_url": "{photos}/door/secret.png"}, OUTSIDE, id="folder-symlink-out"),
    pytest.param({"start_image_url": "{photos}/../elsewhere/secret.png"}, OUTSIDE, id="dot-dot"),
    pytest.param({"start_image_url": "../elsewhere/secret.png"}, OUTSIDE, id="relative-dot-dot"),
    pytest.param({"start_image_url": "{photos}/notes.png"}, NOT_MEDIA, id="not-media"),
    pytest.param({"start_image_url": "{photos}/photo.heic"}, NOT_MEDIA, id="heic"),
    pytest.param(
        {"start_image_url": "{photos}/huge.png"},
        r"52,428,801 bytes, and Luma takes images of at most 52,428,800",
        id="too-big",
    ),
    pytest.param(
        {"end_image_url": "{photos}/clip.mp4"}, r"end_image_url takes an image, and .*clip.mp4 is video/mp4", id="video"
    ),
    pytest.param({"start_image_url": "{photos}/nope.png"}, r"there is no file .*nope.png", id="missing"),
    pytest.param({"start_image_url": "{photos}/album"}, r"album is not a regular file", id="folder"),
    pytest.param({"start_image_url": FRAME + "\x07"}, r"start_image_url.*without control characters", id="control"),
    pytest.param({"start_image_url": "http://example.com/a.jpg"}, r"not an https URL.*path of a local file", id="http"),
    pytest.param(
        {"model": "ray-2", "start_image_url": FRAME},
        r"ray-2 runs on the Dream Machine API, which takes images by public URL only. Use model='ray-3.2'",
        id="local-file-on-ray-2",
    ),
    pytest.param(
        {"model": "ray-2", "start_image_url": "00000000-0000-4000-8000-000000000000", "end_image_url": FRAME},
        r"end_image_url=.* is a local file, and ray-2 runs on the Dream Machine API",
        id="local-file-beside-a-generation-on-ray-2",
    ),
    pytest.param(
        {"model": "ray-2", "loop": True, "end_image_url": FRAME},
        r"end_image_url=.* is a local file, and ray-2 runs on the Dream Machine API",
        id="local-file-and-loop-on-ray-2",
    ),
    pytest.param(
        {
            "model": "ray-2",
            "loop": True,
            "start_image_url": "00000000-0000-4000-8000-000000000000",
            "end_image_url": "00000000-0000-4000-8000-000000000001",
        },
        r"loop=true is not supported",
        id="loop-between-two-generations-on-ray-2",
    ),
    pytest.param(
        {"model": "ray-flash-2", "keyframes": [{"image": FRAME, "frame": 0}]},
        r"keyframes is not offered on ray-flash-2; .*ray-3.2",
        id="keyframes-on-ray-flash-2",
    ),
    pytest.param(
        {"start_image_url": FRAME, "keyframes": [{"image": FRAME, "frame": 60}]},
        r"keyframes cannot be combined with start_image_url.*at frame 0 instead",
        id="keyframes-and-start",
    ),
    pytest.param(
        {"end_image_url": FRAME, "keyframes": [{"image": FRAME, "frame": 0}]},
        r"keyframes cannot be combined with end_image_url.*at the last frame instead",
        id="keyframes-and-end",
    ),
    pytest.param(
        {"loop": True, "keyframes": [{"image": FRAME, "frame": 0}]},
        r"keyframes cannot be combined with loop=true.*drop loop",
        id="keyframes-and-loop",
    ),
    pytest.param(
        {"keyframes": [{"image": FRAME, "frame": 0}, {"image": FRAME, "frame": 121}]},
        r"keyframes\[1\].frame=121 is past the end of a 5s video, whose frames are 0 to 120.*duration='10s'",
        id="past-5s",
    ),
    pytest.param(
        {"duration": "10s", "keyframes": [{"image": FRAME, "frame": 241}]},
        r"keyframes\[0\].frame=241 is past the end of a 10s video, whose frames are 0 to 240",
        id="past-10s",
    ),
    pytest.param(
        {"keyframes": [{"image": FRAME, "frame": 24}, {"image": "https://example.com/b.jpg", "frame": 24}]},
        r"Two keyframes are at frame 24",
        id="one-frame-twice",
    ),
    pytest.param({"keyframes": [{"image": FRAME, "frame": -1}]}, r"keyframes.0.frame: .*greater than", id="negative"),
    pytest.param({"keyframes": []}, r"keyframes: .*at least 1", id="no-keyframes"),
    pytest.param(
        {"keyframes": [{"image": FRAME, "frame": n} for n in range(65)]}, r"keyframes: .*at most 64", id="65-keyframes"
    ),
    pytest.param(
        {"duration": "10s", "hdr": True},
        r"duration='10s' cannot be combined with hdr=true.*or give keyframes",
        id="10s-hdr-without-keyframes",
    ),
    pytest.param(
        {"duration": "10s", "start_image_url": FRAME},
        r"duration='10s' cannot be combined with start_image_url.*keyframes \(the start image at frame 0\)",
        id="10s-from-a-start-image",
    ),
]


async def test_a_file_luma_will_delete_within_the_hour_is_uploaded_again(emulator: Emulator, tmp_path: Path) -> None:
    """Luma may delete a file once its `expires_at` has passed: one that close to it is not named in a new job."""
    settings = with_photos(emulator, tmp_path)
    photo = settings.input_folders[0] / "frame.png"
    content = photo.read_bytes()
    soon = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emulator.agents_api_key}"}) as http:
        body = {"mime_type": "image/png", "size_bytes": len(content), "expires_at": soon}
        created = (await http.post(f"{emulator.agents_base_url}/files", json=body)).json()
        upload = created["upload"]
    async with httpx.AsyncClient() as storage:  # a presigned URL carries its own signature, and no key
        put = await storage.put(upload["url"], content=content, headers=upload["headers"])
    assert put.is_success, put.text
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emulator.agents_api_key}"}) as http:
        await http.post(f"{emulator.agents_base_url}/files/{created['id']}/complete")
    emulator.agents.ingest_now(created["id"])
    ledger = Ledger.open(settings.state_dir / LEDGER_FILE)  # type: ignore[operator]
    try:
        digest = hashlib.sha256(content).hexdigest()
        await ledger.upload_sent(account_of("agents", emulator.agents_api_key), digest, created["id"])
    finally:
        ledger.close()
    emulator.clear_requests()
    async with connect(settings) as client:
        used = await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": str(photo)})
    assert not used.is_error, text_of(used)
    assert len(emulator.requests_for("POST", UPLOADS)) == 1
    assert start_frames(emulator)[0]["file_id"] not in (None, created["id"])


def _in_folders(value: Any, folders: dict[str, Path]) -> Any:
    """`value` with `{photos}` and `{elsewhere}` replaced by those folders."""
    if isinstance(value, str):
        return value.format(**folders)
    if isinstance(value, list):
        return [_in_folders(item, folders) for item in value]
    if isinstance(value, dict):
        return {key: _in_folders(item, folders) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("arguments", "says"), REFUSALS)
async def test_a_refused_image_or_keyframe_sends_nothing(
    emulator: Emulator, tmp_path: Path, arguments: dict[str, Any], says: str
) -> None:
    settings = with_photos(emulator, tmp_path, dream_machine=True)
    photos, elsewhere = settings.input_folders[0], tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.png").write_bytes(sample_bytes("image.png"))
    (photos / "escape.png").symlink_to(elsewhere / "secret.png")
    (photos / "door").symlink_to(elsewhere, target_is_directory=True)
    (photos / "notes.png").write_text("not an image at all")
    (photos / "photo.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    (photos / "album").mkdir()
    with (photos / "huge.png").open("wb") as huge:  # a PNG one byte over the limit that takes no room on disk
        huge.write(sample_bytes("image.png")[:64])
        huge.truncate(IMAGE_LIMIT + 1)
    async with connect(settings) as client:
        refused = await client.call_tool(
            "create_generation",
            {"prompt": PROMPT, **_in_folders(arguments, {"photos": photos, "elsewhere": elsewhere})},
        )
    assert refused.is_error
    assert re.search(says, text_of(refused), re.DOTALL), text_of(refused)
    assert emulator.requests == []


async def test_keyframes_reach_luma_as_images_and_frame_indexes(emulator: Emulator, tmp_path: Path) -> None:
    """Ten seconds in HDR, which keyframes allow: an https image at frame 0 and a local one at frame 180."""
    settings = with_photos(emulator, tmp_path)
    keyframes = [
        {"image": "https://example.com/a.jpg", "frame": 0},
        {"image": str(settings.input_folders[0] / "thumb.jpg"), "frame": 180},
    ]
    arguments = {"duration": "10s", "hdr": True, "resolution": "1080p", "keyframes": keyframes, "wait": False}
    async with connect(settings) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, **arguments})
    assert not created.is_error, text_of(created)
    [upload] = emulator.requests_for("POST", UPLOADS)
    assert upload.body["mime_type"] == "image/jpeg"
    [sent] = emulator.requests_for("POST", CREATES)
    file_id = sent.body["video"]["keyframes"][1].get("file_id")
    assert sent.body["video"] == {
        "resolution": "1080p",
        "duration": "10s",
        "hdr": True,
        "keyframes": [{"url": "https://example.com/a.jpg"}, {"file_id": file_id}],
        "keyframe_indexes": [0, 180],
    }
    assert (emulator.agents.file(file_id) or {})["mime_type"] == "image/jpeg"


async def test_a_dream_machine_generation_id_is_used_as_its_image(emulator: Emulator, tmp_path: Path) -> None:
    """As a ray-3.2 start image it becomes the URL of its image; before it is finished, it is refused, having asked
    Dream Machine once and sent nothing to the Agents API."""
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        running = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-2", "wait": False})
        running_id = (running.structured_content or {})["id"]
        emulator.clear_requests()
        early = await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": running_id})
        looked = [(request.method, request.path) for request in emulator.requests]
        finished = await client.call_tool("get_generation", {"generation_id": running_id, "wait": True})
        image = (finished.structured_content or {})["thumbnail_url"]
        emulator.clear_requests()
        await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": running_id, "wait": False})
        ray2 = await client.call_tool(
            "create_generation", {"prompt": PROMPT, "model": "ray-2", "end_image_url": running_id, "wait": False}
        )
    assert early.is_error and re.search(r"is (queued|dreaming), not completed", text_of(early)), text_of(early)
    assert looked == [("GET", f"/generations/{running_id}")]
    assert image and start_frames(emulator) == [{"url": image}]
    assert not ray2.is_error, text_of(ray2)
    [dream] = emulator.requests_for("POST", "/generations/video")
    assert dream.body["keyframes"] == {"frame1": {"type": "image", "url": image}}


async def test_an_agents_generation_id_is_used_by_the_url_of_its_image(emulator: Emulator, tmp_path: Path) -> None:
    """The Agents API takes a generation id in a start frame to mean "extend that video", and none in keyframes, so
    an image generation is named there by its image's URL; a video generation has no image to start from, and is
    refused after one look."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emulator.agents_api_key}"}) as http:
        image = (
            await http.post(
                f"{emulator.agents_base_url}/generations",
                json={"prompt": "a red fox", "model": "uni-1", "type": "image"},
            )
        ).json()
    emulator.agents.finish_now(image["id"])
    async with connect(agents_settings(emulator, tmp_path)) as client:
        video = await client.call_tool("create_generation", {"prompt": PROMPT})
        video_id = (video.structured_content or {})["id"]
        emulator.clear_requests()
        refused = await client.call_tool("create_generation", {"prompt": PROMPT, "start_image_url": video_id})
        looked = [(request.method, request.path) for request in emulator.requests]
        emulator.clear_requests()
        keyframes = [{"image": image["id"], "frame": 0}]
        await client.call_tool("create_generation", {"prompt": PROMPT, "keyframes": keyframes, "wait": False})
    assert refused.is_error and f"generation {video_id} has no image" in text_of(refused), text_of(refused)
    assert "extend_generation" in text_of(refused)
    assert looked == [("GET", f"/agents/v1/generations/{video_id}")]
    [sent] = emulator.requests_for("POST", CREATES)
    [frame] = sent.body["video"]["keyframes"]
    assert list(frame) == ["url"] and image["id"] in frame["url"]


async def test_over_http_a_caller_with_its_own_key_cannot_name_a_local_file(emulator: Emulator, tmp_path: Path) -> None:
    """The server's disk is its operator's: a request acting with the server's key may upload from the allowed
    folder, one that brings its own key may not."""
    settings = with_photos(emulator, tmp_path)
    arguments = {"prompt": PROMPT, "start_image_url": str(settings.input_folders[0] / "frame.png"), "wait": False}
    app = http_app(build_server(settings, schedule=FAST_POLLS), "streamable-http", host="127.0.0.1", settings=settings)
    async with serving(app) as origin:
        async with client_with(origin, {"X-Luma-Agents-Api-Key": emulator.agents_api_key}) as visitor:
            refused = await visitor.call_tool("create_generation", arguments)
        assert emulator.requests == []
        async with client_with(origin, {}) as operator:
            created = await operator.call_tool("create_generation", arguments)
    assert refused.is_error and "brings its own Luma key" in text_of(refused), text_of(refused)
    assert not created.is_error, text_of(created)
    assert len(emulator.requests_for("POST", UPLOADS)) == 1


async def test_input_dirs_are_read_once_from_the_environment(tmp_path: Path) -> None:
    both = f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}"
    assert Settings.from_env({"LUMA_MCP_INPUT_DIRS": both}).input_folders == (tmp_path / "a", tmp_path / "b")
    default = Settings.from_env({"LUMA_MCP_OUTPUT_DIR": str(tmp_path / "videos")})
    assert default.input_folders == (tmp_path / "videos",)
    async with Client(build_server(default)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    described = str(tools["create_generation"].input_schema)
    assert "LUMA_MCP_INPUT_DIRS" in described and "keyframes" in tools["create_generation"].input_schema["properties"]
