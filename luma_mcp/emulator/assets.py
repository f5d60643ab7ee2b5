"""The sample files every completed generation serves: real files, small enough to ship, served as a CDN would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache
from importlib.resources import files

import anyio
from starlette.responses import Response, StreamingResponse

SAMPLE_VIDEO = "video.mp4"
"""2 s of H.264 at 320x180, ``+faststart``, about 20 KB."""
SAMPLE_THUMBNAIL = "thumb.jpg"
SAMPLE_IMAGE = "image.png"
"""160x90 RGB."""
SAMPLE_LAYER = "layer.png"
"""160x90 RGBA: an orange disc fading to transparent, as a cut-out layer would be."""


@cache
def sample_bytes(name: str) -> bytes:
    return (files("luma_mcp.emulator") / "media" / name).read_bytes()


def asset_response(content: bytes, media_type: str, bytes_per_second: float | None) -> Response:
    """``content`` at full speed, or at ``bytes_per_second`` a chunk at a time, like a slow CDN."""
    if bytes_per_second is None:
        return Response(content, media_type=media_type)
    return StreamingResponse(
        _trickle(content, bytes_per_second), media_type=media_type, headers={"content-length": str(len(content))}
    )


async def _trickle(content: bytes, bytes_per_second: float) -> AsyncIterator[bytes]:
    """`content` a tenth of a second's worth at a time (at least a byte)."""
    chunk = max(1, int(bytes_per_second / 10))
    for start in range(0, len(content), chunk):
        yield content[start : start + chunk]
        await anyio.sleep(chunk / bytes_per_second)
