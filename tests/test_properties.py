"""Property-based tests (hypothesis) over every tool's arguments, through the MCP client, against the emulator.

Claims: arbitrary arguments never crash the server; an argument that is invalid by construction is refused with
a message naming it and nothing reaches Luma; valid arguments are never refused locally; valid unicode prompts
reach Luma unchanged (stripped); unknown argument keys are ignored.

Each test opens one emulator and one client, then runs its hypothesis examples against them: the `@given`
function runs in a worker thread (`anyio.to_thread.run_sync`) and makes each call on the test's event loop with
`anyio.from_thread.run`, so an example costs a tool call rather than a server start.
"""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import anyio
import anyio.from_thread
import anyio.to_thread
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult

from luma_mcp.admission import CreateLimits
from luma_mcp.agents_wire import EditStrength
from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator
from luma_mcp.lineup import LINEUP
from luma_mcp.models import ASPECT_RATIOS, DURATIONS, MODELS, RESOLUTIONS
from tests.helpers import connect, settings_for, text_of

pytestmark = pytest.mark.anyio

# Generations finish at once and credit never runs out, so valid calls that wait or pay stay fast and succeed.
INSTANT = EmulatorConfig(queued_seconds=0.0, dreaming_seconds=0.0, initial_credit_cents=1e15)
UNLIMITED = CreateLimits(per_window=0, max_in_flight=0)  # our own create queue must not make examples wait either
# database=None: nothing is written to .hypothesis/ in the repository.
FEW = settings(max_examples=40, deadline=None, database=None)
SOME = settings(max_examples=60, deadline=None, database=None)
MANY = settings(max_examples=100, deadline=None, database=None)

REFRAME_GEOMETRY = (
    "grid_position_x",
    "grid_position_y",
    "x_start",
    "x_end",
    "y_start",
    "y_end",
    "resized_width",
    "resized_height",
)
PARAMETERS: dict[str, tuple[str, ...]] = {
    "create_generation": (
        "prompt",
        "model",
        "resolution",
        "duration",
        "aspect_ratio",
        "loop",
        "hdr",
        "start_image_url",
        "end_image_url",
        "keyframes",
        "concepts",
        "callback_url",
        "wait",
    ),
    "extend_generation": (
        "generation_id",
        "prompt",
        "direction",
        "image_url",
        "to_generation_id",
        "model",
        "resolution",
        "duration",
        "aspect_ratio",
        "loop",
        "wait",
    ),
    "get_generation": ("generation_id", "wait"),
    "list_generations": ("limit", "offset", "api"),
    "delete_generation": ("generation_id", "forget"),
    "list_models": (),
    "list_concepts": (),
    "list_camera_motions": (),
    "download_generation": ("generation_id", "directory"),
    "upscale_generation": ("generation_id", "resolution", "wait"),
    "add_audio": ("generation_id", "prompt", "negative_prompt", "wait"),
    "get_credits": (),
    "generate_image": ("prompt", "model", "aspect_ratio", "image_refs", "style", "output_format", "wait"),
    "edit_image": ("image", "prompt", "model", "image_refs", "wait"),
    "split_image_layers": ("image", "prompt", "resolution", "wait"),
    "edit_video": ("video", "prompt", "model", "strength", "first_frame", "wait"),
    "reframe_video": (
        "video",
        "aspect_ratio",
        "prompt",
        "model",
        "resolution",
        "first_frame",
        *REFRAME_GEOMETRY,
        "wait",
    ),
    "reframe_image": ("image", "aspect_ratio", "prompt", "model", "output_format", *REFRAME_GEOMETRY, "wait"),
}
TOOLS = tuple(PARAMETERS)
AGENTS_ONLY = ("generate_image", "edit_image", "split_image_layers")
"""Tools these servers (a Dream Machine key only) refuse for want of an Agents key: they are checked for crashes
and unknown keys here, and their own refusals in tests/test_image_tools.py and tests/test_edit_tools.py."""
EDITS = ("edit_video", "reframe_video", "reframe_image")
"""Tools that change a video or image at a URL: checked for crashes and unknown keys here, and their refusals and
bodies in tests/test_dream_machine_edits.py and tests/test_edit_tools.py."""
ASKING_LUMA = tuple(tool for tool in TOOLS if tool != "list_models" and tool not in (*AGENTS_ONLY, *EDITS))
"""list_models answers from what the server knows, without a request."""
TOOLS_WITH_ARGUMENTS = tuple(tool for tool, names in PARAMETERS.items() if names and tool not in (*AGENTS_ONLY, *EDITS))
SDK_LOGGER = logging.getLogger("mcp.server.mcpserver.server")
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LOOPBACK_CALLBACK = "http://127.0.0.1:9/luma-callback"  # the discard port: refused at once, never leaves the host


# --- The server under test, shared by all examples of one test -------------------------------------------------


class _Crashes(logging.Handler):
    """Collects what the SDK logs when a tool raises something other than a deliberate tool error."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Live:
    """One emulator and one connected client, driven from hypothesis's worker thread."""

    client: Client
    emulator: Emulator
    crashes: _Crashes
    completed_id: str = ""
    tool_names: set[str] = field(default_factory=set)

    def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        self.crashes.records.clear()
        return anyio.from_thread.run(self.client.call_tool, tool, arguments)

    def assert_still_answers(self) -> None:
        """A cheap round trip through the whole server (ping is gone from the current protocol version)."""
        result = self.call("list_generations", {"limit": 0})
        assert result.is_error and names(text_of(result), "limit"), text_of(result)

    def assert_answered(self, tool: str, result: CallToolResult) -> None:
        """The call came back as a tool result: a success with structured content or an error with its reason."""
        assert isinstance(result, CallToolResult)
        crashed = [record.exc_info[1] if record.exc_info else record.getMessage() for record in self.crashes.records]
        assert not crashed, f"{tool} crashed: {crashed[0]!r}"
        text = text_of(result)
        assert not text.startswith(f"Error executing tool {tool}"), text
        if result.is_error:
            assert text.strip(), "an error without a reason"
        else:
            assert result.structured_content is not None, text


@asynccontextmanager
async def live_server(tmp_path: Path) -> AsyncIterator[Live]:
    crashes = _Crashes()
    SDK_LOGGER.addHandler(crashes)
    try:
        async with (
            run_emulator(INSTANT) as emulator,
            connect(settings_for(emulator, tmp_path / "videos"), limits=UNLIMITED) as client,
        ):
            live = Live(client, emulator, crashes)
            made = await client.call_tool("create_generation", {"prompt": "a completed source video"})
            assert made.structured_content is not None and made.structured_content["state"] == "completed"
            live.completed_id = made.structured_content["id"]
            live.tool_names = {tool.name for tool in (await client.list_tools()).tools}
            assert live.tool_names == set(TOOLS)
            emulator.clear_requests()
            yield live
    finally:
        SDK_LOGGER.removeHandler(crashes)


async def run_examples(check: Callable[[], None]) -> None:
    """Run a `@given` function (all its examples) in a worker thread while the event loop serves its calls."""
    await anyio.to_thread.run_sync(check)


def names(text: str, field_name: str) -> bool:
    """`field_name` appears as a word of its own (so 'prompt' is not found inside 'negative_prompt')."""
    return re.search(rf"(?<![\w.]){re.escape(field_name)}(?!\w)", text) is not None


# --- Strategies: building blocks --------------------------------------------------------------------------------

# Unicode White_Space: what pydantic's strip_whitespace (Rust's str::trim) removes. Python's str.isspace() is true
# for all of these and for \x1c-\x1f too, so prompt cores below start and end with a character that is not isspace().
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
FRAGMENTS = (
    "😀",
    "👩‍👩‍👧‍👦",  # a ZWJ family: seven code points, one glyph
    "🇺🇦",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u202eevil\u202c",
    "e\u0301",  # e + combining acute
    "Z\u0351\u0334\u0362a\u0353\u0327l\u0335\u0317g\u034eo\u0322",
    "猫が雪の中を歩く",
    "한국어",
    "\u200b\u200c\u200d\ufeff",
    "Ａｂｃ",
    "\x00",
    "\\u0000",
    "%00",
    "' OR 1=1 --",
    "{{prompt}}",
    "</script>",
)
# Any code point but surrogates, which no JSON text can carry (st.characters() alone includes them).
CHARS = st.characters(codec="utf-8")
text_pieces = st.one_of(CHARS, st.sampled_from(FRAGMENTS))
non_space = st.one_of(CHARS, st.sampled_from(FRAGMENTS).map(lambda s: s[0])).filter(lambda c: not c.isspace())
padding = st.text(alphabet=WHITE_SPACE, max_size=4)


@st.composite
def prompt_cores(draw: st.DrawFn, min_size: int, max_size: int) -> str:
    """Exactly min_size..max_size code points, starting and ending with a non-space; any unicode in between."""
    size = draw(st.one_of(st.integers(min_size, max_size), st.sampled_from([min_size, max_size])))
    if size == 0:
        return ""
    if size == 1:
        return draw(non_space)
    unit = draw(st.lists(text_pieces, min_size=1, max_size=30).map("".join))
    middle = (unit * (size // len(unit) + 1))[: size - 2]
    return draw(non_space) + middle + draw(non_space)


@st.composite
def padded(draw: st.DrawFn, cores: st.SearchStrategy[str]) -> tuple[str, str]:
    """(what the caller sends, what Luma should receive): the core with white space around it."""
    core = draw(cores)
    return draw(padding) + core + draw(padding), core


def repeated_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Long strings without long generation: a short unit repeated to a drawn length."""
    return st.builds(
        lambda unit, size: (unit * (size // len(unit) + 1))[:size],
        st.text(min_size=1, max_size=8),
        st.integers(min_size, max_size),
    )


def nest(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


def json_null(value: Any) -> bool:
    """True if the SDK would turn this into None: None itself, or a string that is JSON null ('null', ' null ')."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        return json.loads(value) is None
    except (ValueError, RecursionError):
        return False


small_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**40), 10**40),  # bounded: >4300-digit integers are a known bug, pinned below
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
NASTY_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "null",
    "true",
    "[]",
    "{}",
    '["dolly_zoom"]',
    '{"a": 1}',
    "..",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows",
    "~",
    "$HOME",
    "%s%n%x",
    "\u202e",
    "\ud7ff\ue000\uffff",
    "[" * 5000,
    "[" * 3000 + "]" * 3000,
    "9" * 5000,  # over Python's 4300-digit int-from-string limit
    "1e999",
    "https://example.com/a.jpg",
    "file:///etc/passwd",
    "00000000-0000-4000-8000-000000000001",
)
nasty_strings = st.one_of(st.sampled_from(NASTY_STRINGS), repeated_text(4990, 20_000))
strings = st.one_of(st.text(), nasty_strings)
huge_lists = st.builds(lambda item, size: [item] * size, small_scalars, st.integers(11, 20_000))
deep = st.builds(nest, st.integers(2, 120), small_scalars)
json_values = st.recursive(
    st.one_of(small_scalars, strings),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
arbitrary = st.one_of(json_values, huge_lists, deep)
# Containers of things no field accepts (every field wants a scalar, or a list of strings).
containers = st.one_of(
    st.dictionaries(st.text(max_size=8), small_scalars, max_size=3),
    st.lists(st.one_of(st.integers(), st.none(), st.floats(allow_nan=False), st.just({})), min_size=1, max_size=3),
    huge_lists.filter(lambda items: not isinstance(items[0], str)),
    st.builds(lambda item, size: [item] * size, st.text(max_size=5), st.integers(11, 20_000)),
    deep.filter(lambda value: not isinstance(value, list) or not isinstance(value[0], str)),
)
non_strings = st.one_of(
    st.integers(-(10**40), 10**40), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), containers
)


def required(strategy: st.SearchStrategy[Any], *, parsed: bool = True) -> st.SearchStrategy[Any]:
    """For a non-nullable field, None is as invalid as anything; so is 'null' where the SDK parses strings as JSON.

    The SDK parses a string as JSON for every parameter not annotated plain `str` (so not for prompts).
    """
    return st.one_of(strategy, st.none(), st.just("null")) if parsed else st.one_of(strategy, st.none())


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """For a nullable field, leave out whatever the SDK would read as null."""
    return strategy.filter(lambda value: not json_null(value))


# --- Strategies: valid values ----------------------------------------------------------------------------------

valid_prompts = padded(prompt_cores(3, 5000))
valid_ids = st.uuids().map(str)
valid_image_urls = st.builds(
    lambda scheme, path: f"{scheme}://example.com/{path}.jpg",
    st.sampled_from(["http", "https"]),
    st.text(string.ascii_letters + string.digits + "-_/", max_size=20),
)
concept_keys = st.from_regex(r"[a-z0-9_]{1,64}", fullmatch=True)
valid_concepts = st.lists(st.one_of(st.sampled_from(["dolly_zoom", "orbit_left", "static"]), concept_keys), max_size=10)
# Printable names only: control characters in a folder name are refused (as they should be).
directory_names = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=20).filter(
        lambda part: part != ".." and len(part.encode()) <= 255 and part.isprintable()
    ),
    min_size=1,
    max_size=4,
).map("/".join)


@st.composite
def valid_create(draw: st.DrawFn) -> dict[str, Any]:
    arguments: dict[str, Any] = {"prompt": draw(valid_prompts)[0], "wait": False}
    arguments["model"] = draw(st.sampled_from(MODELS))
    if draw(st.booleans()):
        arguments["resolution"] = draw(st.sampled_from(RESOLUTIONS))
    if draw(st.booleans()):
        arguments["duration"] = draw(st.sampled_from(DURATIONS))
    if draw(st.booleans()):
        arguments["aspect_ratio"] = draw(st.sampled_from(ASPECT_RATIOS))
    if draw(st.booleans()):
        arguments["start_image_url"] = draw(valid_image_urls)
    if draw(st.booleans()):
        arguments["end_image_url"] = draw(valid_image_urls)
    else:
        arguments["loop"] = draw(st.booleans())  # loop with an end frame is refused (a rule of two fields)
    if draw(st.booleans()):
        arguments["concepts"] = draw(valid_concepts)
    if draw(st.booleans()):
        arguments["callback_url"] = LOOPBACK_CALLBACK
    if draw(st.booleans()):
        arguments["hdr"] = False  # HDR is Ray 3.2's, and these servers have a Dream Machine key only
    return arguments


@st.composite
def valid_extend(draw: st.DrawFn, ids: st.SearchStrategy[str]) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "generation_id": draw(ids),
        "prompt": draw(valid_prompts)[0],
        "wait": False,
    }
    direction = draw(st.sampled_from(["forward", "backward", None]))
    if direction is not None:
        arguments["direction"] = direction
    far_end = draw(st.sampled_from(["none", "image", "generation"] if direction != "backward" else ["none", "image"]))
    if far_end == "image":
        arguments["image_url"] = draw(valid_image_urls)
    elif far_end == "generation":
        arguments["to_generation_id"] = draw(ids)
    if direction != "backward" and far_end == "none":
        arguments["loop"] = draw(st.booleans())  # loop is refused for every other shape (a rule of two fields)
    arguments["model"] = draw(st.sampled_from(MODELS))
    if draw(st.booleans()):
        arguments["resolution"] = draw(st.sampled_from(RESOLUTIONS))
    if draw(st.booleans()):
        arguments["duration"] = draw(st.sampled_from(DURATIONS))
    if draw(st.booleans()):
        arguments["aspect_ratio"] = draw(st.sampled_from(ASPECT_RATIOS))
    return arguments


def valid_arguments(tool: str, ids: st.SearchStrategy[str] = valid_ids) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments our checks accept; Luma may still refuse them (unknown ids, unknown concept keys)."""
    optional_wait = {"wait": st.booleans()}
    match tool:
        case "create_generation":
            return valid_create()
        case "extend_generation":
            return valid_extend(ids)
        case "get_generation":
            return st.fixed_dictionaries({"generation_id": ids}, optional=optional_wait)
        case "list_generations":
            return st.fixed_dictionaries(
                {},
                optional={
                    "limit": st.integers(1, 100),
                    "offset": st.integers(0, 100_000),
                    "api": st.just("dream-machine"),  # the one API these servers have a key for
                },
            )
        case "delete_generation":
            return st.fixed_dictionaries({"generation_id": ids}, optional={"forget": st.booleans()})
        case "download_generation":
            return st.fixed_dictionaries(
                {"generation_id": ids},
                optional={"directory": st.one_of(st.none(), st.just(""), directory_names)},
            )
        case "upscale_generation":
            return st.fixed_dictionaries(
                {"generation_id": ids, "wait": st.just(False)},
                optional={"resolution": st.sampled_from(RESOLUTIONS)},
            )
        case "add_audio":
            return st.fixed_dictionaries(
                # Like every prompt: at least 3 characters once stripped ("00\r" is 2, and refused).
                {"generation_id": ids, "prompt": valid_prompts.map(lambda pair: pair[0]), "wait": st.just(False)},
                optional={"negative_prompt": st.one_of(st.none(), st.text(max_size=200))},
            )
        case _:
            return st.just({})


# --- Strategies: one invalid field -----------------------------------------------------------------------------

BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}


def bool_like(text: str) -> bool:
    word = text.strip().lower()
    if word in BOOL_WORDS:
        return True
    try:
        float(word)
    except ValueError:
        return False
    return True


def bad_choices(allowed: tuple[str, ...]) -> st.SearchStrategy[Any]:
    near_misses = [variant for value in allowed for variant in (value.upper(), f" {value}", f"{value}\n", f'"{value}"')]
    near_misses += [f"[{json.dumps(value)}]" for value in allowed] + ["ray-3", "8k", "1080", "10s", "2:1", "sideways"]
    texts = st.one_of(st.text(max_size=12), st.sampled_from(near_misses), nasty_strings)
    return st.one_of(texts.filter(lambda text: text not in allowed), non_strings)


bad_prompts = st.one_of(
    padded(prompt_cores(0, 2)).map(lambda pair: pair[0]),  # too short once stripped
    padded(prompt_cores(5001, 5200)).map(lambda pair: pair[0]),  # too long once stripped
    st.text(alphabet=WHITE_SPACE, max_size=20),
    non_strings,
)
bad_bools = st.one_of(
    st.integers().filter(lambda number: number not in (0, 1)),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda number: number not in (0.0, 1.0)),
    st.text(max_size=12).filter(lambda text: not bool_like(text)),
    containers,
)
HEX_DIGITS = set(string.hexdigits)
HEX_POSITIONS = [index for index in range(36) if index not in (8, 13, 18, 23)]
bad_ids = st.one_of(
    st.text(max_size=31),  # too short to hold the 32 hex digits of any UUID spelling
    st.builds(
        lambda value, index, char: value[:index] + char + value[index + 1 :],
        valid_ids,
        st.sampled_from(HEX_POSITIONS),
        CHARS.filter(lambda char: char not in HEX_DIGITS),
    ),
    st.builds(lambda value, size: value[:size], valid_ids, st.integers(0, 35)),
    st.builds(
        lambda before, value, after: before + value + after,
        st.text(max_size=3),
        valid_ids,
        st.text(max_size=3).filter(lambda text: "}" not in text),
    ).filter(lambda text: len(text) > 36 and not text.startswith("{")),
    st.sampled_from(["../../etc/passwd", "00000000-0000-4000-8000-00000000000g", "not-a-uuid", "latest"]),
    nasty_strings.filter(lambda text: text != "00000000-0000-4000-8000-000000000001"),
    non_strings,
)
bad_urls = st.one_of(
    st.builds(
        lambda scheme, rest: f"{scheme}:{rest}",
        st.sampled_from(["ftp", "file", "javascript", "data", "ws", "wss", "gopher", "mailto", "hxxp", "http+unix"]),
        st.sampled_from(["//example.com/a.jpg", "///etc/passwd", "alert(1)", "image/png;base64,AAAA"]),
    ),
    st.sampled_from(["http:///a.jpg", "https://", "http:", "https:example.com/a.jpg", "//example.com/a.jpg"]),
    st.sampled_from(["http://[::1", "https://ex\uff03ample.com/a.jpg"]),  # urlsplit raises on these
    st.text().filter(lambda text: ":" not in text),
    non_strings,
)
bad_concepts = st.one_of(
    st.builds(
        lambda good, bad, index: [*good[:index], bad, *good[index:]],
        st.lists(concept_keys, max_size=9),
        st.text(max_size=70).filter(lambda key: re.fullmatch(r"[a-z0-9_]{1,64}", key) is None),
        st.integers(0, 9),
    ),
    st.lists(concept_keys, min_size=11, max_size=30),
    st.builds(lambda size: ["dolly_zoom"] * size, st.integers(11, 100_000)),
    st.sampled_from(["dolly_zoom", "Dolly Zoom", ""]),
    st.integers(),
    st.booleans(),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    deep,
)
bad_directories = st.one_of(
    st.builds(
        lambda parts, index, tail: "/".join([*parts[:index], "..", *parts[index:]]) + tail,
        st.lists(st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=10), max_size=3),
        st.integers(0, 3),
        st.sampled_from(["", "/", "/."]),
    ),
    st.builds(lambda rest: "/" + rest, st.text(max_size=30)),
    repeated_text(256, 1000),
    st.integers(),
    st.booleans(),
    containers,
)


def bad_limits(low: int, high: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(max_value=low - 1),
        st.integers(min_value=high + 1),
        st.sampled_from([low - 1, high + 1, 10**40, -(10**40)]),
        st.floats(allow_nan=False, allow_infinity=False).filter(
            lambda number: not (number.is_integer() and low <= number <= high)
        ),
        st.text(string.ascii_letters, max_size=8),
        st.none(),
        containers,
    )


VIDEO_MODELS = tuple(LINEUP)

BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "prompt": required(bad_prompts, parsed=False),
    "model": required(bad_choices(MODELS)),
    "resolution": optional(bad_choices(RESOLUTIONS)),
    "duration": optional(bad_choices(DURATIONS)),
    "aspect_ratio": optional(bad_choices(ASPECT_RATIOS)),
    "direction": required(bad_choices(("forward", "backward"))),
    "loop": required(bad_bools),
    "hdr": required(bad_bools),
    "forget": required(bad_bools),
    "api": optional(bad_choices(("dream-machine", "agents"))),
    "wait": required(bad_bools),
    "start_image_url": optional(bad_urls),
    "end_image_url": optional(bad_urls),
    "image_url": optional(bad_urls),
    "callback_url": optional(bad_urls),
    # Keyframes are Ray 3.2's: on these servers' Dream Machine models any list of them is refused by name.
    "keyframes": optional(
        st.one_of(
            non_strings,
            st.lists(st.fixed_dictionaries({"image": valid_image_urls, "frame": st.integers()}), max_size=70),
        )
    ),
    "concepts": optional(bad_concepts),
    "generation_id": required(bad_ids),
    "to_generation_id": optional(bad_ids),
    "limit": bad_limits(1, 100),
    "offset": bad_limits(0, 100_000),
    "directory": optional(bad_directories),
    "negative_prompt": optional(st.one_of(repeated_text(5001, 6000), non_strings)),
}
BAD_VALUES_FOR = {
    ("upscale_generation", "resolution"): required(bad_choices(RESOLUTIONS)),
    ("create_generation", "aspect_ratio"): required(bad_choices(ASPECT_RATIOS)),
    # create_generation and extend_generation serve every video model: the default model is chosen by the keys (or
    # the source's API), and Ray 3.2's options are in their schemas (refused by name on a model without them, as
    # the Ray 3.2 tests show).
    **{
        (tool, name): optional(bad_choices(allowed))
        for tool in ("create_generation", "extend_generation")
        for name, allowed in (
            ("model", VIDEO_MODELS),
            ("resolution", (*RESOLUTIONS, "360p")),
            ("duration", (*DURATIONS, "10s")),
        )
    },
}


@st.composite
def one_invalid_field(draw: st.DrawFn, tool: str) -> tuple[str, dict[str, Any]]:
    """Valid arguments except for exactly one field, which is invalid on its own."""
    arguments = draw(valid_arguments(tool))
    name = draw(st.sampled_from(PARAMETERS[tool]))
    arguments[name] = draw(BAD_VALUES_FOR.get((tool, name), BAD_VALUES[name]))
    return name, arguments


# --- Strategies: anything at all -------------------------------------------------------------------------------

SPECIAL_KEYS = (
    "",
    "ctx",
    "context",
    "self",
    "args",
    "kwargs",
    "arguments",
    "_meta",
    "__class__",
    "__dict__",
    "model_config",
    "model_fields",
    "generation_type",
    "keyframes",
    "callback_url",
    "negative_prompt",
    "prompt",
    "api_key",
    "base_url",
    "output_dir",
    "Prompt",
    "prompt ",
)


def unknown_keys(tool: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(SPECIAL_KEYS), st.text(max_size=20)).filter(
        lambda key: key not in PARAMETERS[tool]
    )


def plausible(name: str, completed_id: str) -> st.SearchStrategy[Any]:
    """Values that get past validation now and then, so the tools' bodies run too, not only the checks."""
    match name:
        case "prompt" | "negative_prompt":
            return valid_prompts.map(lambda pair: pair[0])
        case "generation_id" | "to_generation_id":
            return st.one_of(st.just(completed_id), valid_ids)
        case "start_image_url" | "end_image_url" | "image_url":
            return valid_image_urls
        case "callback_url":
            return st.just(LOOPBACK_CALLBACK)
        case "concepts":
            return valid_concepts
        case "keyframes":
            keyframe = st.fixed_dictionaries({"image": valid_image_urls, "frame": st.integers(0, 240)})
            return st.lists(keyframe, min_size=1, max_size=3)
        case "directory":
            return directory_names
        case "limit":
            return st.integers(1, 100)
        case "offset":
            return st.integers(0, 100_000)
        case "loop" | "wait" | "hdr" | "forget":
            return st.booleans()
        case "api":
            return st.sampled_from(["dream-machine", "agents"])
        case "model":
            return st.sampled_from(MODELS)
        case "resolution":
            return st.sampled_from(RESOLUTIONS)
        case "duration":
            return st.sampled_from(DURATIONS)
        case "aspect_ratio":
            return st.sampled_from(ASPECT_RATIOS)
        case "direction":
            return st.sampled_from(["forward", "backward"])
        case "image" | "video" | "first_frame":
            return st.one_of(st.just(completed_id), valid_ids, valid_image_urls)
        case name if name in REFRAME_GEOMETRY:
            return st.integers(0, 4000)
        case "image_refs":
            return st.lists(st.one_of(valid_image_urls, valid_image_urls.map(lambda url: {"image": url})), max_size=10)
        case "style":
            return st.sampled_from(["auto", "manga"])
        case "output_format":
            return st.sampled_from(["png", "jpeg"])
        case "strength":
            return st.sampled_from(get_args(EditStrength))
    raise AssertionError(name)


def reaches_outside(value: Any) -> bool:
    """A callback URL the emulator would really POST to somewhere other than this host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.hostname != "127.0.0.1"
    except ValueError:
        return False


def anything_for(tool: str, completed_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly valid arguments with a field or two made arbitrary (so tool bodies run too), or all arbitrary."""

    def keep(name: str, value: Any) -> bool:
        return name != "callback_url" or not reaches_outside(value)

    def value_for(name: str) -> st.SearchStrategy[Any]:
        return st.one_of(plausible(name, completed_id), arbitrary).filter(lambda value: keep(name, value))

    names_ = PARAMETERS[tool]
    ids = st.one_of(st.just(completed_id), valid_ids)
    everything = st.fixed_dictionaries({}, optional={name: value_for(name) for name in names_})

    @st.composite
    def near_valid(draw: st.DrawFn) -> dict[str, Any]:
        arguments = draw(valid_arguments(tool, ids))
        for name in draw(st.lists(st.sampled_from(names_), max_size=2, unique=True)) if names_ else ():
            if draw(st.integers(0, 3)):
                arguments[name] = draw(arbitrary.filter(partial(keep, name)))
            else:
                arguments.pop(name, None)
        return arguments

    extra = st.dictionaries(unknown_keys(tool), arbitrary, max_size=3)
    known = st.sampled_from(["near", "near", "near", "anything"]).flatmap(
        lambda kind: near_valid() if kind == "near" else everything
    )
    return st.builds(lambda known, extra: {**extra, **known}, known, extra)


# --- Property 1: nothing crashes -------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
async def test_arbitrary_arguments_never_crash_the_server(tool: str, tmp_path: Path) -> None:
    """Any JSON arguments get a tool result (success or a reasoned error), and the server keeps answering."""
    async with live_server(tmp_path) as live:

        @SOME
        @given(arguments=anything_for(tool, live.completed_id))
        def holds(arguments: dict[str, Any]) -> None:
            live.assert_answered(tool, live.call(tool, arguments))
            live.assert_still_answers()

        await run_examples(holds)
        assert {tool.name for tool in (await live.client.list_tools()).tools} == live.tool_names
        credits = await live.client.call_tool("get_credits", {})
        assert not credits.is_error, text_of(credits)


# --- Property 2: invalid input is refused by name, for free ----------------------------------------------------

# One hand-picked invalid value per field, always tried first, so each field is checked on every run.
CLEARLY_BAD: dict[str | tuple[str, str], Any] = {
    ("upscale_generation", "resolution"): "2k",
    "prompt": "  a  ",
    "model": "ray-9",
    "resolution": "8k",
    "duration": "10s",
    "aspect_ratio": "2:1",
    "direction": "sideways",
    "loop": "maybe",
    "wait": "maybe",
    "hdr": "maybe",
    "forget": "maybe",
    "api": "both",
    "start_image_url": "ftp://example.com/a.jpg",
    "end_image_url": "file:///etc/passwd",
    "image_url": "javascript:alert(1)",
    "callback_url": "http:///no-host",
    "keyframes": [{"image": "https://example.com/a.jpg", "frame": -1}],
    "concepts": ["Dolly Zoom!"],
    "generation_id": "../../etc",
    "to_generation_id": "not-a-uuid",
    "limit": 101,
    "offset": -1,
    "directory": "../outside",
    "negative_prompt": "x" * 5001,
}
VALID: dict[str, dict[str, Any]] = {
    "create_generation": {"prompt": "a tiger walking in snow", "wait": False},
    "extend_generation": {
        "generation_id": "00000000-0000-4000-8000-000000000001",
        "prompt": "it keeps going",
        "wait": False,
    },
    "get_generation": {"generation_id": "00000000-0000-4000-8000-000000000001"},
    "list_generations": {},
    "delete_generation": {"generation_id": "00000000-0000-4000-8000-000000000001"},
    "download_generation": {"generation_id": "00000000-0000-4000-8000-000000000001"},
    "upscale_generation": {"generation_id": "00000000-0000-4000-8000-000000000001", "wait": False},
    "add_audio": {"generation_id": "00000000-0000-4000-8000-000000000001", "prompt": "wind", "wait": False},
}


@pytest.mark.parametrize("tool", TOOLS_WITH_ARGUMENTS)
async def test_an_invalid_field_is_refused_by_name_before_reaching_luma(tool: str, tmp_path: Path) -> None:
    """Valid arguments but for one invalid field: a tool error that names that field, and no request to Luma."""
    async with live_server(tmp_path) as live:

        def holds(case: tuple[str, dict[str, Any]]) -> None:
            name, arguments = case
            earlier = len(live.emulator.requests)  # not cleared: the log must stay empty for the whole test
            result = live.call(tool, arguments)
            live.assert_answered(tool, result)
            assert result.is_error, f"{name}={arguments[name]!r} was accepted"
            assert names(text_of(result), name), text_of(result)
            assert live.emulator.requests[earlier:] == []

        check = given(case=one_invalid_field(tool))(holds)
        for name in PARAMETERS[tool]:
            bad = CLEARLY_BAD.get((tool, name), CLEARLY_BAD.get(name))
            check = example(case=(name, {**VALID[tool], name: bad}))(check)
        examples = max(60, 20 * len(PARAMETERS[tool]))
        await run_examples(settings(max_examples=examples, deadline=None, database=None)(check))
        assert live.emulator.requests == []


async def test_valid_arguments_are_never_refused_locally(tmp_path: Path) -> None:
    """Arguments that pass our rules reach Luma (which may refuse unknown ids); so the bases above are valid."""
    async with live_server(tmp_path) as live:

        @settings(max_examples=25 * len(TOOLS), deadline=None, database=None)
        @given(case=st.sampled_from(ASKING_LUMA).flatmap(lambda tool: st.tuples(st.just(tool), valid_arguments(tool))))
        def holds(case: tuple[str, dict[str, Any]]) -> None:
            tool, arguments = case
            live.emulator.clear_requests()
            result = live.call(tool, arguments)
            live.assert_answered(tool, result)
            assert live.emulator.requests, f"refused without asking Luma: {text_of(result)}"
            assert not text_of(result).startswith("Invalid arguments"), text_of(result)

        await run_examples(holds)


# --- Property 3: valid prompts reach Luma unchanged ------------------------------------------------------------


async def test_valid_unicode_prompts_reach_luma_unchanged(tmp_path: Path) -> None:
    """Any 3..5000-character prompt (emoji, RTL, combining marks, CJK, controls) is sent as given, stripped."""
    async with live_server(tmp_path) as live:

        @MANY
        @given(case=valid_prompts)
        @example(case=("  abc  ", "abc"))
        @example(case=("\u3000" + "é" * 5000 + "\n", "é" * 5000))
        @example(case=("👩‍👩‍👧‍👦", "👩‍👩‍👧‍👦"))  # seven code points, one glyph
        def holds(case: tuple[str, str]) -> None:
            sent, expected = case
            live.emulator.clear_requests()
            result = live.call("create_generation", {"prompt": sent, "wait": False})
            assert not result.is_error, text_of(result)
            posts = live.emulator.requests_for("POST", "/generations/video")
            assert len(posts) == 1
            assert posts[0].body["prompt"] == expected
            assert result.structured_content is not None
            assert result.structured_content["prompt"] == expected

        await run_examples(holds)


async def test_audio_prompts_reach_luma_stripped(tmp_path: Path) -> None:
    """add_audio strips its prompt like create does (a blank one is refused) and sends the negative prompt as given."""
    async with live_server(tmp_path) as live:

        @SOME
        @given(pair=valid_prompts, negative=st.text(max_size=500))
        def holds(pair: tuple[str, str], negative: str) -> None:
            prompt, stripped = pair
            live.emulator.clear_requests()
            arguments = {"generation_id": live.completed_id, "prompt": prompt, "negative_prompt": negative}
            result = live.call("add_audio", {**arguments, "wait": False})
            assert not result.is_error, text_of(result)
            posts = live.emulator.requests_for("POST", f"/generations/{live.completed_id}/audio")
            assert [post.body for post in posts] == [{"prompt": stripped, "negative_prompt": negative}]

        await run_examples(holds)


async def test_a_nul_byte_inside_a_prompt_is_forwarded_to_luma(tmp_path: Path) -> None:
    """A NUL inside an otherwise valid prompt is sent on as-is: Luma's only documented prompt rule is its length."""
    async with live_server(tmp_path) as live:
        result = await live.client.call_tool("create_generation", {"prompt": "a cat\x00 in the snow", "wait": False})
        assert not result.is_error, text_of(result)
        assert live.emulator.requests_for("POST", "/generations/video")[0].body["prompt"] == "a cat\x00 in the snow"


# --- Property 4: unknown keys are ignored ----------------------------------------------------------------------


def sent_to_luma(emulator: Emulator) -> list[tuple[str, str, dict[str, str], Any]]:
    """The requests so far, with generation ids in paths made generic so two calls can be compared."""
    return [
        (request.method, UUID_PATTERN.sub("{id}", request.path), request.query, request.body)
        for request in emulator.requests
    ]


async def test_unknown_argument_keys_are_refused_by_name(tmp_path: Path) -> None:
    """A key a tool does not declare is refused, named, before Luma is asked anything: ignored, a misspelt
    `aspectratio` would make (and charge for) a video the user did not ask for."""
    async with live_server(tmp_path) as live:

        def valid(tool: str) -> dict[str, Any]:
            source = live.completed_id
            if tool == "delete_generation":
                made = live.call("create_generation", {"prompt": "a video to delete", "wait": False})
                assert made.structured_content is not None
                source = made.structured_content["id"]
            arguments = dict(VALID.get(tool, {}))
            if "generation_id" in arguments:
                arguments["generation_id"] = source
            return arguments

        @settings(max_examples=15 * len(TOOLS), deadline=None, database=None)
        @given(
            case=st.sampled_from(TOOLS).flatmap(
                lambda tool: st.tuples(
                    st.just(tool), st.dictionaries(unknown_keys(tool), arbitrary, min_size=1, max_size=4)
                )
            )
        )
        def holds(case: tuple[str, dict[str, Any]]) -> None:
            tool, extra = case
            arguments = valid(tool)
            live.emulator.clear_requests()
            with_extra = live.call(tool, {**extra, **arguments})
            assert with_extra.is_error
            assert "Unknown arguments" in text_of(with_extra) and "nothing was sent to Luma" in text_of(with_extra)
            assert sent_to_luma(live.emulator) == []

        await run_examples(holds)


# --- Bugs the properties found (now fixed), pinned with their minimal examples ---------------------------------


async def test_a_directory_with_a_nul_byte_is_refused_by_name(tmp_path: Path) -> None:
    """download_generation refuses a directory containing NUL, naming it, before asking Luma anything."""
    async with live_server(tmp_path) as live:

        @FEW
        @given(before=st.text(max_size=5), after=st.text(max_size=5))
        def holds(before: str, after: str) -> None:
            directory = f"{before}\x00{after}"
            result = live.call("download_generation", {"generation_id": live.completed_id, "directory": directory})
            live.assert_answered("download_generation", result)
            assert result.is_error and names(text_of(result), "directory"), text_of(result)
            assert live.emulator.requests == []

        await run_examples(holds)


async def test_a_directory_that_cannot_be_created_is_refused_by_name(tmp_path: Path) -> None:
    """download_generation answers a directory the file system refuses with a tool error naming the directory."""
    async with live_server(tmp_path) as live:
        arguments = {"generation_id": live.completed_id}
        first = await live.client.call_tool("download_generation", arguments)  # saves <id>.mp4 in the root
        assert not first.is_error, text_of(first)
        for directory in ("é" * 128, f"{live.completed_id}.mp4/sub"):
            result = await live.client.call_tool("download_generation", {**arguments, "directory": directory})
            live.assert_answered("download_generation", result)
            assert result.is_error and names(text_of(result), "directory"), text_of(result)


async def test_a_huge_integer_is_refused_by_name(tmp_path: Path) -> None:
    """An integer too long for repr() (over 4300 digits) is refused like any other bad value, naming its field."""
    async with live_server(tmp_path) as live:
        for tool, name in [("list_generations", "limit"), ("get_generation", "generation_id"), ("add_audio", "prompt")]:
            result = await live.client.call_tool(tool, {name: 10**4300})
            live.assert_answered(tool, result)
            assert result.is_error and names(text_of(result), name), text_of(result)
            assert live.emulator.requests == []
