"""Saving a finished video (and its thumbnail), or its image or every layer of it, to disk: atomically, never
outside the output directory, and never holding a tool call past its deadline.

A download runs as a job in the background. The call that starts it waits for it while its deadline allows; if
the asset host is slow, the call answers "in progress" with the path the file will land at, the job goes on, and
a later call for the same generation and folder reports it done (or its error). Asset URLs point at Luma's public
CDN, not the API, so this uses its own HTTP client, which never carries the API key.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Self
from uuid import UUID

import anyio
import httpx
from anyio.abc import TaskGroup

from .errors import LumaMCPError
from .errors.wording import (
    cannot_save,
    cannot_save_into,
    directory_not_inside,
    directory_through_symlink,
    directory_with_control_characters,
    download_broke,
    download_crashed,
    download_declared_too_big,
    download_refused,
    download_too_big,
    download_too_slow,
    id_cannot_name_a_file,
    no_video_yet,
    not_an_asset_url,
)
from .http_client import shared_tls_context
from .models import Generation
from .timing import TimePolicy, time_left

logger = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 2 * 1024**3
CHUNK_SIZE = 256 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".webp")
MAX_LABEL_CHARACTERS = 40
MAX_UNREPORTED_JOBS = 256
"""Finished downloads whose outcome no call has reported yet; past this the oldest outcome is forgotten."""


@dataclass(frozen=True)
class SavedFiles:
    """Where a generation's files are, or will be: `total_bytes` is None while they are still downloading. A video
    has `video` (and a thumbnail, if Luma has one); an image job has `images`, one a layer for a split."""

    video: Path | None = None
    thumbnail: Path | None = None
    video_bytes: int | None = None
    images: tuple[Path, ...] = ()
    total_bytes: int | None = None


@dataclass(frozen=True)
class _Planned:
    """What a download saves: each URL and the file it lands in, video first; the first path names the job."""

    files: tuple[tuple[str, Path], ...]
    is_video: bool

    @property
    def landing(self) -> Path:
        return self.files[0][1]

    def pending(self) -> SavedFiles:
        paths = tuple(path for _, path in self.files)
        return SavedFiles(video=paths[0]) if self.is_video else SavedFiles(images=paths)


@dataclass(eq=False)
class _Job:
    planned: _Planned
    finished: anyio.Event = field(default_factory=anyio.Event)
    outcome: SavedFiles | LumaMCPError | None = None


class Downloader:
    """Use as an async context manager: it owns the background jobs and the HTTP client (made on first use)."""

    def __init__(
        self,
        output_dir: Path,
        *,
        timing: TimePolicy = TimePolicy(),
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.output_dir = output_dir
        self._timing = timing
        self._max_bytes = max_bytes
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._jobs: OrderedDict[Path, _Job] = OrderedDict()  # by the path a job's first file lands at
        self._task_group: TaskGroup | None = None

    async def __aenter__(self) -> Self:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()  # unfinished jobs leave no partial file behind
        try:
            return await self._task_group.__aexit__(exc_type, exc, tb)
        finally:
            with anyio.CancelScope(shield=True):
                if self._http is not None:
                    await self._http.aclose()

    async def save(self, generation: Generation, target: Path) -> SavedFiles:
        """Save into `target`, a folder `target_directory` approved; wait for it within the call's time left."""
        planned = _plan(generation, target)
        job = self._jobs.get(planned.landing)
        if job is None:
            job = self._jobs[planned.landing] = _Job(planned)
            assert self._task_group is not None, "Downloader used outside `async with`"
            self._task_group.start_soon(self._run, job, generation, name=f"download {generation.id}")
        with anyio.move_on_after(time_left()):
            await job.finished.wait()
        if job.outcome is None:
            return planned.pending()
        if self._jobs.get(planned.landing) is job:
            del self._jobs[planned.landing]  # reported: a later call downloads afresh
        if isinstance(job.outcome, LumaMCPError):
            raise job.outcome
        return job.outcome

    async def _run(self, job: _Job, generation: Generation) -> None:
        try:
            with anyio.fail_after(self._timing.download_total):
                job.outcome = await self._save_files(generation, job.planned)
        except LumaMCPError as exc:
            job.outcome = exc
        except TimeoutError:
            job.outcome = download_too_slow(generation.id, self._timing.download_total)
        except Exception as exc:  # a job runs beside every call: whatever it meets must not end the server
            logger.exception("Downloading generation %s failed unexpectedly", generation.id)
            job.outcome = download_crashed(generation.id, exc)
        finally:
            job.finished.set()
            self._forget_oldest_outcomes()

    def _forget_oldest_outcomes(self) -> None:
        finished = [path for path, job in self._jobs.items() if job.finished.is_set()]
        for path in finished[: max(0, len(finished) - MAX_UNREPORTED_JOBS)]:
            del self._jobs[path]

    async def _save_files(self, generation: Generation, planned: _Planned) -> SavedFiles:
        _make_folder(planned.landing.parent)
        if planned.is_video:
            [(video_url, video_path)] = planned.files
            video_bytes = await self._fetch(video_url, video_path)
            thumbnail_path = await self._save_thumbnail(generation, video_path.with_suffix(".jpg"))
            return SavedFiles(video_path, thumbnail_path, video_bytes, total_bytes=video_bytes)
        total = 0
        for url, path in planned.files:
            total += await self._fetch(url, path)
        return SavedFiles(images=tuple(path for _, path in planned.files), total_bytes=total)

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
        """The folder to save into: `directory` is relative to the output directory, and anything that resolves
        outside it is refused before Luma is asked anything. It is made only once there is a video to save."""
        root = self.output_dir.expanduser().resolve()
        if directory and not all(char.isprintable() for char in directory):
            raise directory_with_control_characters(directory)
        relative = Path(directory or ".")
        if relative.is_absolute() or ".." in relative.parts:
            raise directory_not_inside(directory, root)
        target = (root / relative).resolve()
        if not target.is_relative_to(root):
            raise directory_through_symlink(directory, root)
        return target

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            timing = self._timing
            self._http = httpx.AsyncClient(
                follow_redirects=True,
                timeout=httpx.Timeout(timing.download_stall, connect=timing.connect),
                verify=shared_tls_context(),
                transport=self._transport,
            )
        return self._http

    async def _fetch(self, url: str, destination: Path) -> int:
        _check_asset_url(url)
        try:
            descriptor, temporary = tempfile.mkstemp(
                dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
            )
            os.close(descriptor)
        except OSError as exc:
            raise cannot_save_into(destination.parent, exc) from None
        try:
            size = await self._stream_to(url, Path(temporary))
            os.replace(temporary, destination)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise cannot_save(destination, exc) from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return size

    async def _stream_to(self, url: str, path: Path) -> int:
        size = 0
        try:
            async with self._client().stream("GET", url) as response:
                if response.status_code != 200:
                    raise download_refused(url, response.status_code)
                declared = int(response.headers.get("content-length") or 0)
                if declared > self._max_bytes:
                    raise download_declared_too_big(url, declared, self._max_bytes)
                async with await anyio.open_file(path, "wb") as file:
                    async for chunk in response.aiter_bytes(CHUNK_SIZE):
                        size += len(chunk)
                        if size > self._max_bytes:
                            raise download_too_big(url, self._max_bytes)
                        await file.write(chunk)
        except httpx.HTTPError as exc:
            raise download_broke(url, exc) from exc
        return size


def _plan(generation: Generation, target: Path) -> _Planned:
    """The files a finished generation's download saves: its MP4, else each image it made (each layer is named by
    its index and label, so they sort front to back)."""
    video_url = generation.assets.video if generation.assets else None
    images = [output for output in generation.outputs or () if output.get("type") == "image" and output.get("url")]
    if generation.state != "completed" or not (video_url or images):
        raise no_video_yet(generation.id, generation.state)
    name = _file_name(generation)
    if video_url:
        _check_asset_url(video_url)
        return _Planned(((video_url, target / f"{name}.mp4"),), is_video=True)
    files = []
    for position, output in enumerate(images):
        url = str(output["url"])
        _check_asset_url(url)
        layer = output.get("layer")
        stem = f"{name}.layer-{_layer_name(layer, position)}" if isinstance(layer, dict) else name
        files.append((url, target / f"{stem}{_image_suffix(url)}"))
    return _Planned(tuple(files), is_video=False)


def _layer_name(layer: dict[str, object], position: int) -> str:
    """`<position>-<label>`, with the label cut down to lowercase letters, digits and dashes: it cannot name a path.
    The position among the outputs (Luma's index, as Luma lists them front to back) keeps two layers with one
    label, or no index, from landing in one file."""
    label = re.sub(r"[^a-z0-9]+", "-", str(layer.get("label") or "").lower()).strip("-")[:MAX_LABEL_CHARACTERS]
    return f"{position:02d}-{label}" if label else f"{position:02d}"


def _image_suffix(url: str) -> str:
    suffix = PurePosixPath(httpx.URL(url).path).suffix.lower()
    return ".jpg" if suffix == ".jpeg" else suffix if suffix in IMAGE_SUFFIXES else ".png"


def _check_asset_url(url: str) -> None:
    """Only plain http(s) URLs httpx can use; anything else is refused before a file or a request is made."""
    try:
        scheme = httpx.URL(url).scheme
    except (httpx.InvalidURL, ValueError):
        scheme = ""
    if scheme not in ("http", "https"):
        raise not_an_asset_url(url)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_save_into(folder, exc) from None


def _file_name(generation: Generation) -> str:
    """The files' name: the id written out by `UUID`, so whatever an answer carried, it cannot name a path."""
    try:
        return str(UUID(generation.id))
    except ValueError:
        raise id_cannot_name_a_file() from None
