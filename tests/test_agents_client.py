"""`AgentsClient` against the emulator's Agents API over real HTTP: jobs, lookups, uploads, and what it refuses."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from luma_mcp import AuthenticationError, CreateOutcomeUnknownError, InvalidRequestError, NotFoundError
from luma_mcp.agents_client import AgentsClient
from luma_mcp.agents_wire import AgentsRequest, ImageRef, VideoOptions
from luma_mcp.backend import Upscale
from luma_mcp.emulator import Emulator, Fault
from luma_mcp.emulator.assets import sample_bytes
from luma_mcp.models import GenerationRequest, UpscaleRequest
from luma_mcp.timing import TimePolicy, within

pytestmark = pytest.mark.anyio

VIDEO = AgentsRequest(
    prompt="a tiger walking in snow", model="ray-3.2", type="video", video=VideoOptions(resolution="720p")
)
IMAGE = AgentsRequest(prompt="a red kite over the sea", model="uni-1", type="image")


@pytest.fixture
async def agents(emulator: Emulator) -> AsyncIterator[AgentsClient]:
    async with AgentsClient(api_key=emulator.agents_api_key, base_url=emulator.agents_base_url) as client:
        yield client


async def finished(agents: AgentsClient, emulator: Emulator, generation_id: str) -> None:
    emulator.agents.finish_now(generation_id)
    with anyio.fail_after(5):
        while (await agents.get_generation(generation_id)).state != "completed":
            await anyio.sleep(0.02)


async def test_a_video_is_started_and_read_back_as_our_generation(agents: AgentsClient, emulator: Emulator) -> None:
    started = await agents.start(VIDEO)
    assert (started.api, started.state, started.generation_type, started.model) == (
        "agents",
        "queued",
        "video",
        "ray-3.2",
    )
    assert started.prompt == "a tiger walking in snow", "the prompt comes from what we sent: the API echoes none"
    await finished(agents, emulator, started.id)
    done = await agents.get_generation(started.id)
    assert done.assets is not None and done.assets.video is not None
    assert [output["type"] for output in done.outputs or []] == ["video"]
    assert agents.key_accepted
    assert [request.path for request in emulator.requests if request.method == "POST"] == ["/agents/v1/generations"]


async def test_an_image_has_its_image_as_the_asset(agents: AgentsClient, emulator: Emulator) -> None:
    started = await agents.start(IMAGE)
    await finished(agents, emulator, started.id)
    done = await agents.get_generation(started.id)
    assert done.assets is not None and done.assets.image is not None and done.assets.video is None


async def test_a_lost_create_is_never_repeated_and_said_to_be_unfindable(
    agents: AgentsClient, emulator: Emulator
) -> None:
    emulator.inject(Fault(drop=True, after_processing=True, path="/agents/v1/generations"))
    with pytest.raises(CreateOutcomeUnknownError, match="may have started and been charged.*no way to look it up"):
        await agents.start(VIDEO)
    assert len(emulator.requests_for("POST", "/agents/v1/generations")) == 1


async def test_an_unknown_generation_is_not_found_and_a_refused_key_names_the_agents_setting(
    agents: AgentsClient, emulator: Emulator
) -> None:
    with pytest.raises(NotFoundError):
        await agents.get_generation("00000000-0000-4000-8000-000000000000")
    async with AgentsClient(api_key="luma-api-made-up", base_url=emulator.agents_base_url) as made_up:
        with pytest.raises(AuthenticationError, match=r"LUMA_AGENTS_API_KEY.*https://platform\.lumalabs\.ai"):
            await made_up.get_generation("00000000-0000-4000-8000-000000000000")


async def test_what_the_api_lacks_is_refused_by_name_and_nothing_is_sent(
    agents: AgentsClient, emulator: Emulator
) -> None:
    refusals = {
        "listing generations": agents.list_generations(),
        "deleting generations": agents.delete_generation("00000000-0000-4000-8000-000000000000"),
        "camera concepts": agents.list_concepts(),
        "a credit balance": agents.get_credits(),
        "upscaling": agents.start(Upscale("00000000-0000-4000-8000-000000000000", UpscaleRequest())),
        "the Dream Machine video models": agents.start(GenerationRequest(prompt="a ray-2 video")),
    }
    for what, refused in refusals.items():
        with pytest.raises(InvalidRequestError, match=f"does not offer {what}"):
            await refused
    assert emulator.requests == []


async def test_a_local_image_is_uploaded_without_the_key_and_used_by_its_file_id(
    agents: AgentsClient, emulator: Emulator, tmp_path: Path
) -> None:
    frame = tmp_path / "frame.png"
    frame.write_bytes(sample_bytes("image.png"))
    with within(TimePolicy(max_wait=10).call_deadline()):
        file_id = await agents.upload_media(frame, media_type="image/png", sha256=sha256_of(frame))
    assert (emulator.agents.file(file_id) or {})["state"] == "ready"
    image_to_video = VIDEO.model_copy(update={"video": VideoOptions(start_frame=ImageRef(file_id=file_id))})
    assert (await agents.start(image_to_video)).state == "queued"


async def test_an_upload_luma_cannot_read_is_refused_with_the_reason(
    agents: AgentsClient, emulator: Emulator, tmp_path: Path
) -> None:
    frame = tmp_path / "frame.png"
    frame.write_bytes(sample_bytes("image.png"))
    emulator.agents.plan_next_ingest(failure_reason="unsupported image format")
    with within(TimePolicy(max_wait=10).call_deadline()), pytest.raises(Exception, match="did not accept frame.png"):
        await agents.upload_media(frame, media_type="image/png", sha256=sha256_of(frame))


async def test_a_file_that_is_not_the_checked_one_is_never_completed(
    agents: AgentsClient, emulator: Emulator, tmp_path: Path
) -> None:
    """The bytes sent are hashed on the way: not those checked (the file changed since), the upload is left
    incomplete, so Luma never takes them in."""
    frame = tmp_path / "frame.png"
    frame.write_bytes(sample_bytes("image.png"))
    checked = sha256_of(frame)
    frame.write_bytes(sample_bytes("image.png") + b"swapped")
    with within(TimePolicy(max_wait=10).call_deadline()), pytest.raises(Exception, match="changed while it was"):
        await agents.upload_media(frame, media_type="image/png", sha256=checked)
    assert [request.path for request in emulator.requests if request.method == "POST"] == ["/agents/v1/files"]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
