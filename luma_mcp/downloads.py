"""Saving a finished video (and its thumbnail) to disk: atomically, and never outside the output directory.

Asset URLs point at Luma's public CDN, not the API, so this uses its own HTTP client that never carries the
API key.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import anyio
import httpx

from .errors import APIConnectionError, APIResponseError, InvalidRequestError, LumaError, LumaMCPError
from .models import Generation
from .results import Download

logger = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 2 * 1024**3
CHUNK_SIZE = 256 * 1024


class Downloader:
    def __init__(
        self,
        output_dir: Path,
        *,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.output_dir = output_dir
        self._max_bytes = max_bytes
        self._http = httpx.AsyncClient(
            follow_redirects=True, timeout=httpx.Timeout(60.0, connect=10.0), transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def save(self, generation: Generation, target: Path) -> Download:
        """Save into `target`, a folder `target_directory` approved."""
        video_url = generation.assets.video if generation.assets else None
        if generation.state != "completed" or not video_url:
            raise InvalidRequestError(
                f"Generation {generation.id} is {generation.state} and has no video yet. Call get_generation with "
                "wait=true until it is completed, then download it."
            )
        name = _file_name(generation)
        video_path = target / f"{name}.mp4"
        video_bytes = await self._fetch(video_url, video_path)
        thumbnail_path = await self._save_thumbnail(generation, target / f"{name}.jpg")
        return Download(
            id=generation.id,
            video_path=str(video_path),
            thumbnail_path=str(thumbnail_path) if thumbnail_path else None,
            video_bytes=video_bytes,
        )

    async def _save_thumbnail(self, generation: Generation, path: Path) -> Path | None:
        """Best effort: the video is what was asked for, and a missing thumbnail must not make the model fetch
        the video again."""
        url = generation.assets.image if generation.assets else None
        if not url:
            return None
        try:
            await self._fetch(url, path)
        except LumaMCPError as exc:
            logger.warning("Saved the video of %s but not its thumbnail: %s", generation.id, exc)
            return None
        return path

    def target_directory(self, directory: str | None) -> Path:
        """The folder to save into, made if need be: `directory` is relative to the output directory, and
        anything that resolves outside it, or cannot be made, is refused before Luma is asked anything."""
        root = self.output_dir.expanduser().resolve()
        if directory and not all(char.isprintable() for char in directory):
            raise InvalidRequestError(f"directory must not contain control characters; got {directory!r}.")
        relative = Path(directory or ".")
        if relative.is_absolute() or ".." in relative.parts:
            raise InvalidRequestError(
                f"directory must be a relative path inside the output directory {root}, without '..'; "
                f"got {directory!r}. Leave it empty to save into the output directory itself."
            )
        target = (root / relative).resolve()
        if not target.is_relative_to(root):
            raise InvalidRequestError(
                f"directory {directory!r} leads outside the output directory {root} (through a symlink); refused."
            )
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidRequestError(
                f"Cannot save into {target}: {exc.strerror or exc}. Choose another directory."
            ) from None
        return target

    async def _fetch(self, url: str, destination: Path) -> int:
        if urlsplit(url).scheme not in ("http", "https"):
            raise InvalidRequestError(f"Refusing to download {url!r}: only http(s) asset URLs are fetched.")
        descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
        os.close(descriptor)
        try:
            size = await self._stream_to(url, Path(temporary))
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return size

    async def _stream_to(self, url: str, path: Path) -> int:
        size = 0
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise LumaError(f"Downloading {url} failed: HTTP {response.status_code}.")
                declared = int(response.headers.get("content-length") or 0)
                if declared > self._max_bytes:
                    raise LumaError(
                        f"Refusing to download {url}: {declared} bytes is over the {self._max_bytes} limit."
                    )
                async with await anyio.open_file(path, "wb") as file:
                    async for chunk in response.aiter_bytes(CHUNK_SIZE):
                        size += len(chunk)
                        if size > self._max_bytes:
                            raise LumaError(f"Refusing to download {url}: it is over the {self._max_bytes} byte limit.")
                        await file.write(chunk)
        except httpx.HTTPError as exc:
            raise APIConnectionError(f"Downloading {url} failed ({type(exc).__name__}); try again.") from exc
        return size


def _file_name(generation: Generation) -> str:
    """The files' name: the id written out by `UUID`, so whatever an answer carried, it cannot name a path."""
    try:
        return str(UUID(generation.id))
    except ValueError:
        raise APIResponseError(
            "Luma gave the generation an id that is not a UUID, so it cannot name a file; nothing was saved."
        ) from None
