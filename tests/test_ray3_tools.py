"""Ray 3.2 through create_generation and get_generation: the model picks the API, and what a model or API lacks is
refused by name before anything is sent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import anyio
import pytest

from luma_mcp import Settings
from luma_mcp.accounts import account_of
from luma_mcp.emulator import Emulator, Fault
from luma_mcp.ledger import LEDGER_FILE, Ledger
from tests.helpers import connect, settings_for, text_of

pytestmark = pytest.mark.anyio

PROMPT = "a tiger walking in snow, slow dolly zoom"


def agents_settings(emulator: Emulator, tmp_path: Path, *, dream_machine: bool = False, **overrides: Any) -> Settings:
    """An Agents key (and a Dream Machine key if asked), with a ledger in the test's folder."""
    values: dict[str, Any] = {
        "agents_api_key": emulator.agents_api_key,
        "agents_base_url": emulator.agents_base_url,
        "state_dir": tmp_path / "state",
        **overrides,
    }
    if not dream_machine:
        values["api_key"] = None
    return settings_for(emulator, tmp_path, **values)


async def test_an_agents_key_makes_ray3_the_default_and_its_video_comes_back(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "aspect_ratio": "9:16"})
    assert not created.is_error, text_of(created)
    result = created.structured_content or {}
    assert (result["api"], result["model"], result["state"]) == ("agents", "ray-3.2", "completed")
    assert result["video_url"] and result["prompt"] == PROMPT
    [sent] = [request for request in emulator.requests if request.method == "POST"]
    assert sent.path == "/agents/v1/generations"
    assert sent.body == {
        "prompt": PROMPT,
        "model": "ray-3.2",
        "type": "video",
        "aspect_ratio": "9:16",
        "video": {"resolution": "720p", "duration": "5s"},
    }


async def test_a_ray3_generation_is_found_again_by_its_id_even_after_a_restart(
    emulator: Emulator, tmp_path: Path
) -> None:
    settings = agents_settings(emulator, tmp_path, dream_machine=True)
    async with connect(settings) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2", "wait": False})
    generation_id = (created.structured_content or {})["id"]
    emulator.agents.finish_now(generation_id)
    async with connect(settings) as client:  # a new process, the same ledger
        found = await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True})
    result = found.structured_content or {}
    assert (result["api"], result["state"], result["prompt"]) == ("agents", "completed", PROMPT)
    assert emulator.requests_for("GET", f"/generations/{generation_id}") == [], "never asked of Dream Machine"


async def test_with_both_keys_the_model_decides_the_api(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        ray2 = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-2", "wait": False})
        ray3 = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
    assert (ray2.structured_content or {})["api"] == "dream-machine"
    assert (ray3.structured_content or {})["api"] == "agents"
    posts = [request.path for request in emulator.requests if request.method == "POST"]
    assert posts == ["/generations/video", "/agents/v1/generations"]


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"resolution": "4k"}, r"resolution='4k' is not available on ray-3.2.*ray-2"),
        ({"duration": "9s"}, r"duration='9s' is not available on ray-3.2"),
        ({"aspect_ratio": "9:21"}, r"aspect_ratio='9:21' is not available on ray-3.2"),
        ({"concepts": ["dolly_zoom"]}, r"concepts is not offered on ray-3.2.*into the prompt"),
        ({"callback_url": "https://example.com/hook"}, r"callback_url is not offered on ray-3.2"),
        ({"duration": "10s", "start_image_url": "https://example.com/a.jpg"}, r"duration='10s' cannot be combined"),
        ({"duration": "10s", "hdr": True}, r"duration='10s' cannot be combined with hdr=true"),
        ({"duration": "10s", "loop": True}, r"duration='10s' cannot be combined with loop=true"),
        ({"loop": True, "hdr": True}, r"loop=true cannot be combined with hdr=true"),
        ({"loop": True, "end_image_url": "https://example.com/b.jpg"}, r"loop=true cannot be combined with end_image"),
        ({"hdr": True, "resolution": "540p"}, r"hdr=true cannot be combined with resolution='540p'.*720p or 1080p"),
        ({"hdr": True, "resolution": "360p"}, r"hdr=true cannot be combined with resolution='360p'"),
        ({"start_image_url": "http://example.com/a.jpg"}, r"start_image_url=.* is not an https URL"),
        ({"model": "ray-2", "hdr": True}, r"hdr is not offered on ray-2.*ray-3.2"),
        ({"model": "ray-flash-2", "resolution": "360p"}, r"resolution='360p' is not available on ray-flash-2"),
        ({"model": "ray-2", "duration": "10s"}, r"duration='10s' is not available on ray-2"),
    ],
)
async def test_what_a_model_lacks_is_refused_by_name_and_nothing_is_sent(
    emulator: Emulator, tmp_path: Path, arguments: dict[str, Any], says: str
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        refused = await client.call_tool("create_generation", {"prompt": PROMPT, **arguments})
    assert refused.is_error
    assert emulator.requests == []
    assert re.search(says, text_of(refused)), text_of(refused)


async def test_ray3_without_an_agents_key_says_which_key_unlocks_it(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        refused = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2"})
        default = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
    assert refused.is_error and "LUMA_AGENTS_API_KEY" in text_of(refused)
    assert "https://platform.lumalabs.ai" in text_of(refused)
    assert (default.structured_content or {})["model"] == "ray-2", "without an Agents key the default is ray-2"
    assert [request.path for request in emulator.requests if request.method == "POST"] == ["/generations/video"]


async def test_a_ray3_video_downloads_and_the_ledger_keeps_where(emulator: Emulator, tmp_path: Path) -> None:
    settings = agents_settings(emulator, tmp_path, dream_machine=True)
    async with connect(settings) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2"})
        generation_id = (created.structured_content or {})["id"]
        saved = await client.call_tool("download_generation", {"generation_id": generation_id})
    result = saved.structured_content or {}
    assert result["status"] == "saved" and Path(result["video_path"]).read_bytes()[4:8] == b"ftyp"
    ledger = Ledger.open(tmp_path / "state" / LEDGER_FILE)
    try:
        [entry] = await ledger.recent(account_of("agents", emulator.agents_api_key))
    finally:
        ledger.close()
    assert (entry.id, entry.state, entry.files) == (generation_id, "completed", [result["video_path"]])


async def test_one_list_of_both_apis_newest_first_and_an_agents_generation_is_forgotten_not_deleted(
    emulator: Emulator, tmp_path: Path
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        made = []
        for model in ("ray-2", "ray-3.2", "ray-2"):
            created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": model, "wait": False})
            made.append((created.structured_content or {})["id"])
        both = (await client.call_tool("list_generations", {})).structured_content or {}
        agents = (await client.call_tool("list_generations", {"api": "agents"})).structured_content or {}
        refused = await client.call_tool("delete_generation", {"generation_id": made[1]})
        forgotten = await client.call_tool("delete_generation", {"generation_id": made[1], "forget": True})
        after = (await client.call_tool("list_generations", {"api": "agents"})).structured_content or {}
    assert [(item["id"], item["api"]) for item in both["generations"]] == [
        (made[2], "dream-machine"),
        (made[1], "agents"),
        (made[0], "dream-machine"),
    ]
    assert [item["id"] for item in agents["generations"]] == [made[1]]
    assert refused.is_error and "offers no way to delete it" in text_of(refused)
    assert (forgotten.structured_content or {})["forgotten"] is True and after["generations"] == []
    assert emulator.agents.generation(made[1]) is not None, "still on Luma: the Agents API cannot delete"


async def test_the_agents_api_has_no_create_limit_here_unless_set(emulator: Emulator, tmp_path: Path) -> None:
    """Luma's Agents limits depend on the plan: the eleventh create goes out at once, where Dream Machine's Build
    tier would make it wait for a slot."""
    async with connect(agents_settings(emulator, tmp_path), limits=None) as client:
        for number in range(11):
            created = await client.call_tool("create_generation", {"prompt": f"{PROMPT} {number}", "wait": False})
            assert not created.is_error, text_of(created)
    assert len(emulator.requests_for("POST", "/agents/v1/generations")) == 11
    environ = {"LUMA_MCP_AGENTS_CREATES_PER_MINUTE": "30", "LUMA_MCP_AGENTS_MAX_IN_FLIGHT": "10"}
    settings = Settings.from_env(environ)
    assert (settings.agents_creates_per_minute, settings.agents_max_in_flight) == (30, 10)


async def test_a_lost_agents_create_is_kept_as_unknown_in_the_ledger(emulator: Emulator, tmp_path: Path) -> None:
    emulator.inject(Fault(drop=True, after_processing=True, path="/agents/v1/generations"))
    async with connect(agents_settings(emulator, tmp_path)) as client:
        lost = await client.call_tool("create_generation", {"prompt": PROMPT})
    assert lost.is_error and "may have started and been charged" in text_of(lost)
    ledger = Ledger.open(tmp_path / "state" / LEDGER_FILE)
    try:
        [unknown] = await ledger.unknown_creates(account_of("agents", emulator.agents_api_key))
    finally:
        ledger.close()
    assert (unknown.api, unknown.kind, unknown.model, unknown.request["prompt"]) == (
        "agents",
        "video",
        "ray-3.2",
        PROMPT,
    )
    assert len(emulator.requests_for("POST", "/agents/v1/generations")) == 1


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("upscale_generation", {}, "upscaling is offered only for Dream Machine generations"),
        ("add_audio", {"prompt": "wind and snow"}, "adding audio is offered only"),
    ],
)
async def test_a_dream_machine_tool_refuses_an_agents_generation_before_sending(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, Any], says: str
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2"})
        emulator.clear_requests()
        refused = await client.call_tool(tool, {"generation_id": (created.structured_content or {})["id"], **arguments})
    assert refused.is_error and says in text_of(refused), text_of(refused)
    assert emulator.requests == []


@pytest.mark.parametrize(("direction", "frame"), [("forward", "start_frame"), ("backward", "end_frame")])
async def test_a_ray3_video_extends_with_ray3_by_its_id(
    emulator: Emulator, tmp_path: Path, direction: str, frame: str
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2"})
        source = (created.structured_content or {})["id"]
        extended = await client.call_tool(
            "extend_generation", {"generation_id": source, "prompt": "and on it goes", "direction": direction}
        )
    result = extended.structured_content or {}
    assert not extended.is_error, text_of(extended)
    assert (result["api"], result["model"], result["state"]) == ("agents", "ray-3.2", "completed")
    sent = emulator.requests_for("POST", "/agents/v1/generations")[-1].body
    assert sent["video"] == {"resolution": "720p", "duration": "5s", frame: {"generation_id": source}}


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"model": "ray-2"}, r"was made with the Agents API.*model='ray-2' belongs to the other API"),
        ({"duration": "10s"}, r"duration='10s' cannot be combined with extending forward"),
        ({"to_generation_id": "00000000-0000-4000-8000-000000000000"}, r"to_generation_id is not offered on ray-3.2"),
        ({"image_url": "https://example.com/end.jpg"}, r"image_url is not offered on ray-3.2"),
        ({"direction": "backward", "loop": True}, r"loop=true cannot be combined with extending backward"),
    ],
)
async def test_extending_a_ray3_video_refuses_what_ray3_cannot_do(
    emulator: Emulator, tmp_path: Path, arguments: dict[str, Any], says: str
) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2"})
        emulator.clear_requests()
        source = (created.structured_content or {})["id"]
        refused = await client.call_tool("extend_generation", {"generation_id": source, "prompt": "more", **arguments})
    assert refused.is_error and re.search(says, text_of(refused)), text_of(refused)
    assert emulator.requests == []


async def test_a_ray2_video_is_not_extended_with_ray3(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-2"})
        emulator.clear_requests()
        source = (created.structured_content or {})["id"]
        refused = await client.call_tool(
            "extend_generation", {"generation_id": source, "prompt": "more", "model": "ray-3.2"}
        )
    assert refused.is_error and "was made with the Dream Machine API" in text_of(refused)
    assert emulator.requests == []


async def test_an_unusable_state_folder_leaves_the_server_working_without_a_ledger(
    emulator: Emulator, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    async with connect(agents_settings(emulator, tmp_path, state_dir=blocked / "state")) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT})
        listed = await client.call_tool("list_generations", {})
    assert not created.is_error and not listed.is_error, text_of(created) + text_of(listed)
    assert (created.structured_content or {})["state"] == "completed"


async def test_without_a_ledger_an_agents_id_is_still_found_and_extended_by_asking_each_api(
    emulator: Emulator, tmp_path: Path
) -> None:
    settings = agents_settings(emulator, tmp_path, dream_machine=True, state_dir=None)
    async with connect(settings) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2", "wait": False})
    generation_id = (created.structured_content or {})["id"]
    emulator.agents.finish_now(generation_id)
    async with connect(settings) as client:  # a new process: nothing remembers which API made it
        found = await client.call_tool("get_generation", {"generation_id": generation_id})
        saved = await client.call_tool("download_generation", {"generation_id": generation_id})
        extended = await client.call_tool("extend_generation", {"generation_id": generation_id, "prompt": PROMPT})
    assert (found.structured_content or {})["api"] == "agents", text_of(found)
    assert (saved.structured_content or {})["status"] == "saved", text_of(saved)
    assert (extended.structured_content or {})["api"] == "agents", text_of(extended)


async def test_the_ledger_keeps_what_a_lookup_saw(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
        generation_id = (created.structured_content or {})["id"]
        emulator.agents.finish_now(generation_id)
        looked = await client.call_tool("get_generation", {"generation_id": generation_id})
        listed = await client.call_tool("list_generations", {"api": "agents"})
    assert (looked.structured_content or {})["state"] == "completed"
    assert [item["state"] for item in (listed.structured_content or {})["generations"]] == ["completed"]


async def test_forgetting_an_id_the_ledger_never_held_says_so(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        forgotten = await client.call_tool(
            "delete_generation", {"generation_id": "00000000-0000-4000-8000-000000000000", "forget": True}
        )
    assert (forgotten.structured_content or {})["forgotten"] is False


async def test_the_merged_list_pages_exactly(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        made = []
        for model in ("ray-2", "ray-3.2", "ray-2", "ray-3.2"):
            created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": model, "wait": False})
            made.append((created.structured_content or {})["id"])
        pages = {}
        for offset in (0, 2, 3):
            listed = (await client.call_tool("list_generations", {"limit": 2, "offset": offset})).structured_content
            assert listed is not None
            pages[offset] = ([item["id"] for item in listed["generations"]], listed["has_more"])
        recent = await client.read_resource("luma://generations")
    newest_first = made[::-1]
    assert pages == {0: (newest_first[:2], True), 2: (newest_first[2:], False), 3: (newest_first[3:], False)}
    listed_in_resource = [item["id"] for item in json.loads(getattr(recent.contents[0], "text", ""))]
    assert listed_in_resource == newest_first, "the recent-generations resource lists both APIs too"


@pytest.mark.parametrize(
    ("arguments", "video"),
    [
        ({"hdr": True, "resolution": "1080p"}, {"resolution": "1080p", "duration": "5s", "hdr": True}),
        ({"duration": "10s", "resolution": "360p"}, {"resolution": "360p", "duration": "10s"}),
        (
            {"loop": True, "start_image_url": "https://example.com/a.jpg"},
            {"resolution": "720p", "duration": "5s", "loop": True, "start_frame": {"url": "https://example.com/a.jpg"}},
        ),
    ],
)
async def test_what_ray3_allows_is_sent_as_luma_expects_it(
    emulator: Emulator, tmp_path: Path, arguments: dict[str, Any], video: dict[str, Any]
) -> None:
    async with connect(agents_settings(emulator, tmp_path)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False, **arguments})
    assert not created.is_error, text_of(created)
    assert emulator.requests_for("POST", "/agents/v1/generations")[0].body["video"] == video


async def test_list_models_says_what_the_keys_allow_with_options_and_prices(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        dream_only = (await client.call_tool("list_models", {})).structured_content or {}
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        both = (await client.call_tool("list_models", {})).structured_content or {}
    by_name = {model["name"]: model for model in dream_only["models"]}
    assert dream_only["default_video_model"] == "ray-2" and both["default_video_model"] == "ray-3.2"
    assert [by_name[name]["available"] for name in ("ray-3.2", "ray-2", "ray-flash-2")] == [False, True, True]
    assert "LUMA_AGENTS_API_KEY" in by_name["ray-3.2"]["key_needed"]
    assert all(model["available"] and model["key_needed"] is None for model in both["models"])
    assert by_name["ray-3.2"]["prices_usd"]["5s 720p"] == 0.30 and by_name["ray-3.2"]["api"] == "agents"
    assert by_name["ray-2"]["options"]["duration"] == ["5s", "9s"] and "estimate" in by_name["ray-2"]["price_source"]
    assert emulator.requests == [], "answered from what the server knows: nothing asked of Luma"


async def test_with_an_agents_key_alone_a_listener_hears_its_ray3_video_finish(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Subscriptions act on the Agents account when it is the only one (they used to ask for a Dream Machine key)."""
    heard: list[str] = []
    async with connect(agents_settings(emulator, tmp_path)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
        generation_id = (created.structured_content or {})["id"]
        uri = f"luma://generations/{generation_id}"
        async with client.listen(resource_subscriptions=[uri]) as subscription:
            emulator.agents.finish_now(generation_id)
            with anyio.fail_after(10):
                async for event in subscription:
                    heard.append(getattr(event, "uri", ""))
                    break
        read = await client.read_resource(uri)
    assert heard == [uri]
    assert json.loads(getattr(read.contents[0], "text", ""))["state"] == "completed"


async def test_get_credits_says_what_this_server_spent_on_each_api(emulator: Emulator, tmp_path: Path) -> None:
    """ray-3.2 5 s 720p is $0.30 and uni-1 $0.0404 (Luma's prices); ray-2 5 s 720p $1.02 (an estimate); a failed
    ray-3.2 video is refunded, so not counted."""
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        for arguments in ({"model": "ray-3.2"}, {"model": "ray-2"}):
            made = await client.call_tool("create_generation", {"prompt": PROMPT, **arguments})
            assert not made.is_error, text_of(made)
        assert not (await client.call_tool("generate_image", {"prompt": PROMPT})).is_error
        emulator.agents.plan_next(failure_code="generation_failed")
        assert (await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2"})).is_error
        both = (await client.call_tool("get_credits", {})).structured_content or {}
    spent = {entry["api"]: entry for entry in both["spent"]}
    assert both["credit_balance_cents"] > 0 and both["balance_note"] is None
    assert (spent["agents"]["today_usd"], spent["agents"]["total_usd"]) == (0.3404, 0.3404)
    assert (spent["agents"]["generations_total"], spent["agents"]["unpriced"]) == (2, 0)
    assert (spent["dream-machine"]["total_usd"], spent["dream-machine"]["generations_today"]) == (1.02, 1)
    async with connect(agents_settings(emulator, tmp_path)) as client:  # the Agents key alone
        alone = (await client.call_tool("get_credits", {})).structured_content or {}
    assert alone["credit_balance_cents"] is None and "no balance endpoint" in alone["balance_note"]
    assert [entry["api"] for entry in alone["spent"]] == ["agents"]
    assert emulator.requests_for("GET", "/agents/v1/credits") == []
