"""Media references (``ImageRef``): exactly one of url, data, generation_id or file_id, checked as Luma checks them.

Every message starts with the field path (``image_ref[0]: ...``), as Luma's do. The emulator fetches no URL: it
refuses what Luma's fetcher could never reach (not https, not a public host) with Luma's "failed to fetch URL".
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from luma_mcp.emulator.agents.config import AgentsConfig, size_text
from luma_mcp.emulator.agents.errors import InvalidParameter, MediaTooLarge, Unprocessable
from luma_mcp.emulator.agents.files import FileStore, StoredFile
from luma_mcp.emulator.agents.media import sniffed_type, video_seconds
from luma_mcp.emulator.agents.store import AgentsGeneration, AgentsStore
from luma_mcp.emulator.agents.vocabulary import IMAGE_MEDIA_TYPES, IMAGE_TYPES, VIDEO_SOURCE_TYPES

REF_FIELDS = ("url", "data", "generation_id", "file_id")
VIDEO_TYPES = ("video", *VIDEO_SOURCE_TYPES)


class MediaRefs:
    """Checks the media references of one create against the caller's own generations and files."""

    def __init__(
        self, owner: str, generations: AgentsStore, files: FileStore, config: AgentsConfig, *, origin: str
    ) -> None:
        self._owner = owner
        self._storage = f"{origin}/storage/"
        """The emulator's own output URLs stand for Luma's CDN, which its fetcher reaches (signed URLs are fine)."""
        self._generations = generations
        self._files = files
        self._config = config

    def image(self, ref: Any, path: str, *, chains: bool = False) -> None:
        """An image; ``chains`` allows a prior image generation in its place (``source`` of an edit)."""
        field, target = _the_one_field(ref, path)
        media_type = _media_type(ref, path)
        if media_type is not None and media_type not in IMAGE_MEDIA_TYPES:
            raise InvalidParameter(  # inferred
                f"{path}: unsupported media_type '{media_type}'. Valid: {', '.join(IMAGE_MEDIA_TYPES)}"
            )
        if field == "url":
            self._require_fetchable(target, path)
        elif field == "data":
            content = _decoded(target, media_type, path)
            if len(content) > self._config.max_image_bytes:
                raise MediaTooLarge(f"{path}: image exceeds {size_text(self._config.max_image_bytes)} limit")
            if sniffed_type(content) not in IMAGE_MEDIA_TYPES:
                raise Unprocessable(f"{path}: data is not a JPEG, PNG, WebP or GIF image")  # inferred
        elif field == "generation_id":
            if not chains:
                raise InvalidParameter(  # inferred: the SDK names only these places for a generation_id
                    f"{path}: generation_id is only accepted on source, video.start_frame and video.end_frame"
                )
            self._generation(target, path, "image")
        else:
            self._file(target, path, "image")

    def video(self, ref: Any, path: str) -> float | None:
        """A source video for ``video_edit`` or ``video_reframe``; its length in seconds, when known."""
        field, target = _the_one_field(ref, path)
        media_type = _media_type(ref, path)
        if field in ("url", "data"):
            if media_type is None:
                raise InvalidParameter(f"{path}: 'media_type' is required with '{field}' for a video")  # inferred
            if not media_type.startswith("video/"):
                # inferred
                raise InvalidParameter(f"{path}: media_type must be video/* for a video, not '{media_type}'")
        if field == "url":
            self._require_fetchable(target, path)
            return None
        if field == "data":
            return video_seconds(_decoded(target, media_type, path))
        if field == "generation_id":
            return self._generation(target, path, "video").video_seconds
        return self._file(target, path, "video").seconds

    def frame(self, ref: Any, path: str) -> bool:
        """``video.start_frame`` or ``end_frame``: an image, or a prior video to extend (then ``True``)."""
        field, target = _the_one_field(ref, path)
        if field != "generation_id":
            self.image(ref, path)
            return False
        self._generation(target, path, "video")
        return True

    def _generation(self, generation_id: str, path: str, kind: str) -> AgentsGeneration:
        # inferred messages: Luma's wording for a bad generation reference is not recorded
        generation = self._generations.get(generation_id, owner=self._owner)
        if generation is None:
            raise InvalidParameter(f"{path}: generation {generation_id} not found")
        if generation.state != "completed":
            raise InvalidParameter(f"{path}: generation {generation_id} is {generation.state}, not completed")
        if generation.type not in (IMAGE_TYPES if kind == "image" else VIDEO_TYPES):
            raise InvalidParameter(f"{path}: generation {generation_id} is of type '{generation.type}', not {kind}")
        return generation

    def _file(self, file_id: str, path: str, kind: str) -> StoredFile:
        # inferred messages: Luma's wording for a bad file reference is not recorded
        stored = self._files.get(file_id, owner=self._owner)
        if stored is None:
            raise InvalidParameter(f"{path}: file {file_id} not found")
        if stored.state != "ready":
            raise InvalidParameter(f"{path}: file {file_id} is not ready (state: {stored.state})")
        if not stored.mime_type.startswith(f"{kind}/"):
            raise InvalidParameter(f"{path}: file {file_id} is {stored.mime_type}, not {kind}")
        return stored

    def _require_fetchable(self, url: str, path: str) -> None:
        """Refuse what Luma's fetcher (https only, public addresses only) could never fetch."""
        if url.startswith(self._storage):
            return
        try:
            parts = urlsplit(url)
            scheme, host = parts.scheme, parts.hostname or ""
        except ValueError:  # not a URL at all (an unclosed IPv6 bracket, say)
            scheme, host = "", ""
        if scheme != "https" or not host or host == "localhost" or _is_private_address(host):
            raise Unprocessable(f"{path}: failed to fetch URL")


def _the_one_field(ref: Any, path: str) -> tuple[str, str]:
    """The one of url, data, generation_id and file_id that ``ref`` sets, and its value."""
    if not isinstance(ref, dict):
        raise InvalidParameter(f"{path} must be an object with one of {_names(REF_FIELDS)}")  # inferred
    given = [name for name in REF_FIELDS if ref.get(name) is not None]
    if given == ["url", "data"]:
        raise InvalidParameter(f"{path}: provide either 'url' or 'data', not both")
    if not given:
        raise InvalidParameter(f"{path}: provide either 'url' or 'data', not neither")
    if len(given) > 1:
        # inferred
        raise InvalidParameter(f"{path}: provide exactly one of {_names(REF_FIELDS)}, not {_names(given)}")
    value = ref[given[0]]
    if not isinstance(value, str) or not value:
        raise InvalidParameter(f"{path}.{given[0]} must be a non-empty string")  # inferred
    return given[0], value


def _media_type(ref: dict[str, Any], path: str) -> str | None:
    media_type = ref.get("media_type")
    if media_type is not None and not isinstance(media_type, str):
        raise InvalidParameter(f"{path}.media_type must be a string")  # inferred
    return media_type


def _decoded(data: str, media_type: str | None, path: str) -> bytes:
    if media_type is None:
        raise InvalidParameter(f"{path}: 'media_type' is required with 'data'")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise Unprocessable(f"{path}: invalid base64 data") from None


def _is_private_address(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def _names(names: list[str] | tuple[str, ...]) -> str:
    quoted = [f"'{name}'" for name in names]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
