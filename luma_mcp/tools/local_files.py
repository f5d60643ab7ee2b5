"""A local image or video named by path in a tool argument, checked before anything is sent: inside the folders the
operator allows (symlinks followed), a regular file, media by its own bytes (not its name), of the kind the argument
takes, and within Luma's size limits. Users of a desktop client have the photo on disk, not on a CDN; the model
must not be able to hand Luma any other file on that disk.

All of it runs in a worker thread: a hash of a large video must not stall the event loop.
"""

from __future__ import annotations

import hashlib
import stat
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import anyio.from_thread
import anyio.to_thread

from ..errors.wording import (
    local_file_missing,
    local_file_not_media,
    local_file_not_regular,
    local_file_outside,
    local_file_too_big,
    local_file_unreadable,
    local_file_wrong_kind,
    local_files_not_here,
    video_too_long,
)

MediaKind = Literal["image", "video"]
MAX_BYTES: dict[MediaKind, int] = {"image": 50 * 1024 * 1024, "video": 5 * 1024**3}
"""Luma's limits: 50 MB an image (luma-agents-api.md §5); for a video only the Files API's 5 GiB is documented."""
HEAD_BYTES = 16
HASH_CHUNK = 1024 * 1024
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_STILL_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis")
"""ISO containers that hold HEIF or AVIF pictures, not video: Luma takes neither."""


@dataclass(frozen=True)
class LocalFile:
    path: Path
    """Symlinks resolved: what is hashed is what is uploaded."""
    media_type: str
    sha256: str


def sniffed_type(head: bytes) -> str | None:
    """The media type of a file from its first bytes: one Luma takes, or None."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] not in _STILL_IMAGE_BRANDS:
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    return None


async def local_file(
    value: str, argument: str, kind: MediaKind, folders: Sequence[Path], *, max_seconds: float | None = None
) -> LocalFile:
    """The file `value` names for `argument`, checked (a video also against `max_seconds`, when its header says how
    long it runs); raises `InvalidRequestError` naming what is wrong."""
    return await anyio.to_thread.run_sync(
        _checked, value, argument, kind, tuple(folders), max_seconds, abandon_on_cancel=True
    )


def _checked(
    value: str, argument: str, kind: MediaKind, folders: tuple[Path, ...], max_seconds: float | None
) -> LocalFile:
    if not folders:
        raise local_files_not_here(argument)
    allowed = [folder.expanduser().resolve() for folder in folders]
    given = Path(value).expanduser()
    # Where it leads is judged before whether it exists, so a refusal tells nothing about the disk outside.
    path = (given if given.is_absolute() else allowed[0] / given).resolve()
    if not any(path.is_relative_to(folder) for folder in allowed):
        raise local_file_outside(argument, value, allowed)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise local_file_not_regular(argument, path)
        with path.open("rb") as file:
            media_type = sniffed_type(file.read(HEAD_BYTES))
            if media_type is None:
                raise local_file_not_media(argument, path)
            found = media_type.split("/")[0]
            if found != kind:
                raise local_file_wrong_kind(argument, path, media_type, kind)
            if status.st_size > MAX_BYTES[kind]:
                raise local_file_too_big(argument, path, status.st_size, MAX_BYTES[kind], kind)
            seconds = _movie_seconds(file, status.st_size) if max_seconds is not None else None
            if max_seconds is not None and seconds is not None and seconds > max_seconds:
                raise video_too_long(argument, seconds, max_seconds)
            file.seek(0)
            digest = hashlib.sha256()
            while chunk := file.read(HASH_CHUNK):
                anyio.from_thread.check_cancelled()  # a call given up on leaves no thread hashing gigabytes
                digest.update(chunk)
    except FileNotFoundError:
        raise local_file_missing(argument, path) from None
    except OSError as error:
        raise local_file_unreadable(argument, path, error) from error
    return LocalFile(path, media_type, digest.hexdigest())


def _movie_seconds(file: BinaryIO, size: int) -> float | None:
    """How long an MP4 or MOV runs by its movie header (`moov`, then `mvhd`), found by seeking from box to box, so a
    video of gigabytes is not read to learn it; None when it has no header we can read."""
    movie = _box(file, 0, size, b"moov")
    header = None if movie is None else _box(file, *movie, b"mvhd")
    if header is None:
        return None
    file.seek(header[0])
    fields = file.read(32)
    if len(fields) < 32:
        return None
    if fields[0] == 1:  # version 1: 64-bit times
        timescale, duration = struct.unpack(">IQ", fields[20:32])
    else:
        timescale, duration = struct.unpack(">II", fields[12:20])
    return duration / timescale if timescale else None


def _box(file: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """Where the payload of the first ISO media box of `kind` between `start` and `end` begins and ends."""
    offset = start
    while offset + 8 <= end:
        file.seek(offset)
        head = file.read(16)
        if len(head) < 8:
            return None
        size, found = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1:
            if len(head) < 16:
                return None
            size, header = struct.unpack(">Q", head[8:16])[0], 16
        elif size == 0:  # to the end
            size = end - offset
        if size < header:
            return None
        if found == kind:
            return offset + header, min(offset + size, end)
        offset += size
    return None
