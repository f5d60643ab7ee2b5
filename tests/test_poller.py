"""`Poller` on its own: a scripted fetch function stands in for Luma, so ticks can be counted exactly."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from luma_mcp import APIStatusError, Generation, NotFoundError, Poller, PollSchedule, ServerError
from tests.helpers import wakeups_of_waits

pytestmark = pytest.mark.anyio

TICK = 0.02
FAST = PollSchedule(steps=((0.0, TICK),))


class ScriptedLuma:
    """Answers GETs from a list of states, one per call; the last state repeats."""

    def __init__(self, *states: str | Exception) -> None:
        self.states = list(states)
        self.fetches = 0

    async def fetch(self, generation_id: str) -> Generation:
        self.fetches += 1
        state = self.states[min(self.fetches - 1, len(self.states) - 1)]
        if isinstance(state, Exception):
            raise state
        return Generation(id=generation_id, state=state)


@asynccontextmanager
async def running(poller: Poller) -> AsyncIterator[Poller]:
    """The poller started in a task group of the test's own, as an account starts its poller in the server's."""
    async with anyio.create_task_group() as group:
        poller.start(group)
        yield poller
        group.cancel_scope.cancel()


def queued(generation_id: str = "g1") -> Generation:
    return Generation(id=generation_id, state="queued")


def test_the_product_schedule_keeps_detection_fast_and_requests_rare() -> None:
    schedule = PollSchedule()
    intervals = [schedule.interval(second) for second in range(600)]
    assert all(1.0 <= interval <= 1.2 for interval in intervals), "within 1.5 s with 0.3 s for the round trip"
    assert intervals == sorted(intervals), "long generations are polled less often, never more"
    assert schedule.interval(0) == 1.0 and schedule.interval(300) == 1.2


async def test_a_wait_returns_the_finished_generation() -> None:
    luma = ScriptedLuma("dreaming", "dreaming", "completed")
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        finished = await poller.wait(queued(), timeout=5)
    assert finished.state == "completed"
    assert luma.fetches == 3


async def test_many_waiters_share_one_fetch_per_tick() -> None:
    luma = ScriptedLuma(*["dreaming"] * 9, "completed")
    results: list[Generation] = []
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:

        async def wait() -> None:
            results.append(await poller.wait(queued(), timeout=5))

        async with anyio.create_task_group() as group:
            for _ in range(50):
                group.start_soon(wait)
    assert len(results) == 50 and all(result.state == "completed" for result in results)
    assert luma.fetches == 10


async def test_polling_stops_when_the_last_waiter_leaves() -> None:
    luma = ScriptedLuma("dreaming")
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        with anyio.move_on_after(0.1):
            await poller.wait(queued(), timeout=60)
        assert poller.watching == frozenset(), "nothing is left to poll: no look can be sent"


async def test_a_wait_that_times_out_returns_the_latest_state() -> None:
    luma = ScriptedLuma("dreaming")
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        latest = await poller.wait(queued(), timeout=0.1)
    assert latest.state == "dreaming"


async def test_transient_errors_do_not_end_a_wait() -> None:
    luma = ScriptedLuma(ServerError("boom", status_code=503, detail=None), "dreaming", "completed")
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        assert (await poller.wait(queued(), timeout=5)).state == "completed"


async def test_a_generation_deleted_while_waited_on_ends_the_wait_with_not_found() -> None:
    luma = ScriptedLuma("dreaming", NotFoundError("gone", status_code=404, detail=None))
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        with pytest.raises(NotFoundError):
            await poller.wait(queued(), timeout=5)


async def test_updates_arrive_on_every_change_and_on_a_heartbeat() -> None:
    luma = ScriptedLuma(*["dreaming"] * 20, "completed")
    seen: list[str] = []

    async def on_update(generation: Generation) -> None:
        seen.append(generation.state)

    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        await poller.wait(queued(), timeout=5, on_update=on_update, heartbeat=TICK)
    assert seen[0] == "queued" and seen[-1] == "completed" and "dreaming" in seen
    assert len(seen) > 3


async def test_a_wait_with_nobody_to_update_wakes_only_when_the_generation_changes() -> None:
    """No heartbeat without a progress bar to move: a thousand such waits cost nothing between two looks."""
    luma = ScriptedLuma(*["dreaming"] * 20, "completed")
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        with wakeups_of_waits() as runs:
            await poller.wait(queued(), timeout=5, heartbeat=TICK)
    assert luma.fetches == 21
    assert runs == {"g1": 3}, "begun, woken by dreaming, woken by completed"


async def test_changes_are_announced_to_the_listener() -> None:
    luma = ScriptedLuma("dreaming", "completed")
    announced: list[str] = []

    async def on_change(generation: Generation) -> None:
        announced.append(generation.state)

    async with running(Poller(luma.fetch, schedule=FAST, on_change=on_change)) as poller:
        await poller.wait(queued(), timeout=5)
    assert announced == ["dreaming", "completed"]


async def test_a_follow_counts_as_watching_from_the_moment_it_is_made() -> None:
    """Its account must count as in use at once, not only once the background task first runs (in between, a
    flood of new accounts could close it), and a follow stopped before that task runs still lets go."""
    async with running(Poller(ScriptedLuma("dreaming").fetch, schedule=FAST)) as poller:
        stop = poller.follow(queued())
        assert poller.watching == frozenset({"g1"})
        stop()
        with anyio.fail_after(2):
            while poller.watching:
                await anyio.sleep(0)


async def test_follow_polls_without_a_waiter_until_the_end() -> None:
    luma = ScriptedLuma("dreaming", "completed")
    announced: list[str] = []

    async def on_change(generation: Generation) -> None:
        announced.append(generation.state)

    async with running(Poller(luma.fetch, schedule=FAST, on_change=on_change)) as poller:
        poller.follow(queued())
        with anyio.fail_after(2):
            while "completed" not in announced:
                await anyio.sleep(TICK)
        assert poller.watching == frozenset()


class ScriptedFleet:
    """Many generations; each completes on its n-th observation, whether by list or by GET."""

    def __init__(self, observations_to_finish: dict[str, int], listed: set[str] | None = None) -> None:
        self.left = dict(observations_to_finish)
        self.listed = set(observations_to_finish) if listed is None else listed
        self.lists = 0
        self.gets = 0
        self.gets_of: Counter[str] = Counter()
        self.list_error: Exception | None = None

    def observe(self, generation_id: str) -> Generation:
        self.left[generation_id] -= 1
        return Generation(id=generation_id, state="completed" if self.left[generation_id] <= 0 else "dreaming")

    async def fetch_one(self, generation_id: str) -> Generation:
        self.gets += 1
        self.gets_of[generation_id] += 1
        return self.observe(generation_id)

    async def fetch_page(self, limit: int, offset: int) -> list[Generation]:
        self.lists += 1
        if self.list_error is not None:
            raise self.list_error
        return [self.observe(generation_id) for generation_id in sorted(self.listed)[offset : offset + limit]]


async def wait_for_all(poller: Poller, ids: list[str]) -> list[Generation]:
    results: list[Generation] = []

    async def wait(generation_id: str) -> None:
        results.append(await poller.wait(queued(generation_id), timeout=5))

    async with anyio.create_task_group() as group:
        for generation_id in ids:
            group.start_soon(wait, generation_id)
    return results


async def test_many_generations_in_flight_cost_one_list_per_tick() -> None:
    ids = [f"g{number:03}" for number in range(40)]
    fleet = ScriptedFleet(dict.fromkeys(ids, 5))
    async with running(Poller(fleet.fetch_one, fleet.fetch_page, schedule=FAST)) as poller:
        results = await wait_for_all(poller, ids)
    assert len(results) == 40 and all(result.state == "completed" for result in results)
    assert fleet.gets == 0
    assert fleet.lists <= 6, "five observations each, shared by all forty"


async def test_generations_missing_from_the_list_are_fetched_one_by_one() -> None:
    fleet = ScriptedFleet({"listed": 3, "old": 3}, listed={"listed"})
    async with running(Poller(fleet.fetch_one, fleet.fetch_page, schedule=FAST)) as poller:
        results = await wait_for_all(poller, ["listed", "old"])
    assert {result.state for result in results} == {"completed"}
    assert fleet.gets >= 3 and fleet.lists >= 1


async def test_a_failing_list_falls_back_to_single_gets() -> None:
    fleet = ScriptedFleet({"a": 2, "b": 2})
    fleet.list_error = ServerError("list is down", status_code=500, detail=None)
    async with running(Poller(fleet.fetch_one, fleet.fetch_page, schedule=FAST)) as poller:
        results = await wait_for_all(poller, ["a", "b"])
    assert {result.state for result in results} == {"completed"}
    assert fleet.gets == 4


async def test_a_conflict_while_polling_is_tried_again() -> None:
    luma = ScriptedLuma(APIStatusError("conflict", status_code=409, detail=None), "completed")
    async with running(Poller(luma.fetch, schedule=FAST)) as poller:
        assert (await poller.wait(queued(), timeout=5)).state == "completed"


async def test_a_hanging_look_at_one_generation_does_not_hold_up_another() -> None:
    """Both are due together; the slow one's hanging GET must not keep the fast one from its next looks."""
    looks = Counter[str]()

    async def fetch(generation_id: str) -> Generation:
        looks[generation_id] += 1
        if generation_id == "slow":
            await anyio.sleep(30)
        return Generation(id=generation_id, state="completed" if looks[generation_id] >= 3 else "dreaming")

    async with running(Poller(fetch, schedule=FAST)) as poller:
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(poller.wait, queued("slow"), timeout=60))
            with anyio.fail_after(2):
                assert (await poller.wait(queued("fast"), timeout=5)).state == "completed"
            group.cancel_scope.cancel()


async def test_an_older_generation_left_out_of_the_list_is_still_looked_at() -> None:
    """A generation that keeps riding along with a younger one, but is too old to be in the list, gets its GETs."""
    fleet = ScriptedFleet({"old": 10_000, "new": 10_000}, listed={"new"})
    schedule = PollSchedule(steps=((0.0, 0.05), (0.1, 0.09)), batch_slack=0.09)
    async with running(Poller(fleet.fetch_one, fleet.fetch_page, schedule=schedule)) as poller:
        async with poller.watch(queued("old")):
            await anyio.sleep(0.3)
            async with poller.watch(queued("new")):
                before = fleet.gets_of["old"]
                await anyio.sleep(1.0)
                assert fleet.gets_of["old"] - before >= 6, "about one look per 0.09 s interval"
