"""Every tool, through the official MCP client in memory, against the emulator over real HTTP."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import ProgressNotification

from luma_mcp import build_server
from luma_mcp.emulator import Emulator, Fault
from luma_mcp.server import INSTRUCTIONS
from luma_mcp.tools import PAID_TOOLS
from tests.helpers import TOOL_NAMES, connect, connected, settings_for, stops_polling, text_of, wakeups_of_waits

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Client]:
    async with connect(settings_for(emulator, tmp_path / "videos")) as connected:
        yield connected


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    content: dict[str, Any] = result.structured_content
    assert content is not None
    return content


async def make_video(client: Client, prompt: str = "a tiger walking in snow") -> dict[str, Any]:
    return await call(client, "create_generation", prompt=prompt)


async def test_the_server_offers_every_tool_with_a_title_and_hints(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.title and tool.description and tool.annotations is not None
        assert tool.output_schema is not None
    hints = {name: tool.annotations for name, tool in tools.items() if tool.annotations is not None}
    assert hints["get_generation"].read_only_hint is True
    assert hints["list_concepts"].read_only_hint is True
    assert hints["delete_generation"].destructive_hint is True
    assert hints["create_generation"].read_only_hint is False


async def test_the_create_schema_enumerates_allowed_values(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    properties = tools["create_generation"].input_schema["properties"]
    assert properties["aspect_ratio"]["enum"] == ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"]
    assert set(properties["model"]["anyOf"][0]["enum"]) == {"ray-3.2", "ray-2", "ray-flash-2"}
    resolution = properties["resolution"]["anyOf"][0]
    assert resolution["enum"] == ["360p", "540p", "720p", "1080p", "4k"]
    assert properties["duration"]["anyOf"][0]["enum"] == ["5s", "9s", "10s"]
    assert tools["create_generation"].input_schema["required"] == ["prompt"]
    output_schema = tools["create_generation"].output_schema
    assert output_schema is not None
    output = output_schema["properties"]
    assert {"id", "api", "state", "video_url", "thumbnail_url", "failure_reason", "failure_code", "prompt"} <= set(
        output
    )


async def test_create_waits_for_the_video_and_reports_progress(emulator: Emulator, tmp_path: Path) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with connect(settings_for(emulator, tmp_path)) as client:
        result = await client.call_tool(
            "create_generation",
            {"prompt": "a tiger walking in snow, slow dolly zoom", "aspect_ratio": "9:16", "concepts": ["dolly_zoom"]},
            progress_callback=on_progress,
        )
    assert not result.is_error, text_of(result)
    video = result.structured_content
    assert video is not None
    assert video["state"] == "completed"
    assert video["video_url"].startswith("http://127.0.0.1:")
    assert video["thumbnail_url"] and video["prompt"] == "a tiger walking in snow, slow dolly zoom"
    assert video["model"] == "ray-2"
    assert video["id"] in text_of(result) and video["video_url"] in text_of(result)
    body = emulator.requests_for("POST", "/generations/video")[0].body
    assert body == {
        "model": "ray-2",
        "prompt": "a tiger walking in snow, slow dolly zoom",
        "aspect_ratio": "9:16",
        "loop": False,
        "resolution": "720p",
        "duration": "5s",
        "concepts": [{"key": "dolly_zoom"}],
    }
    progress = [value for value, _, _ in updates]
    assert len(progress) >= 2
    assert progress == sorted(progress) and len(set(progress)) == len(progress), "progress must only increase"
    assert progress[-1] == 100.0
    assert all(total == 100.0 for _, total, _ in updates)


@pytest.mark.parametrize("era", ["legacy", "2026-07-28"])
async def test_only_a_call_whose_client_asked_for_progress_wakes_every_second(
    emulator: Emulator, tmp_path: Path, era: str
) -> None:
    """A waiting call moves its client's progress bar at least once a second. A client that sent no progress token
    has no bar to move, so its call sleeps until the generation changes: a thousand such calls in flight cost
    nothing between two looks at Luma (bench/bench.py)."""
    dreaming = 3.0
    progress: list[float] = []
    heard: list[Any] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    async def on_message(message: Any) -> None:
        heard.append(message)

    async with connect(settings_for(emulator, tmp_path), mode=era, message_handler=on_message) as client:

        async def wait_for(generation_id: str, **options: Any) -> None:
            result = await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True}, **options)
            assert result.structured_content is not None and result.structured_content["state"] == "completed"

        for _ in range(2):
            emulator.plan_next(queued_seconds=0.0, dreaming_seconds=dreaming)
        asking = await call(client, "create_generation", prompt="a bar to move", wait=False)
        silent = await call(client, "create_generation", prompt="no bar to move", wait=False)
        with anyio.fail_after(5):  # both dreaming before the waits begin: each wait then sees one change, the end
            while not all(
                (emulator.generation(video["id"]) or {}).get("state") == "dreaming" for video in (asking, silent)
            ):
                await anyio.sleep(0.01)
        with wakeups_of_waits() as runs:
            async with anyio.create_task_group() as group:
                group.start_soon(functools.partial(wait_for, asking["id"], progress_callback=on_progress))
                group.start_soon(wait_for, silent["id"])
        with anyio.fail_after(5):  # the client may hand the last progress on after the result (2025 era)
            while not progress or progress[-1] != 100.0:
                await anyio.sleep(0.01)
    assert runs[silent["id"]] == 2, "begun, then woken once: by the video being done"
    assert runs[asking["id"]] >= 4, "begun, woken by the heartbeat while dreaming, and by the video being done"
    assert len(progress) >= 4 and progress[-1] == 100.0
    heard_progress = [message.params.progress for message in heard if isinstance(message, ProgressNotification)]
    assert heard_progress in ([], progress), "progress went to the call that asked for it, and to no other"


async def test_image_to_video_sends_start_and_end_frames(client: Client, emulator: Emulator) -> None:
    await call(
        client,
        "create_generation",
        prompt="the flower opens",
        start_image_url="https://example.com/bud.jpg",
        end_image_url="https://example.com/bloom.jpg",
        wait=False,
    )
    body = emulator.requests_for("POST", "/generations/video")[0].body
    assert body["keyframes"] == {
        "frame0": {"type": "image", "url": "https://example.com/bud.jpg"},
        "frame1": {"type": "image", "url": "https://example.com/bloom.jpg"},
    }


async def test_without_wait_the_model_is_told_how_to_keep_waiting(client: Client) -> None:
    started = await call(client, "create_generation", prompt="a paper boat on a river", wait=False)
    assert started["state"] in ("queued", "dreaming")
    assert "get_generation" in started["next_step"] and started["id"] in started["next_step"]
    finished = await call(client, "get_generation", generation_id=started["id"], wait=True)
    assert finished["state"] == "completed" and finished["video_url"]
    assert finished["next_step"] is None


async def test_a_wait_longer_than_max_wait_returns_the_current_state(emulator: Emulator, tmp_path: Path) -> None:
    emulator.plan_next(dreaming_seconds=30)
    async with connect(settings_for(emulator, tmp_path, max_wait=0.5)) as client:
        result = await client.call_tool("create_generation", {"prompt": "a very long sunset"})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["state"] in ("queued", "dreaming")
    assert "wait=true" in result.structured_content["next_step"]
    assert "Do not create it again" in text_of(result)


async def test_a_failed_generation_is_a_tool_error_with_lumas_reason(client: Client, emulator: Emulator) -> None:
    emulator.plan_next(failure_reason="Advanced prompt moderation failed")
    result = await client.call_tool("create_generation", {"prompt": "something Luma refuses"})
    assert result.is_error
    assert "Advanced prompt moderation failed" in text_of(result)


EXTEND_SHAPES = [
    ({"direction": "forward"}, {"frame0": "generation:A"}),
    ({"direction": "backward"}, {"frame1": "generation:A"}),
    (
        {"direction": "forward", "image_url": "https://example.com/end.jpg"},
        {"frame0": "generation:A", "frame1": "image"},
    ),
    (
        {"direction": "backward", "image_url": "https://example.com/start.jpg"},
        {"frame0": "image", "frame1": "generation:A"},
    ),
    ({"to_generation_id": "B"}, {"frame0": "generation:A", "frame1": "generation:B"}),
]


@pytest.mark.parametrize(("options", "expected"), EXTEND_SHAPES)
async def test_extend_sends_each_keyframe_shape(
    client: Client, emulator: Emulator, options: dict[str, str], expected: dict[str, str]
) -> None:
    first = await make_video(client, "a tiger walking in snow")
    second = await make_video(client, "a tiger sleeping")
    ids = {"A": first["id"], "B": second["id"]}
    arguments = {key: ids.get(value, value) for key, value in options.items()}
    extended = await call(client, "extend_generation", generation_id=first["id"], prompt="it keeps going", **arguments)
    assert extended["state"] == "completed" and extended["id"] not in ids.values()
    keyframes = emulator.requests_for("POST", "/generations/video")[-1].body["keyframes"]
    described = {
        frame: f"generation:{next(k for k, v in ids.items() if v == value['id'])}"
        if value["type"] == "generation"
        else "image"
        for frame, value in keyframes.items()
        if value is not None
    }
    assert described == expected


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"direction": "backward", "to_generation_id": "00000000-0000-4000-8000-000000000002"}, "direction"),
        (
            {"image_url": "https://example.com/a.jpg", "to_generation_id": "00000000-0000-4000-8000-000000000002"},
            "either image_url or to_generation_id",
        ),
        ({"loop": True, "direction": "backward"}, "loop"),
        ({"loop": True, "image_url": "https://example.com/a.jpg"}, "loop"),
    ],
)
async def test_contradictory_extends_are_refused_for_free(
    client: Client, emulator: Emulator, arguments: dict[str, Any], says: str
) -> None:
    result = await client.call_tool(
        "extend_generation",
        {"generation_id": "00000000-0000-4000-8000-000000000001", "prompt": "and then", **arguments},
    )
    assert result.is_error
    assert says in text_of(result)
    assert emulator.requests == []


BAD_INPUTS = [
    ("create_generation", {"prompt": "a cat", "model": "ray-9"}, "model", "ray-flash-2"),
    ("create_generation", {"prompt": "a cat", "resolution": "8k"}, "resolution", "1080p"),
    ("create_generation", {"prompt": "a cat", "aspect_ratio": "2:1"}, "aspect_ratio", "21:9"),
    ("create_generation", {"prompt": "a cat", "duration": "10s"}, "duration", "9s"),
    ("create_generation", {"prompt": ""}, "prompt", "at least 3"),
    ("create_generation", {"prompt": "   "}, "prompt", "at least 3"),
    ("create_generation", {"prompt": "x" * 5001}, "prompt", "at most 5000"),
    ("create_generation", {}, "prompt", "required"),
    ("create_generation", {"prompt": "a cat", "start_image_url": "file:///etc/passwd"}, "start_image_url", "http"),
    ("create_generation", {"prompt": "a cat", "end_image_url": "ftp://x/y.jpg"}, "end_image_url", "http"),
    ("create_generation", {"prompt": "a cat", "callback_url": "javascript:alert(1)"}, "callback_url", "http"),
    ("create_generation", {"prompt": "a cat", "concepts": ["Dolly Zoom!"]}, "concepts", "pattern"),
    ("create_generation", {"prompt": "a cat", "model": "ray-1-6"}, "model", "ray-flash-2"),
    ("create_generation", {"prompt": "a cat", "loop": True, "end_image_url": "https://e.com/a.jpg"}, "loop", ""),
    ("get_generation", {"generation_id": "not-a-uuid"}, "generation_id", "UUID"),
    ("delete_generation", {"generation_id": "../../etc"}, "generation_id", "UUID"),
    ("extend_generation", {"generation_id": "123", "prompt": "more"}, "generation_id", "UUID"),
    ("list_generations", {"limit": 0}, "limit", "greater than or equal to 1"),
    ("list_generations", {"limit": 101}, "limit", "less than or equal to 100"),
    ("list_generations", {"offset": -1}, "offset", "greater than or equal to 0"),
    (
        "upscale_generation",
        {"generation_id": "00000000-0000-4000-8000-000000000001", "resolution": "2k"},
        "resolution",
        "4k",
    ),
    (
        "download_generation",
        {"generation_id": "00000000-0000-4000-8000-000000000001", "directory": "../outside"},
        "directory",
        "..",
    ),
    (
        "download_generation",
        {"generation_id": "00000000-0000-4000-8000-000000000001", "directory": "/etc"},
        "directory",
        "relative",
    ),
    ("create_generation", {"prompt": "a cat", "aspectratio": "9:16"}, "aspectratio", "did you mean 'aspect_ratio'"),
    ("create_generation", {"prompt": "a cat", "negative_prompt": "dogs"}, "negative_prompt", "Its arguments are"),
    ("list_generations", {"limt": 5}, "limt", "did you mean 'limit'"),
]


@pytest.mark.parametrize(("tool", "arguments", "field", "hint"), BAD_INPUTS)
async def test_bad_input_is_refused_before_reaching_luma(
    client: Client, emulator: Emulator, tool: str, arguments: dict[str, Any], field: str, hint: str
) -> None:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    message = text_of(result)
    assert field in message and hint in message, message
    assert emulator.requests == []


async def test_every_input_schema_refuses_unknown_arguments(client: Client) -> None:
    for tool in (await client.list_tools()).tools:
        assert tool.input_schema["additionalProperties"] is False, tool.name


async def test_a_download_that_luma_refuses_leaves_no_folder_behind(emulator: Emulator, tmp_path: Path) -> None:
    output = tmp_path / "videos"
    async with connect(settings_for(emulator, output, api_key="luma-not-a-real-key")) as client:
        for number in range(3):
            result = await client.call_tool(
                "download_generation",
                {"generation_id": "00000000-0000-4000-8000-000000000001", "directory": f"shots/{number}"},
            )
            assert result.is_error
    assert not output.exists()


async def test_without_an_api_key_tools_are_listed_but_calls_explain_the_fix(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(settings_for(emulator, tmp_path, api_key=None)) as client:
        assert len((await client.list_tools()).tools) == len(TOOL_NAMES)
        result = await client.call_tool("list_generations", {})
    assert result.is_error
    assert "LUMA_API_KEY" in text_of(result)
    assert emulator.requests == []


async def test_a_wrong_api_key_is_reported_without_echoing_it(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path, api_key="luma-wrong-secret-123")) as client:
        result = await client.call_tool("get_credits", {})
    assert result.is_error
    assert "LUMA_API_KEY" in text_of(result) and "luma-wrong-secret-123" not in text_of(result)


async def test_list_get_and_delete(client: Client, emulator: Emulator) -> None:
    first = await make_video(client, "first video")
    second = await make_video(client, "second video")
    listed = await call(client, "list_generations", limit=1)
    assert [item["id"] for item in listed["generations"]] == [second["id"]]
    assert listed["has_more"] is True and listed["count"] == 1
    rest = await call(client, "list_generations", limit=10, offset=1)
    assert [item["id"] for item in rest["generations"]] == [first["id"]]
    assert (await call(client, "delete_generation", generation_id=first["id"])) == {
        "id": first["id"],
        "deleted": True,
        "forgotten": False,
    }
    gone = await client.call_tool("get_generation", {"generation_id": first["id"]})
    assert gone.is_error and "list_generations" in text_of(gone)


async def test_concepts_camera_motions_and_credits(client: Client) -> None:
    concepts = await call(client, "list_concepts")
    assert "dolly_zoom" in concepts["concepts"]
    motions = await call(client, "list_camera_motions")
    assert motions["source"] == "built-in" and "camera orbit left" in motions["camera_motions"]
    before = await call(client, "get_credits")
    await make_video(client)
    after = await call(client, "get_credits")
    assert after["credit_balance_cents"] < before["credit_balance_cents"]
    assert after["credit_balance_usd"] == round(after["credit_balance_cents"] / 100, 2)


async def test_download_saves_the_video_and_thumbnail_inside_the_output_dir(client: Client, tmp_path: Path) -> None:
    video = await make_video(client)
    saved = await call(client, "download_generation", generation_id=video["id"], directory="tigers")
    video_path = Path(saved["video_path"])
    assert video_path == (tmp_path / "videos" / "tigers" / f"{video['id']}.mp4").resolve()
    assert video_path.read_bytes()[4:8] == b"ftyp"
    assert saved["video_bytes"] == video_path.stat().st_size
    assert Path(saved["thumbnail_path"]).read_bytes()[:2] == b"\xff\xd8"
    assert not [path for path in video_path.parent.iterdir() if path.name.endswith(".part")]


async def test_download_refuses_a_symlink_out_of_the_output_dir(client: Client, tmp_path: Path) -> None:
    video = await make_video(client)
    (tmp_path / "videos").mkdir(exist_ok=True)
    (tmp_path / "videos" / "escape").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    result = await client.call_tool("download_generation", {"generation_id": video["id"], "directory": "escape"})
    assert result.is_error and "outside" in text_of(result)


async def test_a_download_that_cannot_be_written_is_a_clear_error_and_the_server_goes_on(
    client: Client, tmp_path: Path
) -> None:
    video = await make_video(client)
    (tmp_path / "videos" / f"{video['id']}.mp4").mkdir(parents=True)  # a folder where the file must go
    failed = await client.call_tool("download_generation", {"generation_id": video["id"]})
    assert failed.is_error and "Cannot save" in text_of(failed), text_of(failed)
    assert (await call(client, "get_credits"))["credit_balance_cents"] > 0


async def test_two_calls_downloading_one_video_at_once_both_get_it(client: Client) -> None:
    video = await make_video(client)
    results: list[Any] = []

    async def download() -> None:
        results.append(await client.call_tool("download_generation", {"generation_id": video["id"]}))

    async with anyio.create_task_group() as group:
        group.start_soon(download)
        group.start_soon(download)
    assert [result.is_error for result in results] == [False, False], [text_of(result) for result in results]
    assert {result.structured_content["status"] for result in results} == {"saved"}


async def test_an_answer_that_cannot_be_decoded_is_reported_as_lumas_fault(client: Client, emulator: Emulator) -> None:
    emulator.inject(Fault(status=200, path="/credits", headers=(("content-encoding", "gzip"),)))
    result = await client.call_tool("get_credits", {})
    assert result.is_error and "could not be decoded" in text_of(result), text_of(result)


async def test_one_server_can_be_served_twice(emulator: Emulator, tmp_path: Path) -> None:
    server = build_server(settings_for(emulator, tmp_path))
    for _ in range(2):
        async with Client(server) as client:
            assert (await call(client, "get_credits"))["credit_balance_cents"] > 0


async def test_download_of_an_unfinished_video_says_to_wait(client: Client) -> None:
    started = await call(client, "create_generation", prompt="a slow river", wait=False)
    result = await client.call_tool("download_generation", {"generation_id": started["id"]})
    assert result.is_error and "wait=true" in text_of(result)


async def test_upscale_and_audio_make_new_generations(client: Client, emulator: Emulator) -> None:
    video = await make_video(client)
    upscaled = await call(client, "upscale_generation", generation_id=video["id"], resolution="4k")
    assert upscaled["state"] == "completed" and upscaled["id"] != video["id"]
    assert emulator.requests_for("POST", f"/generations/{video['id']}/upscale")[0].body == {"resolution": "4k"}
    voiced = await call(client, "add_audio", generation_id=video["id"], prompt="wind and soft footsteps")
    assert voiced["state"] == "completed"
    assert emulator.requests_for("POST", f"/generations/{video['id']}/audio")[0].body == {
        "prompt": "wind and soft footsteps"
    }


async def test_cancelling_a_wait_stops_the_polls(emulator: Emulator, tmp_path: Path) -> None:
    emulator.plan_next(dreaming_seconds=60)
    async with connected(settings_for(emulator, tmp_path)) as (client, server):
        with anyio.move_on_after(0.5):
            await client.call_tool("create_generation", {"prompt": "a long wait"})
        assert len(emulator.requests_for("POST", "/generations/video")) == 1
        assert emulator.requests_for("GET", "/generations/*"), "it was polling before the call was cancelled"
        [made] = (await call(client, "list_generations"))["generations"]
        await stops_polling(server, made["id"])


async def test_twenty_concurrent_waits_share_one_poll_per_tick(client: Client, emulator: Emulator) -> None:
    started = await call(client, "create_generation", prompt="one video, many watchers", wait=False)
    emulator.clear_requests()
    results: list[dict[str, Any]] = []

    async def watch() -> None:
        results.append(await call(client, "get_generation", generation_id=started["id"], wait=True))

    began = anyio.current_time()
    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(watch)
    elapsed = anyio.current_time() - began
    assert len(results) == 20 and all(result["state"] == "completed" for result in results)
    gets = len(emulator.requests_for("GET", f"/generations/{started['id']}"))
    # One lookup per call, then one shared poll per 0.05 s tick: not one poll per watcher per tick.
    assert gets - 20 <= elapsed / 0.05 + 2


async def test_an_unreadable_answer_while_polling_does_not_end_the_wait(client: Client, emulator: Emulator) -> None:
    emulator.inject(Fault(status=200, count=3, detail="<html>a proxy page</html>", method="GET", path="/generations/*"))
    finished = await call(client, "create_generation", prompt="a river at dusk")
    assert finished["state"] == "completed"
    assert [request.status for request in emulator.requests_for("GET", "/generations/*")][:3] == [200, 200, 200]
    assert (await client.list_tools()).tools, "the server is still up"


async def test_waiting_on_a_generation_already_polled_asks_luma_nothing_more(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The poller already has a fresh state for it: get_generation(wait=true) starts from that, with no lookup."""
    emulator.plan_next(queued_seconds=0.05, dreaming_seconds=1.0)
    emulator.plan_next(queued_seconds=0.05, dreaming_seconds=3.0)  # outlives the first: polls stay list requests
    async with connect(settings_for(emulator, tmp_path)) as client:
        first = await call(client, "create_generation", prompt="the first shot", wait=False)
        second = await call(client, "create_generation", prompt="the second shot", wait=False)
        async with anyio.create_task_group() as group:
            for generation in (first, second):
                group.start_soon(
                    partial(client.call_tool, "get_generation", {"generation_id": generation["id"], "wait": True})
                )
            with anyio.fail_after(5):  # a second list request: the poller has taken in the first one's answer
                while len(emulator.requests_for("GET", "/generations")) < 2:
                    await anyio.sleep(0.01)
            emulator.clear_requests()
            finished = await call(client, "get_generation", generation_id=first["id"], wait=True)
            group.cancel_scope.cancel()
    assert finished["state"] == "completed"
    assert emulator.requests_for("GET", f"/generations/{first['id']}") == []


async def test_the_prompts_direct_either_api_with_its_own_options(client: Client) -> None:
    for name, arguments in (("plan_shot", {"idea": "a tiger"}), ("storyboard", {"story": "a tiger's day"})):
        prompt = await client.get_prompt(name, arguments)
        text = " ".join(getattr(message.content, "text", "") for message in prompt.messages)
        assert "list_models" in text
        for option in ("ray-3.2", "10s", "hdr=true", "keyframes", "ray-2", "concept keys"):
            assert option in text, (name, option)


def test_the_server_instructions_name_every_paid_tool() -> None:
    assert sorted(tool for tool in PAID_TOOLS if tool not in INSTRUCTIONS) == []
