"""The spending guard: a daily cap per account refuses a create before it is sent, a create above a set cost is
confirmed by the user where the client can ask (in either protocol era), and every paid tool says what it costs.
Prices: ray-2 5 s 720p $1.02 and ray-flash-2 5 s 540p $0.20 (a third party's table); a Dream Machine upscale has no
known price, so it counts at $16.40, the dearest Dream Machine video (ray-2 9 s 4k)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.types import INTERNAL_ERROR, CallToolResult, ElicitRequestParams, ElicitResult, ErrorData

from luma_mcp import Settings
from luma_mcp.emulator import Emulator, Fault
from luma_mcp.errors import ConfigurationError
from luma_mcp.tools import PAID_TOOLS

from .helpers import connect, settings_for, text_of
from .test_end_to_end import http_server, server_env

pytestmark = pytest.mark.anyio

PROMPT = "a lighthouse at dusk, slow push in"
RAY2 = {"prompt": PROMPT, "model": "ray-2", "resolution": "720p", "duration": "5s"}
ERAS = {"legacy": "2025-11-25", "auto": "2026-07-28"}
"""The 2025 era (an elicitation request in the middle of the call) and the 2026 era (an input-required result)."""


def guarded(emulator: Emulator, tmp_path: Path, **overrides: Any) -> Settings:
    return settings_for(emulator, tmp_path, state_dir=tmp_path / "state", **overrides)


def creates(emulator: Emulator) -> int:
    """Creates sent to Luma: every POST (videos, upscales) is one."""
    return len([request for request in emulator.requests if request.method == "POST"])


class Answers:
    """A user who answers every confirmation with `action`, and what they were asked."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.asked: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(getattr(params, "message", ""))
        return ElicitResult(action=self.action, content={} if self.action == "accept" else None)  # type: ignore[arg-type]


async def test_a_create_that_would_pass_the_daily_cap_is_refused_before_it_is_sent(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(guarded(emulator, tmp_path, max_spend_usd=1.5)) as client:
        first = await client.call_tool("create_generation", RAY2)
        assert not first.is_error, text_of(first)
        assert creates(emulator) == 1
        second = await client.call_tool("create_generation", RAY2)
        cheap = await client.call_tool(
            "create_generation", {**RAY2, "model": "ray-flash-2", "resolution": "540p"}
        )  # $0.20: still within the cap
    assert second.is_error
    message = text_of(second)
    assert "Today (UTC) this server has spent $1.02 on the dream-machine API" in message
    assert "the cap (LUMA_MCP_MAX_SPEND_USD) is $1.50 a day" in message
    assert "this create is estimated at $1.02" in message
    assert "Nothing was sent to Luma" in message
    assert not cheap.is_error, text_of(cheap)
    assert creates(emulator) == 2


async def test_creates_sent_at_once_cannot_pass_the_cap_between_them(emulator: Emulator, tmp_path: Path) -> None:
    """Neither is in the ledger while the other is checked: the one checked second counts the first as spent."""
    results: list[CallToolResult] = []
    async with connect(guarded(emulator, tmp_path, max_spend_usd=1.5)) as client:

        async def create() -> None:
            results.append(await client.call_tool("create_generation", RAY2))

        async with anyio.create_task_group() as calls:
            calls.start_soon(create)
            calls.start_soon(create)
    assert sorted(result.is_error for result in results) == [False, True]
    refused = next(text_of(result) for result in results if result.is_error)
    assert "has spent $1.02" in refused and "is $1.50 a day" in refused
    assert creates(emulator) == 1


async def test_a_create_of_no_known_price_counts_at_the_dearest_price_of_its_api(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(guarded(emulator, tmp_path, max_spend_usd=10.0)) as client:
        made = await client.call_tool("create_generation", {**RAY2, "model": "ray-flash-2", "resolution": "540p"})
        assert not made.is_error, text_of(made)
        upscale = await client.call_tool("upscale_generation", {"generation_id": (made.structured_content or {})["id"]})
    assert upscale.is_error
    message = text_of(upscale)
    assert "this create is of no known price (Luma publishes no price for upscale on the dream-machine API)" in message
    assert "so counted at $16.40, the highest known price on the dream-machine API" in message
    assert "has spent $0.20" in message
    assert creates(emulator) == 1


async def test_a_cap_without_a_ledger_refuses_every_paid_create(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path, max_spend_usd=100.0)) as client:
        refused = await client.call_tool("create_generation", RAY2)
        credits = (await client.call_tool("get_credits", {})).structured_content or {}
    assert refused.is_error
    assert "a daily spending cap is set (LUMA_MCP_MAX_SPEND_USD, $100.00) but this server keeps no ledger" in text_of(
        refused
    )
    assert creates(emulator) == 0
    assert credits["max_spend_usd_per_day"] == 100.0 and "makes nothing that costs money" in credits["spent_note"]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_create_above_the_confirmation_cost_is_sent_once_the_user_accepts(
    emulator: Emulator, tmp_path: Path, mode: str
) -> None:
    user = Answers("accept")
    settings = guarded(emulator, tmp_path, confirm_above_usd=0.5)
    async with connect(settings, elicitation_callback=user, mode=mode) as client:
        assert client.protocol_version == ERAS[mode]
        cheap = await client.call_tool("create_generation", {**RAY2, "model": "ray-flash-2", "resolution": "540p"})
        assert user.asked == []  # $0.20: not asked
        made = await client.call_tool("create_generation", RAY2)
    assert not cheap.is_error and not made.is_error, text_of(made)
    assert (made.structured_content or {})["state"] == "completed"
    [asked] = user.asked
    assert (
        f'Create a video on ray-2 ("{PROMPT}")? It is estimated at $1.02, above the $0.50 set to be confirmed' in asked
    )
    assert creates(emulator) == 2


@pytest.mark.parametrize(("mode", "action"), [(mode, action) for mode in ERAS for action in ("decline", "cancel")])
async def test_a_create_the_user_declines_sends_nothing_and_is_not_an_error(
    emulator: Emulator, tmp_path: Path, mode: str, action: str
) -> None:
    user = Answers(action)
    settings = guarded(emulator, tmp_path, confirm_above_usd=0.5)
    async with connect(settings, elicitation_callback=user, mode=mode) as client:
        assert client.protocol_version == ERAS[mode]
        declined = await client.call_tool("create_generation", RAY2)
    assert not declined.is_error
    assert text_of(declined).startswith("Not created: the user declined it (estimated at $1.02). Nothing was sent")
    result = declined.structured_content or {}
    assert (result["state"], result["id"], result["estimated_cost_usd"]) == ("declined", "", 1.02)
    assert len(user.asked) == 1
    assert emulator.requests == []


async def test_a_client_that_cannot_ask_has_the_create_sent_and_its_cost_stated(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(guarded(emulator, tmp_path, confirm_above_usd=0.5)) as client:
        made = await client.call_tool("create_generation", {**RAY2, "wait": False})
    assert not made.is_error
    assert (
        "This client cannot ask the user to confirm costs, so it was created unconfirmed: it is estimated at $1.02"
        in (text_of(made))
    )
    assert creates(emulator) == 1


async def test_get_credits_shows_the_cap_and_what_is_left_today(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(guarded(emulator, tmp_path, max_spend_usd=5.0)) as client:
        assert not (await client.call_tool("create_generation", RAY2)).is_error
        credits = (await client.call_tool("get_credits", {})).structured_content or {}
    assert credits["max_spend_usd_per_day"] == 5.0
    [spent] = credits["spent"]
    assert (spent["today_usd"], spent["left_today_usd"]) == (1.02, 3.98)


async def test_every_paid_tool_says_its_results_carry_the_estimated_cost(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        tools = (await client.list_tools()).tools
    paid = {tool.name: tool.description or "" for tool in tools if tool.name in PAID_TOOLS}
    assert len(paid) == len(PAID_TOOLS) >= 8
    assert [name for name, description in paid.items() if "estimated_cost_usd" not in description] == []


def test_the_spending_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env({"LUMA_MCP_MAX_SPEND_USD": "20", "LUMA_MCP_CONFIRM_ABOVE_USD": "$2.50"})
    assert (settings.max_spend_usd, settings.confirm_above_usd) == (20.0, 2.5)
    assert (Settings.from_env({}).max_spend_usd, Settings.from_env({}).confirm_above_usd) == (None, None)
    for bad in ("-1", "lots", "nan"):
        with pytest.raises(ConfigurationError, match=f"LUMA_MCP_MAX_SPEND_USD must be an amount in US dollars.*{bad}"):
            Settings.from_env({"LUMA_MCP_MAX_SPEND_USD": bad})


async def test_a_user_who_does_not_answer_in_time_gets_nothing_sent(emulator: Emulator, tmp_path: Path) -> None:
    """A 2025-era question is awaited within the call's time limit: a late answer ends the call saying nothing was
    sent, not cut off with the create's outcome unknown."""

    async def slow_user(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        await anyio.sleep(3)
        return ElicitResult(action="accept", content={})

    settings = guarded(emulator, tmp_path, confirm_above_usd=0.5, max_wait=0.5)
    async with connect(settings, elicitation_callback=slow_user, mode="legacy") as client:
        unanswered = await client.call_tool("create_generation", RAY2)
    assert not unanswered.is_error, text_of(unanswered)
    assert text_of(unanswered).startswith("Not created: no answer came from the user in time whether to spend on it")
    assert (unanswered.structured_content or {})["state"] == "unanswered"
    assert emulator.requests == []


async def test_a_client_that_fails_to_ask_gets_nothing_sent(emulator: Emulator, tmp_path: Path) -> None:
    """A client that declared it can ask, then answers the question with an error: nothing is spent unasked."""

    async def broken(context: ClientRequestContext, params: ElicitRequestParams) -> ErrorData:
        return ErrorData(code=INTERNAL_ERROR, message="the form could not be shown")

    settings = guarded(emulator, tmp_path, confirm_above_usd=0.5)
    async with connect(settings, elicitation_callback=broken, mode="legacy") as client:
        result = await client.call_tool("create_generation", RAY2)
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith("Not created: no answer came from the user")
    assert (result.structured_content or {})["state"] == "unanswered"
    assert emulator.requests == []


async def test_the_user_is_asked_over_streamable_http_in_both_eras(emulator: Emulator, tmp_path: Path) -> None:
    """The server run as users run it: the 2025-era question travels on the call's stream, the 2026-era one as an
    input-required result that the client answers in a second request."""
    env = server_env(emulator, tmp_path / "out", LUMA_MCP_CONFIRM_ABOVE_USD="0.5", LUMA_MCP_STATE_DIR=str(tmp_path))
    async with http_server("streamable-http", env, tmp_path / "server.log") as url:
        for mode, version in ERAS.items():
            no, yes = Answers("decline"), Answers("accept")
            async with Client(f"{url}/mcp", elicitation_callback=no, mode=mode) as client:
                assert client.protocol_version == version
                declined = await client.call_tool("create_generation", {**RAY2, "wait": False})
            assert not declined.is_error and (declined.structured_content or {})["state"] == "declined", mode
            assert creates(emulator) == 0
            async with Client(f"{url}/mcp", elicitation_callback=yes, mode=mode) as client:
                made = await client.call_tool("create_generation", {**RAY2, "wait": False})
            assert not made.is_error and (made.structured_content or {})["state"] == "queued", text_of(made)
            assert len(no.asked) == len(yes.asked) == 1 and "estimated at $1.02" in yes.asked[0]
            assert creates(emulator) == 1
            emulator.clear_requests()


def holds(tmp_path: Path) -> list[float]:
    """The creates held against the cap in the ledger right now."""
    with sqlite3.connect(tmp_path / "state" / "ledger.sqlite3") as db:
        return [usd for (usd,) in db.execute("SELECT counted_usd FROM holds")]


async def test_a_create_luma_refuses_stops_counting_and_one_it_took_is_counted_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.inject(Fault(status=400, method="POST", path="/generations/video", detail="prompt is not allowed"))
    async with connect(guarded(emulator, tmp_path, max_spend_usd=1.5)) as client:
        refused = await client.call_tool("create_generation", RAY2)
        assert refused.is_error
        assert holds(tmp_path) == []
        made = await client.call_tool("create_generation", RAY2)  # $1.02: fits only if the refused one cost nothing
        assert not made.is_error, text_of(made)
        assert holds(tmp_path) == []  # its hold became its row
        credits = await client.call_tool("get_credits", {})
    spent = (credits.structured_content or {})["spent"][0]
    assert spent["left_today_usd"] == 0.48
    assert creates(emulator) == 2


async def test_a_cap_the_ledger_cannot_keep_refuses_the_create_saying_why(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(guarded(emulator, tmp_path, max_spend_usd=5.0)) as client:
        with sqlite3.connect(tmp_path / "state" / "ledger.sqlite3") as db:
            db.execute("CREATE TRIGGER no_room BEFORE INSERT ON holds BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        result = await client.call_tool("create_generation", RAY2)
    assert result.is_error
    assert "ledger could not be used to keep it (IntegrityError)" in text_of(result)
    assert creates(emulator) == 0
