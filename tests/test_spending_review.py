"""The daily spending cap's holds, the Dream Machine modify's price by its source's pixels, and what a create's
result says it cost, attacked: each test here was a way past the cap or a figure that disagreed with the ledger, fixed
since."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import anyio
import httpx
import pytest
from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher

from luma_mcp import Settings, account
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator
from luma_mcp.ledger import Ledger
from luma_mcp.tools import account as account_tools

from .helpers import connect, eventually, profiled, settings_for, text_of
from .test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

PROMPT = "moonlit 35mm film footage"
CLIP = "https://example.com/clip.mp4"
MODIFY = "/generations/video/modify"
RAY2 = {"prompt": "a lighthouse at dusk, slow push in", "model": "ray-2", "resolution": "720p", "duration": "5s"}


def guarded(emulator: Emulator, tmp_path: Path, **overrides: Any) -> Settings:
    return settings_for(emulator, tmp_path, state_dir=tmp_path / "state", **overrides)


def posts(emulator: Emulator, path: str = "/generations/*") -> int:
    return len(emulator.requests_for("POST", path))


def holds(tmp_path: Path) -> list[float]:
    with sqlite3.connect(tmp_path / "state" / "ledger.sqlite3") as db:
        return [usd for (usd,) in db.execute("SELECT counted_usd FROM holds")]


def ledger_rows(tmp_path: Path) -> list[tuple[str, float | None]]:
    with sqlite3.connect(tmp_path / "state" / "ledger.sqlite3") as db:
        return list(db.execute("SELECT kind, estimated_cost_usd FROM generations ORDER BY created_at"))


async def test_a_url_modify_keeps_counting_as_its_longest_source_once_it_is_written(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A source named by URL counts as the largest video Ray 2 makes, as long as ray-2 takes (10 s of 4k at 21:9,
    $41.33), in its hold and in its row: with a $50 cap only one may be sent."""
    async with connect(guarded(emulator, tmp_path, max_spend_usd=50.0)) as client:
        first = await client.call_tool("edit_video", {"video": CLIP, "prompt": PROMPT, "model": "ray-2"})
        assert not first.is_error, text_of(first)
        second = await client.call_tool("edit_video", {"video": CLIP, "prompt": PROMPT, "model": "ray-2"})
        credits = await client.call_tool("get_credits", {})
    assert second.is_error, f"sent: today counted as {(credits.structured_content or {})['spent']}"
    assert posts(emulator, MODIFY) == 1


async def test_a_4k_video_modified_by_its_url_counts_at_least_what_its_id_does(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(guarded(emulator, tmp_path, max_spend_usd=20.0)) as client:
        made = await client.call_tool("create_generation", {**RAY2, "resolution": "4k"})  # $9.11
        assert not made.is_error, text_of(made)
        video = made.structured_content or {}
        by_id = await client.call_tool("edit_video", {"video": video["id"], "prompt": PROMPT})
        assert by_id.is_error and "estimated at $15.75" in text_of(by_id), text_of(by_id)  # 9.11 + 15.75 > 20
        by_url = await client.call_tool("edit_video", {"video": video["video_url"], "prompt": PROMPT, "model": "ray-2"})
    assert by_url.is_error, "the same 4k source, named by URL, was counted at $7.87 and sent"
    assert posts(emulator, MODIFY) == 0


async def test_a_modify_costs_the_same_when_looked_at_again(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(guarded(emulator, tmp_path)) as client:
        made = await client.call_tool("create_generation", {**RAY2, "resolution": "1080p", "duration": "9s"})  # $4.10
        source = (made.structured_content or {})["id"]
        edited = await client.call_tool("edit_video", {"video": source, "prompt": PROMPT, "wait": False})
        created = edited.structured_content or {}
        looked = await client.call_tool("get_generation", {"generation_id": created["id"], "wait": True})
    assert created["estimated_cost_usd"] == 7.09
    assert ("modify_video", 7.09) in ledger_rows(tmp_path)
    assert (looked.structured_content or {})["estimated_cost_usd"] == 7.09


async def test_get_credits_figures_add_up_when_a_create_counts_as_its_hold(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(guarded(emulator, tmp_path, max_spend_usd=5.0)) as client:
        with sqlite3.connect(tmp_path / "state" / "ledger.sqlite3") as db:
            db.execute(
                "CREATE TRIGGER no_room BEFORE INSERT ON generations BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        made = await client.call_tool("create_generation", RAY2)  # $1.02, taken by Luma
        assert not made.is_error, text_of(made)
        credits = await client.call_tool("get_credits", {})
    [spent] = (credits.structured_content or {})["spent"]
    assert spent["left_today_usd"] == 3.98  # the cap counts it
    assert spent["today_usd"] == 1.02, spent


async def test_a_create_cancelled_while_its_hold_is_written_is_not_counted(emulator: Emulator, tmp_path: Path) -> None:
    hold_code = Ledger.hold.__code__
    notification_code = JSONRPCDispatcher._dispatch_notification.__code__
    seen: dict[str, Any] = {}

    def hook(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is hold_code:
            seen["ledger"] = frame.f_locals["self"]
        elif event == "return" and frame.f_code is notification_code:
            if frame.f_locals["msg"].method == "notifications/cancelled":
                seen["cancel applied"] = True  # the server has cancelled the call's scope

    def holding() -> bool:
        """The hold's transaction is on its worker thread (the ledger's one slot is taken), where it waits for
        the write lock this test has, shielded from cancellation."""
        ledger = seen.get("ledger")
        return ledger is not None and ledger._one_at_a_time.statistics().borrowed_tokens == 1

    # A 2025-era client: its call, cancelled, sends notifications/cancelled at once.
    async with connect(guarded(emulator, tmp_path, max_spend_usd=5.0), mode="legacy") as client:
        other_process = sqlite3.connect(tmp_path / "state" / "ledger.sqlite3", isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")  # another server writing (within the ledger's 1 s busy timeout)
        try:
            with profiled(hook):
                async with anyio.create_task_group() as call:
                    call.start_soon(client.call_tool, "create_generation", RAY2)
                    await eventually(holding, timeout=5)
                    call.cancel_scope.cancel()  # the user stops the call: the client sends notifications/cancelled
                await eventually(lambda: "cancel applied" in seen, timeout=5)
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
    # The server has closed: the cancelled call has ended.
    assert posts(emulator) == 0, "nothing was sent"
    assert holds(tmp_path) == [], "so nothing stays held"


async def test_a_create_held_before_midnight_and_sent_after_it_counts_when_the_new_day_is_judged(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One generation in flight at a time, so a create waits here for its slot, held; midnight UTC comes (the day's
    start, read by the guard and get_credits, moves to now), and another create is judged for the new day."""
    flash = {**RAY2, "model": "ray-flash-2", "resolution": "540p", "wait": False}  # $0.20
    one_at_a_time = CreateLimits(per_window=20, max_in_flight=1)
    results: dict[str, Any] = {}
    async with connect(guarded(emulator, tmp_path, max_spend_usd=1.5), limits=one_at_a_time) as client:
        emulator.plan_next(dreaming_seconds=60)
        running = await client.call_tool("create_generation", flash)
        assert not running.is_error, text_of(running)

        async def create(name: str) -> None:
            results[name] = await client.call_tool("create_generation", {**RAY2, "wait": False})  # $1.02

        async with anyio.create_task_group() as calls:
            calls.start_soon(create, "before midnight")  # $1.22 today: fits, held, waits for the slot
            await eventually(lambda: holds(tmp_path) == [1.02])
            midnight = datetime.now(UTC) + timedelta(milliseconds=2)  # after the hold's millisecond
            for module in (account, account_tools):
                monkeypatch.setattr(module, "start_of_today", lambda: midnight)
            await eventually(lambda: datetime.now(UTC) > midnight)
            calls.start_soon(create, "after midnight")
            await eventually(lambda: "after midnight" in results or len(holds(tmp_path)) == 2)
            emulator.finish_now((running.structured_content or {})["id"])
        credits = await client.call_tool("get_credits", {})
    assert not results["before midnight"].is_error, text_of(results["before midnight"])
    [spent] = (credits.structured_content or {})["spent"]
    assert spent["today_usd"] <= 1.5, f"the new day's cap is passed: {spent}"


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("edit_image", {"prompt": PROMPT, "model": "uni-1"}), ("split_image_layers", {})],
)
async def test_a_video_is_refused_as_the_image_a_uni1_tool_changes(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, str]
) -> None:
    async with httpx.AsyncClient(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
    ) as elsewhere:
        made = await elsewhere.post("/generations/video", json={"prompt": "a fox in snow", "model": "ray-2"})
    video_id = made.json()["id"]
    emulator.finish_now(video_id)
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        edited = await client.call_tool(tool, {**arguments, "image": video_id})
    sent = [request.body for request in emulator.requests_for("POST", "/agents/v1/generations")]
    assert sent == [], "the video's thumbnail was sent to Uni-1 to be edited (the emulator cannot fetch it; Luma can)"
    assert edited.is_error  # refused here, by name, as a Photon tool refuses it
