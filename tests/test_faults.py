"""Fault injection: every tool call below meets a misbehaving "Luma" (the emulator over real HTTP) and each test
checks both what the model is told and exactly which requests Luma received. A paid create is never sent twice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client
from mcp.types import CallToolResult

from luma_mcp import DreamMachineClient, GenerationRequest, RetryPolicy
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator, Fault
from luma_mcp.timing import TimePolicy
from tests.helpers import connect, connected, eventually, settings_for, text_of, watched
from tests.test_end_to_end import SERVER, server_env

pytestmark = pytest.mark.anyio

CREATE = "/generations/video"
LIST = "/generations"
PROMPT = "a lighthouse in a storm, slow push in"
RECOVERY_LIST_QUERY = {"limit": "10", "offset": "0"}
"""The one list request a client makes to find a create whose answer was lost (RECOVERY_WINDOW newest)."""
DROPPED = 0
"""The status the emulator logs for a request that got no complete answer."""


def log(emulator: Emulator) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in emulator.requests]


def statuses(emulator: Emulator, method: str, path: str) -> list[int]:
    return [r.status for r in emulator.requests_for(method, path)]


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    structured: dict[str, Any] | None = result.structured_content
    assert structured is not None
    return structured


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return text_of(result)


def polled(emulator: Emulator, generation_id: str, times: int) -> Callable[[], bool]:
    """True once ``times`` GETs of the generation have been answered 200 (the lookup counts as one)."""
    return lambda: statuses(emulator, "GET", f"/generations/{generation_id}").count(200) >= times


# 1. 5xx bursts while waiting


async def test_a_500_502_503_burst_while_waiting_is_ridden_out(emulator: Emulator, tmp_path: Path) -> None:
    """A 500, 502, 503 burst on the polls of get_generation(wait=true) delays it; it still completes."""
    emulator.plan_next(dreaming_seconds=60)
    finished: dict[str, Any] = {}
    async with connect(settings_for(emulator, tmp_path)) as client:
        generation_id = (await call(client, "create_generation", prompt=PROMPT, wait=False))["id"]
        path = f"/generations/{generation_id}"

        async def wait() -> None:
            finished.update(await call(client, "get_generation", generation_id=generation_id, wait=True))

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await eventually(polled(emulator, generation_id, 2))  # the lookup and a first poll: it is waiting
            for status in (500, 502, 503):
                emulator.inject(Fault(status=status, method="GET", path=path))
            await eventually(lambda: 503 in statuses(emulator, "GET", path))
            emulator.finish_now(generation_id)
    assert finished["state"] == "completed" and finished["video_url"]
    gets = statuses(emulator, "GET", path)
    burst = gets.index(500)
    assert gets[burst:] == [500, 502, 503, 200], "the failed statuses, then the success that ended the wait"
    assert burst >= 2 and set(gets[:burst]) == {200}
    assert log(emulator) == [("POST", CREATE, 201)] + [("GET", path, status) for status in gets]


async def test_a_503_burst_longer_than_the_retry_budget_only_delays_the_wait(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Six 503s on the polls (more than one request's 3 retries) are outlasted: polling goes on and completes."""
    emulator.inject(Fault(status=503, count=6, method="GET", path="/generations/*", retry_after=0))
    async with connect(settings_for(emulator, tmp_path)) as client:
        video = await call(client, "create_generation", prompt=PROMPT)
    assert video["state"] == "completed" and video["video_url"]
    path = f"/generations/{video['id']}"
    gets = statuses(emulator, "GET", path)
    assert gets[:6] == [503] * 6 and set(gets[6:]) == {200} and len(gets) > 6
    assert log(emulator) == [("POST", CREATE, 201)] + [("GET", path, status) for status in gets]


# 2. 5xx on a create: never repeated


async def test_a_503_burst_on_create_is_not_repeated_and_says_to_check_first(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A create answered 503 is sent once, looked for once, and the error says to check list_generations first."""
    emulator.inject(Fault(status=503, count=3, method="POST", path=CREATE))
    async with connect(settings_for(emulator, tmp_path)) as client:
        message = await call_error(client, "create_generation", prompt=PROMPT)
        assert log(emulator) == [("POST", CREATE, 503), ("GET", LIST, 200)]
        assert emulator.requests[1].query == RECOVERY_LIST_QUERY
        listed = await call(client, "list_generations")
    assert "503" in message and "may or may not have started" in message
    assert "list_generations" in message and "charged twice" in message
    assert listed["generations"] == []
    assert len(emulator.requests_for("POST", CREATE)) == 1


async def test_a_lost_create_error_does_not_also_say_try_again_shortly(emulator: Emulator, tmp_path: Path) -> None:
    """The error for a create that got a 5xx gives one instruction: check list_generations before creating again."""
    emulator.inject(Fault(status=503, method="POST", path=CREATE))
    async with connect(settings_for(emulator, tmp_path)) as client:
        message = await call_error(client, "create_generation", prompt=PROMPT)
    assert "list_generations" in message
    assert "try again shortly" not in message, message


async def test_a_create_that_luma_started_before_its_503_is_found_and_returned(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A 503 that hides a started create: the generation is found, waited for and returned; one POST."""
    emulator.inject(Fault(status=503, method="POST", path=CREATE, after_processing=True))
    async with connect(settings_for(emulator, tmp_path)) as client:
        video = await call(client, "create_generation", prompt=PROMPT)
        listed = await call(client, "list_generations")
    assert video["state"] == "completed" and video["video_url"] and video["prompt"] == PROMPT
    assert [item["id"] for item in listed["generations"]] == [video["id"]]
    path = f"/generations/{video['id']}"
    gets = statuses(emulator, "GET", path)
    assert gets and set(gets) == {200}
    assert log(emulator) == [
        ("POST", CREATE, 503),
        ("GET", LIST, 200),
        *[("GET", path, 200)] * len(gets),
        ("GET", LIST, 200),
    ]
    assert emulator.requests[1].query == RECOVERY_LIST_QUERY


async def test_a_503_create_when_the_list_fails_too_says_luma_could_not_be_asked(
    emulator: Emulator, tmp_path: Path
) -> None:
    """503 on the create and 500 on the one look for it: one POST, one look (the search is a single try, within
    what is left of the call), and the error says the outcome is unknown."""
    emulator.inject(Fault(status=503, method="POST", path=CREATE))
    emulator.inject(Fault(status=500, count=4, method="GET", path=LIST, retry_after=0))
    async with connect(settings_for(emulator, tmp_path)) as client:
        message = await call_error(client, "create_generation", prompt=PROMPT)
    assert "could not be asked whether it started" in message
    assert "list_generations" in message and "charged twice" in message
    assert log(emulator) == [("POST", CREATE, 503), ("GET", LIST, 500)]


# 3. 429 on a create: waited out, sent once more


@pytest.mark.parametrize("retry_after", [0.3, None], ids=["with-retry-after", "without-retry-after"])
async def test_a_429_create_waits_and_is_sent_exactly_once_more(
    emulator: Emulator, tmp_path: Path, retry_after: float | None
) -> None:
    """A create answered 429 waits (Retry-After, else busy_retry), reports that it is queued, then succeeds."""
    busy_retry = 0.1
    emulator.inject(Fault(status=429, method="POST", path=CREATE, retry_after=retry_after))
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with connect(settings_for(emulator, tmp_path), limits=CreateLimits(busy_retry=busy_retry)) as client:
        result = await client.call_tool("create_generation", {"prompt": PROMPT}, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    video = result.structured_content
    assert video["state"] == "completed" and video["video_url"]
    posts = emulator.requests_for("POST", CREATE)
    assert [post.status for post in posts] == [429, 201]
    assert posts[0].body == posts[1].body
    waited = retry_after if retry_after is not None else busy_retry
    assert posts[1].at - posts[0].at >= waited * 0.9
    assert any("at a limit" in message and "queued" in message for message in messages), messages
    path = f"/generations/{video['id']}"
    assert log(emulator) == [("POST", CREATE, 429), ("POST", CREATE, 201)] + [
        ("GET", path, 200) for _ in emulator.requests_for("GET", path)
    ]


@pytest.mark.parametrize("header", [("Retry-After", "nan"), ("Retry-After", "-1"), ("retry-after-ms", "1e309")])
async def test_a_429_with_an_unusable_retry_after_is_queued_as_if_it_had_none(
    emulator: Emulator, tmp_path: Path, header: tuple[str, str]
) -> None:
    """A Retry-After no wait could honour is ignored: the create waits busy_retry and is sent once more."""
    busy_retry = 0.2
    emulator.inject(Fault(status=429, method="POST", path=CREATE, headers=(header,)))
    async with connect(settings_for(emulator, tmp_path), limits=CreateLimits(busy_retry=busy_retry)) as client:
        video = await call(client, "create_generation", prompt=PROMPT, wait=False)
    posts = emulator.requests_for("POST", CREATE)
    assert [post.status for post in posts] == [429, 201]
    assert posts[1].at - posts[0].at >= busy_retry * 0.9
    assert log(emulator) == [("POST", CREATE, 429), ("POST", CREATE, 201)]
    assert video["state"] == "queued"


async def test_a_429_asking_for_longer_than_the_wait_limit_fails_at_once(emulator: Emulator, tmp_path: Path) -> None:
    """A 429 whose Retry-After is past the call's budget ends the call: one POST, "nothing was created"."""
    emulator.inject(Fault(status=429, method="POST", path=CREATE, retry_after=30))
    async with connect(settings_for(emulator, tmp_path, max_wait=2.0)) as client:
        with anyio.fail_after(1.5):
            message = await call_error(client, "create_generation", prompt=PROMPT)
    assert "nothing was created" in message
    assert log(emulator) == [("POST", CREATE, 429)]


# 4. Dropped connections on a create


async def test_a_create_dropped_after_luma_started_it_is_found_not_repeated(emulator: Emulator, tmp_path: Path) -> None:
    """The connection drops after Luma started the create: the generation is found and returned; one POST."""
    emulator.inject(Fault(drop=True, method="POST", path=CREATE, after_processing=True))
    async with connect(settings_for(emulator, tmp_path)) as client:
        video = await call(client, "create_generation", prompt=PROMPT)
        listed = await call(client, "list_generations")
    assert video["state"] == "completed" and video["video_url"]
    assert [item["id"] for item in listed["generations"]] == [video["id"]]
    gets = statuses(emulator, "GET", f"/generations/{video['id']}")
    assert log(emulator) == [
        ("POST", CREATE, DROPPED),
        ("GET", LIST, 200),
        *[("GET", f"/generations/{video['id']}", status) for status in gets],
        ("GET", LIST, 200),
    ]


async def test_a_create_dropped_before_luma_started_it_is_reported_not_repeated(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The connection drops before Luma started the create: one POST, and the error says it may not exist."""
    emulator.inject(Fault(drop=True, method="POST", path=CREATE))
    async with connect(settings_for(emulator, tmp_path)) as client:
        message = await call_error(client, "create_generation", prompt=PROMPT)
        listed = await call(client, "list_generations")
    assert "connection broke" in message and "may or may not have started" in message
    assert "list_generations" in message
    assert listed["generations"] == [] and listed["has_more"] is False
    assert log(emulator) == [("POST", CREATE, DROPPED), ("GET", LIST, 200), ("GET", LIST, 200)]
    assert emulator.requests[1].query == RECOVERY_LIST_QUERY


async def test_an_oversized_answer_to_a_create_is_a_lost_answer(emulator: Emulator, tmp_path: Path) -> None:
    """Luma starts the create but answers with 64 MiB: the client stops reading at its cap, treats the answer as
    lost and finds the real generation in the list; the oversized answer's id is never used."""
    decoy = {"id": "00000000-0000-4000-8000-0000000000de", "state": "queued", "generation_type": "video"}
    emulator.inject(Fault(status=201, method="POST", path=CREATE, after_processing=True, body=decoy, padding=2**26))
    async with connect(settings_for(emulator, tmp_path)) as client:
        video = await call(client, "create_generation", prompt=PROMPT, wait=False)
        listed = await call(client, "list_generations")
    assert [item["id"] for item in listed["generations"]] == [video["id"]] != [decoy["id"]]
    assert log(emulator) == [("POST", CREATE, DROPPED), ("GET", LIST, 200), ("GET", LIST, 200)]


# 5. Slow responses


async def test_a_hanging_poll_does_not_hold_the_call_past_max_wait(emulator: Emulator, tmp_path: Path) -> None:
    """A poll that hangs: create_generation(wait=true) still returns at max_wait, with the state and a next step."""
    emulator.plan_next(dreaming_seconds=60)
    emulator.inject(Fault(delay=30, method="GET", path="/generations/*"))
    async with connect(settings_for(emulator, tmp_path, max_wait=1.0)) as client:
        began = anyio.current_time()
        video = await call(client, "create_generation", prompt=PROMPT)
        elapsed = anyio.current_time() - began
    assert 1.0 <= elapsed < 5.0
    assert video["state"] in ("queued", "dreaming")
    assert "wait=true" in video["next_step"] and "Do not create it again" in video["next_step"]
    # The hanging GET was still unanswered when the server shut down; no second request went out meanwhile.
    assert log(emulator) == [("POST", CREATE, 201), ("GET", f"/generations/{video['id']}", DROPPED)]


async def test_a_hanging_poll_of_one_generation_does_not_stall_the_others(emulator: Emulator, tmp_path: Path) -> None:
    """While one generation's poll hangs, another generation's create_generation(wait=true) still completes."""
    emulator.plan_next(dreaming_seconds=60)
    async with connect(settings_for(emulator, tmp_path, max_wait=2.0)) as client:
        stuck_id = (await call(client, "create_generation", prompt="the stuck one", wait=False))["id"]
        stuck = f"/generations/{stuck_id}"
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: client.call_tool("get_generation", {"generation_id": stuck_id, "wait": True}))
            await eventually(polled(emulator, stuck_id, 2))
            emulator.inject(Fault(delay=30, method="GET", path=stuck))
            hung_from = len(emulator.requests)
            await eventually(lambda: any(r.path == stuck for r in emulator.requests[hung_from:]))
            other = await call(client, "create_generation", prompt="the other one")
            group.cancel_scope.cancel()
    assert len(emulator.requests_for("POST", CREATE)) == 2
    assert other["state"] == "completed", other


async def test_a_hanging_lookup_is_bounded_by_max_wait(emulator: Emulator, tmp_path: Path) -> None:
    """get_generation answers within max_wait (plus slack) even when Luma does not answer its GET."""
    async with connect(settings_for(emulator, tmp_path, max_wait=0.5)) as client:
        generation_id = (await call(client, "create_generation", prompt=PROMPT, wait=False))["id"]
        emulator.inject(Fault(delay=2.5, method="GET", path=f"/generations/{generation_id}"))
        began = anyio.current_time()
        await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True})
        elapsed = anyio.current_time() - began
    assert elapsed < 1.5, f"the call took {elapsed:.1f} s with max_wait=0.5"


async def test_a_read_past_the_client_timeout_is_retried(emulator: Emulator) -> None:
    """A GET answered too late times out and is tried again; Luma sees the abandoned request, then the retry."""
    # Client level on purpose: a read's own cap (30 s) is shorter than a call only when LUMA_MCP_MAX_WAIT is long,
    # so a tool-level test of it would take a minute. The tool-level effect of a hanging request is covered by
    # tests/test_time_limits.py.
    async with DreamMachineClient(
        api_key=emulator.api_key,
        base_url=emulator.base_url,
        timing=TimePolicy(read=0.3),
        retry=RetryPolicy(initial_delay=0.01, max_delay=0.05),
    ) as luma:
        generation = await luma.create_generation(GenerationRequest(model="ray-2", prompt=PROMPT))
        path = f"/generations/{generation.id}"
        emulator.inject(Fault(delay=5, method="GET", path=path))
        fetched = await luma.get_generation(generation.id)
    assert fetched.id == generation.id
    assert log(emulator) == [("POST", CREATE, 201), ("GET", path, DROPPED), ("GET", path, 200)]


# 6. Luma's list endpoint paging


async def test_list_generations_pages_through_lumas_list(emulator: Emulator, tmp_path: Path) -> None:
    """Twelve generations page as 5, 5, 2, newest first, with has_more, one GET /generations per page."""
    async with connect(settings_for(emulator, tmp_path, max_in_flight=0)) as client:  # twelve at once
        created = [
            (await call(client, "create_generation", prompt=f"shot {number} of a storyboard", wait=False))["id"]
            for number in range(12)
        ]
        assert log(emulator) == [("POST", CREATE, 201)] * 12
        emulator.clear_requests()
        pages = [await call(client, "list_generations", limit=5, offset=offset) for offset in (0, 5, 10)]
    assert [page["count"] for page in pages] == [5, 5, 2]
    assert [len(page["generations"]) for page in pages] == [5, 5, 2]
    assert [page["has_more"] for page in pages] == [True, True, False]
    assert [(page["limit"], page["offset"]) for page in pages] == [(5, 0), (5, 5), (5, 10)]
    listed = [item["id"] for page in pages for item in page["generations"]]
    assert listed == created[::-1], "newest first, no gaps, no repeats"
    assert [(r.method, r.path, r.query, r.status) for r in emulator.requests] == [
        ("GET", LIST, {"limit": "5", "offset": str(offset)}, 200) for offset in (0, 5, 10)
    ]


# 7. A generation deleted while being waited on


async def test_a_generation_deleted_while_waited_on_ends_the_wait_and_the_polls(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Deleting a generation (delete_generation, from a second task) ends its wait with a tool error; polls stop."""
    emulator.plan_next(dreaming_seconds=60)
    outcome: list[str] = []
    async with connected(settings_for(emulator, tmp_path)) as (client, server):
        generation_id = (await call(client, "create_generation", prompt=PROMPT, wait=False))["id"]
        path = f"/generations/{generation_id}"

        async def wait() -> None:
            outcome.append(await call_error(client, "get_generation", generation_id=generation_id, wait=True))

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await eventually(polled(emulator, generation_id, 2))
            assert await call(client, "delete_generation", generation_id=generation_id) == {
                "id": generation_id,
                "deleted": True,
                "forgotten": False,
            }
            with anyio.fail_after(2):
                await eventually(lambda: bool(outcome))
        assert watched(server) == frozenset(), "no polls of a deleted generation"
    (message,) = outcome
    assert generation_id in message and "list_generations" in message
    for_this_one = [(r.method, r.status) for r in emulator.requests if r.path == path]
    deleted_at = for_this_one.index(("DELETE", 204))
    assert set(for_this_one[:deleted_at]) == {("GET", 200)}
    assert for_this_one[deleted_at + 1 :] in ([("GET", 404)], [("GET", 200), ("GET", 404)]), for_this_one
    assert [(r.method, r.path) for r in emulator.requests if r.path != path] == [("POST", CREATE)]


async def test_the_error_for_a_deleted_generation_says_it_no_longer_exists(emulator: Emulator, tmp_path: Path) -> None:
    """The wait on a generation deleted meanwhile says it no longer exists, not that the id may be wrong."""
    emulator.plan_next(dreaming_seconds=60)
    outcome: list[str] = []
    async with connect(settings_for(emulator, tmp_path)) as client:
        generation_id = (await call(client, "create_generation", prompt=PROMPT, wait=False))["id"]

        async def wait() -> None:
            outcome.append(await call_error(client, "get_generation", generation_id=generation_id, wait=True))

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await eventually(polled(emulator, generation_id, 2))
            await call(client, "delete_generation", generation_id=generation_id)
    (message,) = outcome
    assert "no longer exists" in message or "deleted" in message, message
    assert "Check the id" not in message, message


async def test_deleting_one_of_two_waited_generations_leaves_the_other_waiting(
    emulator: Emulator, tmp_path: Path
) -> None:
    """With two waits sharing the list poll, the deleted one errors (via a single GET) and the other completes."""
    emulator.plan_next(dreaming_seconds=60)
    emulator.plan_next(dreaming_seconds=60)
    outcomes: dict[str, CallToolResult] = {}
    async with connect(settings_for(emulator, tmp_path)) as client:
        doomed = (await call(client, "create_generation", prompt="the doomed one", wait=False))["id"]
        kept = (await call(client, "create_generation", prompt="the kept one", wait=False))["id"]

        async def wait(generation_id: str) -> None:
            result = await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True})
            outcomes[generation_id] = result

        async with anyio.create_task_group() as group:
            group.start_soon(wait, doomed)
            group.start_soon(wait, kept)
            await eventually(lambda: statuses(emulator, "GET", LIST).count(200) >= 1)  # both are being polled
            await call(client, "delete_generation", generation_id=doomed)
            await eventually(lambda: doomed in outcomes)
            emulator.finish_now(kept)
    assert outcomes[doomed].is_error and doomed in text_of(outcomes[doomed])
    assert not outcomes[kept].is_error, text_of(outcomes[kept])
    assert (outcomes[kept].structured_content or {}).get("state") == "completed"
    assert statuses(emulator, "GET", f"/generations/{doomed}")[-1] == 404
    assert statuses(emulator, "GET", f"/generations/{doomed}").count(404) == 1
    assert {r.query["limit"] for r in emulator.requests_for("GET", LIST)} == {"20"}
    assert len(emulator.requests_for("POST", CREATE)) == 2


# 8. The server process restarted while generations are in flight


async def test_generations_in_flight_survive_a_server_restart(emulator: Emulator, tmp_path: Path) -> None:
    """Two generations started by one server process are listed and waited for by the next; two POSTs in all."""
    emulator.plan_next(dreaming_seconds=60)
    emulator.plan_next(dreaming_seconds=60)
    params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=server_env(emulator, tmp_path / "out"))
    with (tmp_path / "first.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            first = await call(client, "create_generation", prompt="first of two", wait=False)
            second = await call(client, "create_generation", prompt="second of two", wait=False)
    ids = [first["id"], second["id"]]
    assert log(emulator) == [("POST", CREATE, 201)] * 2
    assert all((emulator.generation(gid) or {}).get("state") in ("queued", "dreaming") for gid in ids), "in flight"

    restarted_at = len(emulator.requests)
    finished: dict[str, dict[str, Any]] = {}
    with (tmp_path / "second.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            listed = await call(client, "list_generations")
            assert [item["id"] for item in listed["generations"]] == ids[::-1]
            assert {item["state"] for item in listed["generations"]} <= {"queued", "dreaming"}

            async def wait(generation_id: str) -> None:
                finished[generation_id] = await call(client, "get_generation", generation_id=generation_id, wait=True)

            async with anyio.create_task_group() as group:
                for generation_id in ids:
                    group.start_soon(wait, generation_id)
                await eventually(
                    lambda: (
                        {r.path for r in emulator.requests[restarted_at:]}
                        >= {f"/generations/{generation_id}" for generation_id in ids}
                    )
                )
                for generation_id in ids:
                    emulator.finish_now(generation_id)
    for generation_id in ids:
        assert finished[generation_id]["state"] == "completed" and finished[generation_id]["video_url"]
    assert len(emulator.requests_for("POST", CREATE)) == 2
    after_restart = emulator.requests[restarted_at:]
    assert {(r.method, r.path, r.status) for r in after_restart} <= {
        ("GET", LIST, 200),
        *{("GET", f"/generations/{generation_id}", 200) for generation_id in ids},
    }


# 9. Many generations in flight while the list endpoint fails


async def test_waits_complete_through_single_gets_when_the_list_endpoint_fails(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Six waits while GET /generations always answers 500: the poller falls back to single GETs; all complete."""
    count = 6
    for _ in range(count):
        emulator.plan_next(dreaming_seconds=2)
    emulator.inject(Fault(status=500, count=1000, method="GET", path=LIST))
    finished: dict[str, dict[str, Any]] = {}
    async with connect(settings_for(emulator, tmp_path, max_wait=20)) as client:
        ids = [
            (await call(client, "create_generation", prompt=f"shot {number}", wait=False))["id"]
            for number in range(count)
        ]

        async def wait(generation_id: str) -> None:
            finished[generation_id] = await call(client, "get_generation", generation_id=generation_id, wait=True)

        async with anyio.create_task_group() as group:
            for generation_id in ids:
                group.start_soon(wait, generation_id)
    assert {generation_id: result["state"] for generation_id, result in finished.items()} == dict.fromkeys(
        ids, "completed"
    )
    assert len(emulator.requests_for("POST", CREATE)) == count
    lists = emulator.requests_for("GET", LIST)
    assert lists, "the poller tried the list first"
    assert {(r.status, r.query["limit"]) for r in lists} == {(500, "20")}
    for generation_id in ids:
        gets = statuses(emulator, "GET", f"/generations/{generation_id}")
        assert len(gets) >= 2 and set(gets) == {200}, "the lookup, then single-GET polls"
    assert {r.path for r in emulator.requests} == {CREATE, LIST, *{f"/generations/{gid}" for gid in ids}}


# 10. Answers that name the wrong generation

ESCAPING_ID = "../../../ESCAPED"


async def test_a_lookup_answered_with_a_path_for_an_id_saves_nothing_anywhere(
    emulator: Emulator, tmp_path: Path
) -> None:
    """download_generation, answered with a generation whose id is a path: a tool error, and no file is written."""
    output = tmp_path / "a" / "b" / "c"
    async with connect(settings_for(emulator, output)) as client:
        generation_id = (await call(client, "create_generation", prompt=PROMPT, wait=False))["id"]
        emulator.finish_now(generation_id)
        hostile = {**(emulator.generation(generation_id) or {}), "id": ESCAPING_ID}
        path = f"/generations/{generation_id}"
        emulator.inject(Fault(status=200, method="GET", path=path, body=hostile))
        message = await call_error(client, "download_generation", generation_id=generation_id)
    assert f"answer to GET {path}" in message and "not a UUID" in message
    assert [file for file in tmp_path.rglob("*") if file.is_file()] == []
    assert log(emulator) == [("POST", CREATE, 201), ("GET", path, 200)]


async def test_a_lookup_answered_with_another_generation_is_an_error(emulator: Emulator, tmp_path: Path) -> None:
    """get_generation(A), answered with generation B: a tool error naming both, never B shown as A."""
    async with connect(settings_for(emulator, tmp_path)) as client:
        asked = (await call(client, "create_generation", prompt=PROMPT, wait=False))["id"]
        other = (await call(client, "create_generation", prompt="another video", wait=False))["id"]
        emulator.inject(Fault(status=200, method="GET", path=f"/generations/{asked}", body=emulator.generation(other)))
        message = await call_error(client, "get_generation", generation_id=asked)
    assert f"was about generation {other}, not {asked}" in message
    assert len(emulator.requests_for("GET", f"/generations/{asked}")) == 1


async def test_a_create_answered_without_a_uuid_is_a_lost_answer(emulator: Emulator, tmp_path: Path) -> None:
    """Luma starts the create but its answer's id is a path: the real generation is found in the list instead."""
    hostile = {"id": ESCAPING_ID, "state": "queued", "generation_type": "video"}
    emulator.inject(Fault(status=201, method="POST", path=CREATE, after_processing=True, body=hostile))
    async with connect(settings_for(emulator, tmp_path)) as client:
        video = await call(client, "create_generation", prompt=PROMPT, wait=False)
        listed = await call(client, "list_generations")
    assert video["id"] != ESCAPING_ID
    assert [item["id"] for item in listed["generations"]] == [video["id"]]
    assert log(emulator) == [("POST", CREATE, 201), ("GET", LIST, 200), ("GET", LIST, 200)]


async def test_list_entries_without_a_uuid_are_left_out(emulator: Emulator, tmp_path: Path) -> None:
    """A list whose second entry has a path for an id: list_generations shows the first only."""
    async with connect(settings_for(emulator, tmp_path)) as client:
        good = await call(client, "create_generation", prompt=PROMPT, wait=False)
        entry = emulator.generation(good["id"]) or {}
        page = {"generations": [entry, {**entry, "id": ESCAPING_ID}], "has_more": False, "count": 2}
        emulator.inject(Fault(status=200, method="GET", path=LIST, body=page))
        listed = await call(client, "list_generations")
    assert [item["id"] for item in listed["generations"]] == [good["id"]]
