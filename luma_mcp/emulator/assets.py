"""The sample video and thumbnail every completed generation serves: real files, small enough to ship."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

SAMPLE_VIDEO = "video.mp4"
"""2 s of H.264 at 320x180, ``+faststart``, about 20 KB."""
SAMPLE_THUMBNAIL = "thumb.jpg"


@cache
def sample_bytes(name: str) -> bytes:
    return (files("luma_mcp.emulator") / "media" / name).read_bytes()
