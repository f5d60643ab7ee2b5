"""`DreamMachineClient` against the emulator over real HTTP: retries, error mapping, and no duplicate paid creates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from luma_mcp import (
    APIConnectionError,
    APIResponseError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    CreateOutcomeUnknownError,
    DreamMachineClient,
    GenerationRequest,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from luma_mcp.backend import AddAudio, Upscale
from luma_mcp.emulator import Emulator, Fault, run_emulator
from luma_mcp.emulator.middleware import DROPPED_STATUS
from luma_mcp.models import AudioRequest, UpscaleRequest
from luma_mcp.retries import retry_after_seconds
from luma_mcp.timing import TimePolicy

pytestmark = pytest.mark.anyio

QUICK_RETRIES = RetryPolicy(retries=3, initial_delay=0.01, max_delay=0.05)
CREATE = GenerationRequest(model="ray-2", prompt="a tiger walking in snow")


@pytest.fixture
async def luma(emulator: Emulator) -> AsyncIterator[DreamMachineClient]:
    async with DreamMachineClient(api_key=emulator.api_key, base_url=emulator.base_url, retry=QUICK_RETRIES) as client:
        yield client


async def test_reads_are_retried_through_server_errors(luma: DreamMachineClient, emulator: Emulator) -> None:
    emulator.inject(Fault(status=503, count=2, path="/credits"))
    credits = await luma.get_credits()
    assert credits.credit_balance > 0
    assert [request.status for request in emulator.requests_for("GET", "/credits")] == [503, 503, 200]


async def test_reads_give_up_after_the_retry_budget(luma: DreamMachineClient, emulator: Emulator) -> None:
    emulator.inject(Fault(status=500, count=10, path="/credits"))
    with pytest.raises(ServerError, match="500"):
        await luma.get_credits()
    assert len(emulator.requests_for("GET", "/credits")) == 1 + QUICK_RETRIES.retries


async def test_a_dropped_connection_on_a_read_is_retried(luma: DreamMachineClient, emulator: Emulator) -> None:
    emulator.inject(Fault(drop=True, count=1, path="/generations/concepts/list"))
    assert "dolly_zoom" in await luma.list_concepts()
    assert len(emulator.requests_for("GET", "/generations/concepts/list")) == 2


async def test_a_create_that_failed_with_a_server_error_is_not_repeated(
    luma: DreamMachineClient, emulator: Emulator
) -> None:
    emulator.inject(Fault(status=500, path="/generations/video"))
    with pytest.raises(CreateOutcomeUnknownError, match="list_generations") as raised:
        await luma.create_generation(CREATE)
    assert isinstance(raised.value.__cause__, ServerError)
    assert len(emulator.requests_for("POST", "/generations/video")) == 1
    assert len(emulator.requests_for("GET", "/generations")) == 1, "it looked for the generation once"


async def test_a_create_whose_answer_was_lost_is_found_not_repeated(
    luma: DreamMachineClient, emulator: Emulator
) -> None:
    emulator.inject(Fault(drop=True, after_processing=True, path="/generations/video"))
    generation = await luma.create_generation(CREATE)
    assert generation.prompt == CREATE.prompt
    assert len(emulator.requests_for("POST", "/generations/video")) == 1
    assert [item.id for item in (await luma.list_generations()).generations] == [generation.id]


@pytest.mark.parametrize("status", [408, 409])
async def test_a_create_answered_408_or_409_after_luma_started_it_is_found_not_repeated(
    luma: DreamMachineClient, emulator: Emulator, status: int
) -> None:
    emulator.inject(Fault(status=status, after_processing=True, path="/generations/video"))
    generation = await luma.create_generation(CREATE)
    assert [request.status for request in emulator.requests_for("POST", "/generations/video")] == [status]
    assert [item.id for item in (await luma.list_generations()).generations] == [generation.id]


@pytest.mark.parametrize("status", [408, 409])
async def test_a_create_answered_408_or_409_is_not_repeated_and_its_outcome_is_unknown(
    luma: DreamMachineClient, emulator: Emulator, status: int
) -> None:
    emulator.inject(Fault(status=status, path="/generations/video"))
    with pytest.raises(CreateOutcomeUnknownError, match=f"HTTP {status}.*list_generations"):
        await luma.create_generation(CREATE)
    assert [(request.method, request.path, request.status) for request in emulator.requests] == [
        ("POST", "/generations/video", status),
        ("GET", "/generations", 200),
    ]


async def test_a_lost_create_is_not_confused_with_another_generation(
    luma: DreamMachineClient, emulator: Emulator
) -> None:
    older = await luma.create_generation(CREATE)
    emulator.inject(Fault(drop=True, path="/generations/video"))
    with pytest.raises(CreateOutcomeUnknownError):
        await luma.create_generation(GenerationRequest(model="ray-2", prompt="a different video"))
    assert [item.id for item in (await luma.list_generations()).generations] == [older.id]


async def test_a_create_that_timed_out_is_found_not_repeated(emulator: Emulator) -> None:
    emulator.inject(Fault(delay=1.0, after_processing=True, path="/generations/video"))
    async with DreamMachineClient(
        api_key=emulator.api_key, base_url=emulator.base_url, retry=QUICK_RETRIES, timing=TimePolicy(paid=0.3)
    ) as luma:
        generation = await luma.create_generation(CREATE)
    assert generation.prompt == CREATE.prompt
    assert len(emulator.requests_for("POST", "/generations/video")) == 1


async def test_a_rate_limited_create_is_handed_up_with_its_retry_after(
    luma: DreamMachineClient, emulator: Emulator
) -> None:
    emulator.inject(Fault(status=429, retry_after=30, path="/generations/video"))
    with pytest.raises(RateLimitError) as raised:
        await luma.create_generation(CREATE)
    assert raised.value.retry_after == 30
    assert len(emulator.requests_for("POST", "/generations/video")) == 1


async def test_rate_limit_errors_say_what_luma_allows(luma: DreamMachineClient, emulator: Emulator) -> None:
    emulator.inject(Fault(status=429, count=10, path="/generations/video"))
    with pytest.raises(RateLimitError, match="10 video generations"):
        await luma.create_generation(CREATE)


async def test_refused_connections_are_retried_then_reported(emulator: Emulator) -> None:
    async with DreamMachineClient(api_key="k", base_url="http://127.0.0.1:9", retry=QUICK_RETRIES) as luma:
        with pytest.raises(APIConnectionError, match="Could not connect") as raised:
            await luma.create_generation(CREATE)
    assert raised.value.may_have_reached_luma is False


async def test_lumas_validation_detail_reaches_the_caller(luma: DreamMachineClient) -> None:
    with pytest.raises(BadRequestError, match="Prompt is too short"):
        await luma.create_generation(GenerationRequest(model="ray-2", prompt="ab"))


async def test_unknown_ids_are_not_found(luma: DreamMachineClient) -> None:
    with pytest.raises(NotFoundError):
        await luma.get_generation("00000000-0000-4000-8000-000000000000")


async def test_a_bad_key_is_an_authentication_error_that_hides_the_key(emulator: Emulator) -> None:
    async with DreamMachineClient(api_key="luma-secret-value", base_url=emulator.base_url, retry=QUICK_RETRIES) as luma:
        with pytest.raises(AuthenticationError) as raised:
            await luma.get_credits()
    assert "luma-secret-value" not in str(raised.value)
    assert "LUMA_API_KEY" in str(raised.value)


async def test_no_key_means_no_request(emulator: Emulator) -> None:
    async with DreamMachineClient(api_key=None, base_url=emulator.base_url) as luma:
        with pytest.raises(ConfigurationError, match="LUMA_API_KEY"):
            await luma.list_generations()
    assert emulator.requests == []


async def test_camera_motion_list_is_not_found_on_current_luma(luma: DreamMachineClient) -> None:
    with pytest.raises(NotFoundError):
        await luma.list_camera_motions()


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "-1"},
        {"retry-after": "nan"},
        {"retry-after": "1e309"},
        {"retry-after": "inf"},
        {"retry-after": "86401"},
        {"retry-after-ms": "-5"},
        {"retry-after-ms": "NaN"},
        {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"},
    ],
)
def test_an_unusable_retry_after_counts_as_absent(headers: dict[str, str]) -> None:
    assert retry_after_seconds(headers) is None


def test_an_unusable_retry_after_ms_falls_back_to_retry_after() -> None:
    assert retry_after_seconds({"retry-after-ms": "nan", "retry-after": "2"}) == 2.0


def test_an_http_date_without_a_zone_is_read_as_gmt() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds({"retry-after": "Thu, 01 Jan 2026 00:00:05 -0000"}, now=now) == 5.0


def test_retry_after_is_read_in_all_its_forms() -> None:
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "soon"}) is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds({"retry-after": "Thu, 01 Jan 2026 00:00:05 GMT"}, now=now) == 5.0


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    delays = [policy.delay(attempt) for attempt in (0, 1, 10)]
    assert 0.375 <= (delays[0] or 0.0) <= 0.5
    assert 0.75 <= (delays[1] or 0.0) <= 1.0
    assert 6.0 <= (delays[2] or 0.0) <= 8.0
    assert policy.delay(0, retry_after=2.0) == 2.0
    assert policy.delay(0, retry_after=600.0) is None, "never retry sooner than asked: give up instead"


async def test_a_long_retry_after_is_reported_not_shortened(luma: DreamMachineClient, emulator: Emulator) -> None:
    emulator.inject(Fault(status=429, retry_after=120, path="/credits"))
    with pytest.raises(RateLimitError, match="wait 120 s") as raised:
        await luma.get_credits()
    assert raised.value.retry_after == 120
    assert len(emulator.requests_for("GET", "/credits")) == 1


async def test_x_should_retry_never_repeats_a_paid_request(luma: DreamMachineClient, emulator: Emulator) -> None:
    """Luma's header may license retrying reads, never a create that Luma already started."""
    emulator.inject(
        Fault(status=500, after_processing=True, path="/generations/video", headers=(("x-should-retry", "true"),))
    )
    generation = await luma.create_generation(CREATE)
    assert len(emulator.requests_for("POST", "/generations/video")) == 1
    assert [item.id for item in (await luma.list_generations()).generations] == [generation.id]


async def test_an_unreadable_answer_is_a_typed_error(luma: DreamMachineClient, emulator: Emulator) -> None:
    emulator.inject(Fault(status=200, detail="<html>proxy error</html>", path="/credits"))
    with pytest.raises(APIResponseError, match="GET /credits"):
        await luma.get_credits()


async def test_an_oversized_answer_is_refused_without_reading_it_all() -> None:
    """64 MiB of valid JSON: the client stops reading past its cap and hangs up, so the emulator never finishes."""
    async with run_emulator() as emulator:
        emulator.inject(Fault(status=200, path="/credits", body={"credit_balance": 1.0}, padding=64 * 1024**2))
        async with DreamMachineClient(
            api_key=emulator.api_key, base_url=emulator.base_url, retry=QUICK_RETRIES
        ) as luma:
            with pytest.raises(APIResponseError, match=r"answer to GET /credits was over 8 MiB"):
                await luma.get_credits()
    assert [request.status for request in emulator.requests] == [DROPPED_STATUS]


async def test_a_lost_upscale_answer_says_to_check_before_retrying(
    luma: DreamMachineClient, emulator: Emulator
) -> None:
    source = await luma.create_generation(CREATE)
    emulator.finish_now(source.id)
    upscale = f"/generations/{source.id}/upscale"
    emulator.inject(Fault(status=502, after_processing=True, path=upscale))
    with pytest.raises(CreateOutcomeUnknownError, match="list_generations") as raised:
        await luma.upscale_generation(source.id, UpscaleRequest(resolution="4k"))
    assert "try again shortly" not in str(raised.value)
    assert len(emulator.requests_for("POST", upscale)) == 1


async def test_an_answer_is_never_matched_to_a_generation_already_returned(
    luma: DreamMachineClient, emulator: Emulator
) -> None:
    first = await luma.create_generation(CREATE)
    emulator.inject(Fault(drop=True, path="/generations/video"))
    with pytest.raises(CreateOutcomeUnknownError):
        await luma.create_generation(CREATE)
    assert [item.id for item in (await luma.list_generations()).generations] == [first.id]


async def test_ping_checks_the_key(luma: DreamMachineClient, emulator: Emulator) -> None:
    await luma.ping()
    async with DreamMachineClient(api_key="luma-wrong", base_url=emulator.base_url, retry=QUICK_RETRIES) as wrong:
        with pytest.raises(AuthenticationError):
            await wrong.ping()


async def test_a_local_file_is_refused_by_name_and_nothing_is_sent(
    luma: DreamMachineClient, emulator: Emulator, tmp_path: Path
) -> None:
    frame = tmp_path / "frame.png"
    frame.write_bytes(b"\x89PNG")
    with pytest.raises(InvalidRequestError, match=r"frame\.png is a local file.*public http\(s\) URL"):
        await luma.upload_media(frame, media_type="image/png", sha256="0" * 64)
    assert emulator.requests == []


async def test_every_paid_job_goes_to_its_own_endpoint(luma: DreamMachineClient, emulator: Emulator) -> None:
    source = await luma.start(CREATE)
    emulator.finish_now(source.id)
    await luma.start(Upscale(source.id, UpscaleRequest(resolution="1080p")))
    await luma.start(AddAudio(source.id, AudioRequest(prompt="wind and snow")))
    assert [request.path for request in emulator.requests if request.method == "POST"] == [
        "/generations/video",
        f"/generations/{source.id}/upscale",
        f"/generations/{source.id}/audio",
    ]
