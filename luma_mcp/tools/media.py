"""Image and video arguments: what a user names (an https URL, the id of a finished generation, or a local file)
turned into the reference a Luma job takes. One place, so every tool that takes media takes the same three forms
with the same checks.

A local file is checked whole before anything is sent (see `local_files`), then uploaded through the account's
Files API once per content; the Dream Machine API takes public URLs only, so there a local file is refused.
"""

from dataclasses import dataclass

from ..accounts import current_caller
from ..agents_wire import ImageRef
from ..errors import NotFoundError
from ..errors.wording import (
    agents_needs_https,
    dream_machine_needs_url,
    generation_media_not_ready,
    generation_without_media,
    video_given_as_image,
)
from ..models import Generation, is_generation_id
from . import local_files

MediaKind = local_files.MediaKind
_VIDEO_TYPES_BY_EXTENSION = {".mov": "video/quicktime", ".qt": "video/quicktime"}
"""A video named by URL needs its media type (luma-agents-api.md §3); any other extension is taken as MP4."""


@dataclass(frozen=True)
class CheckedMedia:
    """A media argument checked as far as it can be without a request to Luma (a local file: wholly). A tool checks
    every media argument first and only then asks for their `reference`s, so an argument refused after another one
    costs no upload of that other one."""

    value: str
    argument: str
    kind: MediaKind
    by_id: bool
    local: local_files.LocalFile | None = None

    async def reference(self) -> ImageRef:
        """As an Agents API media reference: an https URL as is, a local file uploaded (once per account and
        content), and a finished generation by its id where the argument's place takes one (`by_id`: `source`
        does), else by the URL of its image or video. `video.start_frame` and `end_frame` take an id to mean
        "extend that video", and `image_ref` and keyframes take none, so an image there is always named by URL; a
        Dream Machine generation always is, Luma's Agents API knowing nothing of it."""
        caller = current_caller()
        if self.local is not None:
            upload = caller.account_for("agents").upload
            return ImageRef(
                file_id=await upload(self.local.path, media_type=self.local.media_type, sha256=self.local.sha256)
            )
        if not is_generation_id(self.value):
            return _url_ref(self.value, self.kind)
        if self.by_id and (await caller.account_that_made(self.value)).api == "agents":
            return ImageRef(generation_id=self.value)
        try:
            _, generation = await caller.find(self.value)
        except NotFoundError:
            if self.by_id:
                return ImageRef(generation_id=self.value)  # made by this account elsewhere, perhaps: Luma judges
            raise
        _refuse_a_video_to_change(generation, self.argument, self.kind, changed=self.by_id)
        if self.by_id and generation.api == "agents":
            return ImageRef(generation_id=self.value)
        return _url_ref(_finished_asset(generation, self.argument, self.kind), self.kind)


async def checked_media(
    value: str, argument: str, kind: MediaKind = "image", *, by_id: bool = True, max_seconds: float | None = None
) -> CheckedMedia:
    """`value` of the tool argument named `argument`, an image or a video (`kind`; a local video at most
    `max_seconds` long), checked for the Agents API without a request: an https URL, a generation id, or a local file
    inside the allowed folders (see `local_files`)."""
    caller = current_caller()
    caller.account_for("agents")
    if is_generation_id(value):
        return CheckedMedia(value, argument, kind, by_id)
    if _is_url(value):
        if not value.startswith("https://"):
            raise agents_needs_https(argument, value)
        return CheckedMedia(value, argument, kind, by_id)
    local = await local_files.local_file(value, argument, kind, caller.input_folders, max_seconds=max_seconds)
    return CheckedMedia(value, argument, kind, by_id, local)


def refuse_local_files(
    model: str, named: dict[str, str | None], kind: MediaKind = "image", agents_model: str | None = "ray-3.2"
) -> None:
    """A local file among the image (or video: `kind`) arguments `named` of a Dream Machine model is refused by its
    argument's name (that API fetches public URLs only), naming `agents_model` (if any) as the one that takes it,
    before any other check of them."""
    for argument, value in named.items():
        if value and not is_generation_id(value) and not _is_url(value):
            raise dream_machine_needs_url(argument, value, model, f"{kind}s", agents_model)


async def dream_machine_images(
    model: str,
    named: dict[str, str | None],
    kind: MediaKind = "image",
    agents_model: str | None = "ray-3.2",
    *,
    changed: str | None = None,
) -> dict[str, str | None]:
    """The image (or video: `kind`) arguments `named` (argument: value) as the public URLs the Dream Machine API
    fetches: a URL as is, a finished generation's image or video (either API's; a video's image is its thumbnail,
    a fair start frame or reference, except as the image being `changed`). It takes no local file: one among them
    is refused, naming what takes one (`agents_model`), before any generation is looked up."""
    refuse_local_files(model, named, kind, agents_model)
    urls: dict[str, str | None] = {}
    for argument, value in named.items():
        if not value:
            urls[argument] = value
            continue
        urls[argument], generation = await dream_machine_source(value, argument, kind)
        if generation is not None:
            _refuse_a_video_to_change(generation, argument, kind, changed=argument == changed)
    return urls


async def dream_machine_source(value: str, argument: str, kind: MediaKind) -> tuple[str, Generation | None]:
    """An image or video argument already cleared of local files (see `dream_machine_images`) as the public URL the
    Dream Machine API fetches, with the generation it names, if it names one."""
    if not is_generation_id(value):
        return value, None
    _, generation = await current_caller().find(value)
    return _finished_asset(generation, argument, kind), generation


def _is_url(value: str) -> bool:
    """A URL rather than a path (a Windows path has a drive letter, never `://`)."""
    return "://" in value


def _url_ref(url: str, kind: MediaKind) -> ImageRef:
    if kind == "image":
        return ImageRef(url=url)
    extension = url.split("?")[0].rsplit("/", 1)[-1].rpartition(".")[2].lower()
    return ImageRef(url=url, media_type=_VIDEO_TYPES_BY_EXTENSION.get(f".{extension}", "video/mp4"))


def _refuse_a_video_to_change(generation: Generation, argument: str, kind: MediaKind, *, changed: bool) -> None:
    """A video's image is its thumbnail: a fair start frame or reference, never what an image edit was asked to
    change."""
    if changed and kind == "image" and not generation.makes_image:
        raise video_given_as_image(argument, generation.id)


def _finished_asset(generation: Generation, argument: str, kind: MediaKind) -> str:
    if generation.state != "completed":
        raise generation_media_not_ready(argument, generation.id, generation.state)
    assets = generation.assets
    url = None if assets is None else assets.video if kind == "video" else assets.image
    if not url:
        raise generation_without_media(argument, generation.id, kind)
    return url
