"""The inline player in a real browser (Chromium, driven by Playwright), hosted as an MCP Apps host would host it: the
view's HTML read from our server into a sandboxed iframe whose Content-Security-Policy is built from the resource's
`_meta.ui.csp` (as the spec tells hosts to build it), the `ui/initialize` handshake answered, the tool's input and
result handed over, and every `tools/call` the view makes relayed to our server through the MCP client, with the
emulator behind it. Screenshots (running, done, failed; light and dark, wide and narrow) go to the test's own
temporary folder, under `screenshots/`.

Chromium is Debian's (`apt-get install chromium`; Playwright's own browser download is not used). Without it the
tests are skipped; with LUMA_MCP_REQUIRE_BROWSER=1 (as `.ci/run` sets) they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import CallToolResult, TextResourceContents
from playwright.async_api import Browser, Frame, Page, async_playwright, expect
from pydantic import BaseModel

from luma_mcp.emulator import Emulator
from luma_mcp.emulator.assets import SAMPLE_VIDEO, sample_bytes
from luma_mcp.player import PLAYER_URI

from .helpers import connect, settings_for
from .test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("LUMA_MCP_REQUIRE_BROWSER") == "1"
PATIENCE_MS = 20_000
"""How long the browser may take to show a state: generous, for a loaded 2-core machine."""
PROMPT = "A lighthouse on a cliff at dusk, waves breaking below, slow aerial orbit"
LOOKS = [("light", 560), ("dark", 360)]
"""Each theme, and a wide and a narrow chat column."""
BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(24, 24, 27)"}
"""The player's own background in each theme, where the host passes no colours of its own."""

HOST_PAGE = """<!DOCTYPE html>
<html><head><style>
  body { margin: 0; padding: 16px; background: #e4e4e7; }
  body.dark { background: #09090b; }
  iframe { border: 0; display: block; height: 120px; }
</style></head>
<body><iframe id="view" sandbox="allow-scripts"></iframe>
<script>
  const frame = document.getElementById("view");
  const send = (message) => frame.contentWindow.postMessage(message, "*");
  window.addEventListener("message", async (event) => {
    if (event.source !== frame.contentWindow) return;
    const message = event.data;
    if (message.method === "ui/initialize") {
      send({ jsonrpc: "2.0", id: message.id, result: {
        protocolVersion: "2026-01-26", hostInfo: { name: "test-host", version: "1" },
        hostCapabilities: { serverTools: {} }, hostContext: window.hostContext } });
    } else if (message.method === "ui/notifications/initialized") {
      send({ jsonrpc: "2.0", method: "ui/notifications/tool-input", params: { arguments: window.toolInput } });
      send({ jsonrpc: "2.0", method: "ui/notifications/tool-result", params: window.toolResult });
    } else if (message.method === "ui/notifications/size-changed") {
      frame.style.height = message.params.height + "px";
    } else if (message.method === "tools/call") {
      const answer = await window.relayToolCall(message.params);
      if (window.echoViewCalls && answer.result) {  // as some hosts may: the view's own call, told as a tool call
        const input = { arguments: message.params.arguments };
        send({ jsonrpc: "2.0", method: "ui/notifications/tool-input", params: input });
        send({ jsonrpc: "2.0", method: "ui/notifications/tool-result", params: answer.result });
      }
      send({ jsonrpc: "2.0", id: message.id, ...answer });
    } else if (message.id !== undefined) {
      send({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found" } });
    }
  });
  window.openView = (html, width, theme) => {
    document.body.className = theme;
    frame.style.width = width + "px";
    frame.srcdoc = html;
  };
</script></body></html>
"""


def content_security_policy(csp: dict[str, list[str]]) -> str:
    """The policy the MCP Apps spec tells a host to build from a resource's `_meta.ui.csp`."""
    resources = " ".join(csp.get("resourceDomains", []))
    connect_to = " ".join(csp.get("connectDomains", []))
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'unsafe-inline' {resources}",
            f"style-src 'self' 'unsafe-inline' {resources}",
            f"connect-src 'self' {connect_to}",
            f"img-src 'self' data: {resources}",
            f"font-src 'self' {resources}",
            f"media-src 'self' data: {resources}",
            "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'self'",
        )
    )


def wire(value: BaseModel) -> dict[str, Any]:
    """As the protocol carries it (camelCase, no nulls)."""
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)


class Host:
    """One host page showing the player for one tool call, relaying the view's calls to our server."""

    def __init__(self, page: Page, client: Client, shots: Path) -> None:
        self.page = page
        self.client = client
        self.shots = shots
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        """Every tool call the view made: its name, arguments and what came back (as the wire has it)."""

    async def relay(self, params: dict[str, Any]) -> dict[str, Any]:
        name, arguments = params["name"], params.get("arguments") or {}
        try:
            result = await self.client.call_tool(name, arguments)
        except MCPError as exc:
            return {"error": {"code": exc.error.code, "message": exc.error.message}}
        answer = wire(result)
        self.calls.append((name, arguments, answer))
        return {"result": answer}

    async def open(
        self,
        tool: str,
        arguments: dict[str, Any],
        result: CallToolResult,
        *,
        look: tuple[str, int],
        leave_out: str | None = None,
        echo: bool = False,
    ) -> Frame:
        """Show the player for a call of `tool`; `leave_out` drops one media host from the CSP the server asked for."""
        theme, width = look
        contents = (await self.client.read_resource(PLAYER_URI)).contents[0]
        assert isinstance(contents, TextResourceContents) and contents.meta is not None
        csp = contents.meta["ui"]["csp"]
        if leave_out is not None:
            assert leave_out in csp["resourceDomains"]
            csp = {**csp, "resourceDomains": [host for host in csp["resourceDomains"] if host != leave_out]}
        meta = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(csp)}">'
        html = contents.text.replace("<head>", f"<head>\n{meta}", 1)
        listed = next(listed for listed in (await self.client.list_tools()).tools if listed.name == tool)
        await self.page.expose_function("relayToolCall", self.relay)
        await self.page.set_content(HOST_PAGE)
        await self.page.evaluate(
            """([context, input, result, echo]) => {
                window.hostContext = context; window.toolInput = input; window.toolResult = result;
                window.echoViewCalls = echo;
            }""",
            [{"theme": theme, "toolInfo": {"tool": wire(listed)}}, arguments, wire(result), echo],
        )
        await self.page.evaluate("([html, width, theme]) => window.openView(html, width, theme)", [html, width, theme])
        element = await self.page.query_selector("#view")
        assert element is not None
        frame = await element.content_frame()
        assert frame is not None
        return frame

    async def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        await self.page.locator("#view").screenshot(path=str(path))
        assert path.stat().st_size > 1000
        return path

    def called(self, name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(arguments, answer) for called, arguments, answer in self.calls if called == name]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    missing = None if CHROMIUM else "no chromium on PATH (on Debian: apt-get install chromium)"
    if missing is not None:
        if REQUIRED:
            pytest.fail(f"LUMA_MCP_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 640, "height": 720}, device_scale_factor=1)
    opened = await context.new_page()
    yield opened
    await context.close()


async def video_plays(frame: Frame) -> dict[str, Any]:
    """The `<video>` element once it has loaded its metadata: readyState 1 or more and a real width."""
    await frame.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.readyState >= 1 && v.videoWidth > 0; }",
        timeout=PATIENCE_MS,
    )
    measured: dict[str, Any] = await frame.evaluate(
        "() => { const v = document.querySelector('video'); "
        "return { readyState: v.readyState, videoWidth: v.videoWidth, src: v.currentSrc }; }"
    )
    return measured


@pytest.mark.parametrize("look", LOOKS, ids=[theme for theme, _ in LOOKS])
async def test_the_player_waits_plays_downloads_and_takes_again_only_when_asked(
    emulator: Emulator, tmp_path: Path, page: Page, look: tuple[str, int]
) -> None:
    theme = look[0]
    output = tmp_path / "videos"
    emulator.plan_next(dreaming_seconds=600)  # running until the test says so (finish_now)
    async with connect(settings_for(emulator, output)) as client:
        arguments = {"prompt": PROMPT, "aspect_ratio": "16:9", "wait": False}
        started = await client.call_tool("create_generation", arguments)
        assert started.structured_content is not None and started.structured_content["state"] == "queued"
        generation_id = started.structured_content["id"]
        host = Host(page, client, tmp_path / "screenshots")
        host.shots.mkdir()
        view = await host.open("create_generation", arguments, started, look=look)

        # Running: the view keeps waiting through the host, with get_generation(wait=true), after the call returned.
        await expect(view.locator("#state")).to_have_text(re.compile("Queued|Dreaming"), timeout=PATIENCE_MS)
        await expect(view.locator("#prompt")).to_have_text(PROMPT)
        await expect(view.locator("#elapsed")).to_have_text(re.compile(r"^\d+:\d\d elapsed$"))
        await expect(view.locator("nav button")).to_have_count(0)  # nothing to download, nor to take again, yet
        await host.screenshot(f"running-{theme}")
        emulator.finish_now(generation_id)

        # Done: the video plays from the emulator's origin, which the CSP lists.
        await expect(view.locator("#state")).to_have_text("Done", timeout=PATIENCE_MS)
        waits = [arguments for arguments, _ in host.called("get_generation")]
        assert {"generation_id": generation_id, "wait": True} in waits
        played = await video_plays(view)
        assert played["videoWidth"] == 320 and played["src"].startswith(emulator.base_url.split("/dream-machine")[0])
        assert await view.evaluate("() => getComputedStyle(document.body).backgroundColor") == BACKGROUNDS[theme]
        assert await view.evaluate("() => document.documentElement.scrollWidth <= innerWidth")  # fits the column
        await host.screenshot(f"done-{theme}")

        # Download: the server saves the file where downloads go.
        await view.get_by_role("button", name="Download").click()
        await expect(view.locator("#message")).to_contain_text("Saved to", timeout=PATIENCE_MS)
        [(_, saved)] = host.called("download_generation")
        video_path = Path(saved["structuredContent"]["video_path"])
        assert video_path.parent == output and video_path.read_bytes() == sample_bytes(SAMPLE_VIDEO)

        # Another take: nothing more was made until the click; then the same request once more.
        first = emulator.requests_for("POST", "/generations/video")
        assert len(first) == 1 and host.called("create_generation") == []
        await view.get_by_role("button", name="Another take").click()
        await expect(view.locator("#state")).to_have_text("Done", timeout=PATIENCE_MS)
        [(again, answer)] = host.called("create_generation")
        assert again == arguments and answer["structuredContent"]["id"] != generation_id
        second = emulator.requests_for("POST", "/generations/video")
        assert len(second) == 2 and second[1].body == first[0].body
        await video_plays(view)


@pytest.mark.parametrize("look", LOOKS, ids=[theme for theme, _ in LOOKS])
async def test_a_failed_generation_shows_lumas_reason(
    emulator: Emulator, tmp_path: Path, page: Page, look: tuple[str, int]
) -> None:
    reason = "The prompt was flagged by content moderation"
    emulator.plan_next(failure_reason=reason)
    async with connect(settings_for(emulator, tmp_path / "videos")) as client:
        arguments = {"prompt": PROMPT, "wait": False}
        started = await client.call_tool("create_generation", arguments)
        host = Host(page, client, tmp_path / "screenshots")
        host.shots.mkdir()
        view = await host.open("create_generation", arguments, started, look=look)
        await expect(view.locator("#state")).to_have_text("Failed", timeout=PATIENCE_MS)
        await expect(view.locator("#message")).to_contain_text(reason)
        await expect(view.locator("video")).to_have_count(0)
        await expect(view.get_by_role("button", name="Download")).to_have_count(0)
        await host.screenshot(f"failed-{look[0]}")


async def test_a_split_image_shows_each_layer_with_its_label(emulator: Emulator, tmp_path: Path, page: Page) -> None:
    """An Agents API job: its presigned outputs are on the emulator's origin, as the CSP lists it."""
    async with connect(agents_settings(emulator, tmp_path)) as client:
        arguments = {"image": "https://example.com/still.png"}
        done = await client.call_tool("split_image_layers", arguments)
        assert done.structured_content is not None and done.structured_content["state"] == "completed"
        host = Host(page, client, tmp_path / "screenshots")
        host.shots.mkdir()
        view = await host.open("split_image_layers", arguments, done, look=LOOKS[1])
        await expect(view.locator("#state")).to_have_text("Done", timeout=PATIENCE_MS)
        await expect(view.locator("figcaption")).to_have_text(["0 · subject", "1 · props", "2 · background"])
        await view.wait_for_function(
            "() => document.images.length === 3 && [...document.images].every((i) => i.complete && i.naturalWidth)",
            timeout=PATIENCE_MS,
        )
        widths = await view.evaluate("() => [...document.images].map((image) => image.naturalWidth)")
        assert widths == [160, 160, 160]
        await expect(view.locator("video")).to_have_count(0)
        await host.screenshot("layers-dark")


async def test_a_generation_looked_up_offers_a_download_and_nothing_that_costs(
    emulator: Emulator, tmp_path: Path, page: Page
) -> None:
    async with connect(settings_for(emulator, tmp_path / "videos")) as client:
        made = await client.call_tool("create_generation", {"prompt": PROMPT})
        assert made.structured_content is not None
        arguments = {"generation_id": made.structured_content["id"]}
        looked_up = await client.call_tool("get_generation", arguments)
        view = await Host(page, client, tmp_path).open("get_generation", arguments, looked_up, look=LOOKS[1])
        await expect(view.locator("#state")).to_have_text("Done", timeout=PATIENCE_MS)
        await video_plays(view)
        await expect(view.locator("nav button")).to_have_text(["Download"])


async def test_a_host_that_echoes_the_views_own_calls_does_not_change_what_another_take_asks_for(
    emulator: Emulator, tmp_path: Path, page: Page
) -> None:
    async with connect(settings_for(emulator, tmp_path / "videos")) as client:
        arguments = {"prompt": PROMPT, "duration": "5s"}
        done = await client.call_tool("create_generation", arguments)
        host = Host(page, client, tmp_path / "screenshots")
        view = await host.open("create_generation", arguments, done, look=LOOKS[0], echo=True)
        await expect(view.locator("#state")).to_have_text("Done", timeout=PATIENCE_MS)
        await view.get_by_role("button", name="Download").click()
        await expect(view.locator("#message")).to_contain_text("Saved to", timeout=PATIENCE_MS)
        await view.get_by_role("button", name="Another take").click()
        await expect(view.locator("#state")).to_have_text("Done", timeout=PATIENCE_MS)
        await expect(view.locator("#message")).to_be_empty()
        assert [again for again, _ in host.called("create_generation")] == [arguments]
        await video_plays(view)


async def test_with_the_media_host_left_out_of_the_csp_the_video_does_not_play(
    emulator: Emulator, tmp_path: Path, page: Page
) -> None:
    """The same completed video, with the emulator's origin dropped from the policy: the browser refuses to load it.
    That the other tests play it proves the server's `resourceDomains` list its host."""
    async with connect(settings_for(emulator, tmp_path / "videos")) as client:
        arguments = {"prompt": PROMPT}
        done = await client.call_tool("create_generation", arguments)
        assert done.structured_content is not None and done.structured_content["state"] == "completed"
        origin = emulator.base_url.split("/dream-machine")[0]
        host = Host(page, client, tmp_path / "screenshots")
        host.shots.mkdir()
        view = await host.open("create_generation", arguments, done, look=LOOKS[0], leave_out=origin)
        await expect(view.locator("#state")).to_have_text("Done", timeout=PATIENCE_MS)
        await expect(view.locator("#message")).to_contain_text(f"may not load media from {origin}", timeout=PATIENCE_MS)
        state = await view.locator("video").evaluate("(video) => [video.readyState, video.videoWidth]")
        assert state == [0, 0]
        await host.screenshot("blocked-light")
