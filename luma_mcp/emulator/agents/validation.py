"""Checking a ``POST /generations`` body as Luma does, with its wording where the notes record it.

Fields tied to some types (``source``, ``image_ref``, ``video``, ``layering``, ``output_format``) are refused on
the others; fields Luma is documented to ignore (``aspect_ratio`` on an edit, say) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from luma_mcp.emulator.agents.errors import InvalidParameter, Unprocessable
from luma_mcp.emulator.agents.fields import choice, flag, json_object, listed, optional_object, string
from luma_mcp.emulator.agents.refs import MediaRefs
from luma_mcp.emulator.agents.video_options import VideoRequest, video_request
from luma_mcp.emulator.agents.vocabulary import (
    DEFAULT_MODEL,
    DEFAULT_TYPE,
    IMAGE_ASPECT_RATIOS,
    IMAGE_TYPES,
    LAYERING_PROMPT_MAX_LENGTH,
    LAYERING_RESOLUTIONS,
    MANGA_ASPECT_RATIOS,
    MAX_IMAGE_REFS,
    MAX_VIDEO_SOURCE_SECONDS,
    MODELS,
    OUTPUT_FORMATS,
    PROMPT_MAX_LENGTH,
    SOURCE_TYPES,
    STYLES,
    TYPES,
    TYPES_BY_MODEL,
    USER_ID_MAX_LENGTH,
    VIDEO_ASPECT_RATIOS,
    VIDEO_SOURCE_TYPES,
)

# Luma lists valid ratios sorted part by part, as text: "1:1, 1:2, 1:3, 16:9, 2:1, ...".
_ASPECT_RATIOS = {
    "image": sorted(IMAGE_ASPECT_RATIOS, key=lambda ratio: ratio.split(":")),
    "video": sorted(VIDEO_ASPECT_RATIOS, key=lambda ratio: ratio.split(":")),
}


@dataclass(frozen=True)
class GenerationRequest:
    """What a valid create asks for, as far as pricing and the outputs need to know."""

    model: str
    type: str
    images_in: int
    """Images the model reads: the references, plus the source of an edit."""
    output_format: str | None
    layering_resolution: str | None
    video: VideoRequest | None


def generation_request(body: Any, *, refs: MediaRefs, hdr_access: bool) -> GenerationRequest:
    fields = json_object(body, "Request body")
    model = fields.get("model", DEFAULT_MODEL)
    if model not in MODELS:
        raise InvalidParameter(f"Unknown model: {model}")
    generation_type = fields.get("type", DEFAULT_TYPE)
    if generation_type not in TYPES:
        raise InvalidParameter(f"Unknown type: {generation_type}")  # inferred, after "Unknown model"
    if generation_type not in TYPES_BY_MODEL[model]:
        raise InvalidParameter(f"Type '{generation_type}' is not supported for model '{model}'")
    _check_prompt(fields, generation_type)
    string(fields, "user_id", "user_id", max_length=USER_ID_MAX_LENGTH)
    flag(fields, "web_search", "web_search")
    style = choice(fields, "style", STYLES, "style")
    output_format = choice(fields, "output_format", OUTPUT_FORMATS, "output_format")
    if output_format is not None and generation_type not in IMAGE_TYPES:
        # inferred
        raise InvalidParameter(
            f"output_format is only valid for types 'image' and 'image_edit', not '{generation_type}'"
        )
    aspect_ratio = _aspect_ratio(fields, generation_type)
    if style == "manga" and aspect_ratio is not None and aspect_ratio not in MANGA_ASPECT_RATIOS:
        raise Unprocessable(  # inferred
            f"style 'manga' needs a portrait aspect_ratio ({', '.join(MANGA_ASPECT_RATIOS)}), not '{aspect_ratio}'"
        )
    references = _image_refs(fields, generation_type, refs)
    source_seconds = _source(fields, generation_type, refs)
    layering_resolution = _layering(fields, generation_type)
    if fields.get("video") is not None and model != "ray-3.2":
        raise InvalidParameter(f"video is only valid for model 'ray-3.2', not '{model}'")  # inferred
    video = None
    if model == "ray-3.2":
        video = video_request(
            fields.get("video"),
            generation_type=generation_type,
            aspect_ratio=aspect_ratio,
            source_seconds=source_seconds,
            refs=refs,
            hdr_access=hdr_access,
        )
    return GenerationRequest(
        model=model,
        type=generation_type,
        images_in=references + (generation_type == "image_edit"),
        output_format=output_format,
        layering_resolution=layering_resolution,
        video=video,
    )


def _check_prompt(fields: dict[str, Any], generation_type: str) -> None:
    if generation_type == "layering":
        prompt = string(fields, "prompt", "prompt")
        if prompt is not None and len(prompt) > LAYERING_PROMPT_MAX_LENGTH:
            raise InvalidParameter(  # inferred
                f"Prompt must be at most {LAYERING_PROMPT_MAX_LENGTH} characters for type 'layering'"
            )
        return
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not 1 <= len(prompt) <= PROMPT_MAX_LENGTH:
        raise InvalidParameter(f"Prompt must be between 1 and {PROMPT_MAX_LENGTH} characters")


def _aspect_ratio(fields: dict[str, Any], generation_type: str) -> str | None:
    """The ratio the output gets; an edit keeps its source's shape, so its ratio is ignored (as on Luma)."""
    if generation_type in ("image_edit", "video_edit", "layering"):
        return None
    family = "image" if generation_type == "image" else "video"
    aspect_ratio = choice(fields, "aspect_ratio", _ASPECT_RATIOS[family], "aspect_ratio")
    if aspect_ratio is None and generation_type == "video_reframe":
        # inferred
        raise InvalidParameter("aspect_ratio is required for type 'video_reframe': the ratio to reframe to")
    return aspect_ratio


def _image_refs(fields: dict[str, Any], generation_type: str, refs: MediaRefs) -> int:
    images = listed(fields, "image_ref", "image_ref")
    if images is None:
        return 0
    if generation_type not in IMAGE_TYPES:
        # inferred
        raise InvalidParameter(f"image_ref is only valid for types 'image' and 'image_edit', not '{generation_type}'")
    limit = MAX_IMAGE_REFS[generation_type]
    if len(images) > limit:
        if generation_type == "image_edit":
            raise InvalidParameter(f"image_edit supports up to {limit} reference images (source occupies one slot)")
        raise InvalidParameter(f"image supports up to {limit} reference images")  # inferred, after image_edit's
    for position, image in enumerate(images):
        refs.image(image, f"image_ref[{position}]")
    return len(images)


def _source(fields: dict[str, Any], generation_type: str, refs: MediaRefs) -> float | None:
    """Check ``source``; the length of a source video in seconds, when known."""
    source = fields.get("source")
    if generation_type not in SOURCE_TYPES:
        if source is None:
            return None
        if generation_type == "image":
            raise InvalidParameter("source is only valid for type 'image_edit'")
        # inferred
        raise InvalidParameter("source is not valid for type 'video'; use video.start_frame or video.keyframes")
    if source is None:
        raise InvalidParameter(f"source is required for type '{generation_type}'")
    if generation_type not in VIDEO_SOURCE_TYPES:
        refs.image(source, "source", chains=True)
        return None
    seconds = refs.video(source, "source")
    if generation_type == "video_edit" and seconds is not None and seconds > MAX_VIDEO_SOURCE_SECONDS:
        raise InvalidParameter(  # inferred
            f"source: video is {seconds:g} seconds long; video_edit takes at most {MAX_VIDEO_SOURCE_SECONDS}"
        )
    return seconds


def _layering(fields: dict[str, Any], generation_type: str) -> str | None:
    if generation_type != "layering":
        if fields.get("layering") is not None:
            raise InvalidParameter(f"layering is only valid for type 'layering', not '{generation_type}'")  # inferred
        return None
    options = optional_object(fields, "layering", "layering")
    return choice(options, "resolution", LAYERING_RESOLUTIONS, "layering.resolution") or LAYERING_RESOLUTIONS[0]
