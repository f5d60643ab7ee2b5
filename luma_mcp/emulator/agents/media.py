"""What the emulator can tell from media bytes alone: the format, and how long an MP4 or QuickTime video runs."""

from __future__ import annotations

import struct

_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_ISO_CONTAINERS = ("video/mp4", "video/quicktime")


def sniffed_type(content: bytes) -> str | None:
    """The media type the bytes are, as far as their first bytes say; ``None`` when they match no known format."""
    for signature, media_type in _IMAGE_SIGNATURES:
        if content.startswith(signature):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:8] == b"ftyp":
        return "video/quicktime" if content[8:12] == b"qt  " else "video/mp4"
    if content.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def content_matches(content: bytes, media_type: str) -> bool:
    """Whether the bytes are what ``media_type`` says; MP4 and QuickTime share a container, so either passes."""
    found = sniffed_type(content)
    if media_type in _ISO_CONTAINERS:
        return found in _ISO_CONTAINERS
    return found == media_type


def video_seconds(content: bytes) -> float | None:
    """The length an MP4 or QuickTime file declares in its movie header; ``None`` if it has none we can read."""
    moov = _child_box(content, b"moov")
    mvhd = None if moov is None else _child_box(moov, b"mvhd")
    if mvhd is None or len(mvhd) < 32:
        return None
    if mvhd[0] == 1:
        timescale, duration = struct.unpack(">IQ", mvhd[20:32])
    else:
        timescale, duration = struct.unpack(">II", mvhd[12:20])
    return duration / timescale if timescale else None


def _child_box(data: bytes, kind: bytes) -> bytes | None:
    """The payload of the first box of ``kind`` among the boxes that make up ``data``."""
    offset = 0
    while offset + 8 <= len(data):
        size, found = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1 and offset + 16 <= len(data):
            size, header = struct.unpack(">Q", data[offset + 8 : offset + 16])[0], 16
        elif size == 0:
            size = len(data) - offset
        if size < header:
            return None
        if found == kind:
            return data[offset + header : offset + size]
        offset += size
    return None
