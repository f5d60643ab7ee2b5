"""The inline player (MCP Apps, `io.modelcontextprotocol/ui`): one view that shows a generation where the user chats,
and the media hosts its Content-Security-Policy lets it play from.

The view is `player.html` beside this module, self-contained (no script or style from elsewhere). Hosts render it in
a sandboxed iframe whose policy allows media only from the origins listed in `_meta.ui.csp.resourceDomains`, so every
host a video or image URL can point at must be listed, or the player shows nothing.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit

from mcp.server.apps import Apps, ResourceCsp

from .settings import Settings

PLAYER_URI = "ui://luma/player.html"
PLAYER_META = {"ui": {"resourceUri": PLAYER_URI}}
"""What a tool carries to be shown in the player, whether or not the client declares the extension: some hosts render
views without declaring it."""
DREAM_MACHINE_MEDIA_HOSTS = ("https://storage.cdn-luma.com",)
"""Where the Dream Machine API's videos and images are (`assets` URLs, as observed)."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@cache
def player_html() -> str:
    return (files("luma_mcp") / "player.html").read_text(encoding="utf-8")


def media_hosts(settings: Settings) -> list[str]:
    """Every origin the player may load media from: Luma's (the Agents API's as set: see
    `Settings.agents_media_hosts`), the API's own origin where it is on this machine (the emulator serves its media
    there), and any the operator named."""
    local = [
        f"{url.scheme}://{url.netloc}"
        for url in map(urlsplit, (settings.base_url, settings.agents_base_url))
        if url.hostname in LOOPBACK_HOSTS
    ]
    hosts = [*DREAM_MACHINE_MEDIA_HOSTS, *settings.agents_media_hosts, *local, *settings.media_hosts]
    return list(dict.fromkeys(hosts))


def player_extension(settings: Settings) -> Apps:
    """The MCP Apps extension serving the player (`text/html;profile=mcp-app`), for `MCPServer(extensions=...)`."""
    apps = Apps()
    apps.add_html_resource(
        PLAYER_URI,
        player_html(),
        name="player",
        title="Luma player",
        description="Shows a generation as it runs, then plays its video or shows its images, with download.",
        csp=ResourceCsp(resource_domains=media_hosts(settings)),
        prefers_border=True,
    )
    return apps
