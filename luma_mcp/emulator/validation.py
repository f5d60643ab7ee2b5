"""Checking request bodies as Luma does, with its documented messages (luma-api.md §8.2) where it has them.

Each ``*_request`` function returns the echo a generation carries in ``request``: every field of that request
type, unset ones as ``null``. Anything Luma would reject raises ``InvalidRequest``, which the API answers with 400.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from luma_mcp.emulator.vocabulary import (
    ASPECT_RATIOS,
    CONCEPT_KEYS,
    DURATIONS,
    IMAGE_FORMATS,
    MAX_IMAGE_REFS,
    MODELS,
    MODIFY_MODES,
    PHOTON_MODELS,
    REFRAME_IMAGE_MODELS,
    RESOLUTIONS,
)

PROMPT_MIN_LENGTH = 3
PROMPT_MAX_LENGTH = 5000
FRAME_NAMES = ("frame0", "frame1")
GEOMETRY = (
    "grid_position_x",
    "grid_position_y",
    "x_start",
    "x_end",
    "y_start",
    "y_end",
    "resized_width",
    "resized_height",
)
"""Where the source sits in a reframe's new frame, in pixels (luma-api.md §4.5)."""

StateLookup = Callable[[str], str | None]
"""The state of one of the caller's generations by id, or ``None`` if the caller has no such generation."""

# Which (frame0 type, frame1 type) combinations cannot loop, and what Luma says about each.
_LOOP_REFUSALS = {
    (None, "image"): "Loop is not supported for end frame",
    ("image", "image"): "Loop is not supported for keyframes",
    (None, "generation"): "Loop is not supported for extend reverse",
    ("generation", "image"): "Loop is not supported for interpolate video to image",
    ("image", "generation"): "Loop is not supported for interpolate image to video",
    ("generation", "generation"): "Loop is not supported for interpolate between two videos",
}


class InvalidRequest(Exception):
    """A request Luma refuses before creating anything; ``detail`` is the message it answers with."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def video_request(body: Any, *, state_of: StateLookup) -> dict[str, Any]:
    """Validate a video create; keyframes that name generations must name completed ones of the caller's."""
    fields = _json_object(body)
    if fields.get("generation_type", "video") != "video":
        raise InvalidRequest("Unknown request type")
    model = _choice(fields, "model", MODELS)
    if model is None:
        raise InvalidRequest(f"model is required; use one of: {', '.join(MODELS)}")
    prompt = _string(fields, "prompt") or None
    aspect_ratio = _choice(fields, "aspect_ratio", ASPECT_RATIOS)
    loop = fields.get("loop")
    if loop is not None and not isinstance(loop, bool):
        raise InvalidRequest("loop must be true or false")
    resolution = _choice(fields, "resolution", RESOLUTIONS)
    duration = _choice(fields, "duration", DURATIONS)
    keyframes = _keyframes(fields.get("keyframes"))
    first, last = _frame_types(keyframes)
    _check_prompt(prompt, has_image="image" in (first, last))
    if loop and last is not None:
        raise InvalidRequest(_LOOP_REFUSALS[(first, last)])
    concepts = _concepts(fields.get("concepts"))
    callback_url = _callback_url(fields)
    for frame in (keyframes or {}).values():
        if frame and frame["type"] == "generation":
            require_completed(frame["id"], state_of(frame["id"]), use="extended or interpolated")
    return {
        "generation_type": "video",
        "model": model,
        "prompt": prompt,
        "aspect_ratio": aspect_ratio,
        "loop": loop,
        "keyframes": keyframes,
        "resolution": resolution,
        "duration": duration,
        "concepts": concepts,
        "callback_url": callback_url,
    }


def image_request(body: Any) -> dict[str, Any]:
    """Validate a Photon image create (``POST /generations/image``); each image is echoed as it was sent."""
    fields = _json_object(body)
    if fields.get("generation_type", "image") != "image":
        raise InvalidRequest("Unknown request type")
    model = _choice(fields, "model", PHOTON_MODELS)
    if model is None:
        raise InvalidRequest(f"model is required; use one of: {', '.join(PHOTON_MODELS)}")
    prompt = _string(fields, "prompt")
    if prompt is not None:
        _check_prompt(prompt, has_image=True)
    sync = fields.get("sync")
    if sync is not None and not isinstance(sync, bool):
        raise InvalidRequest("sync must be true or false")
    character_ref = fields.get("character_ref")
    if character_ref is not None:
        if not isinstance(character_ref, dict) or not character_ref:
            raise InvalidRequest('character_ref must be an object like {"identity0": {"images": [url, ...]}}')
        character_ref = {name: _character(name, images) for name, images in character_ref.items()}
    modify = fields.get("modify_image_ref")
    return {
        "generation_type": "image",
        "model": model,
        "prompt": prompt,
        "aspect_ratio": _choice(fields, "aspect_ratio", ASPECT_RATIOS),
        "format": _choice(fields, "format", IMAGE_FORMATS),
        "image_ref": _image_refs(fields, "image_ref"),
        "style_ref": _image_refs(fields, "style_ref"),
        "character_ref": character_ref,
        "modify_image_ref": None if modify is None else _weighted_image("modify_image_ref", modify),
        "sync": sync,
        "callback_url": _callback_url(fields),
    }


def upscale_request(body: Any) -> dict[str, Any]:
    """Validate ``POST /generations/{id}/upscale``; every field is optional, so no body at all is fine."""
    fields = _json_object({} if body is None else body)
    if fields.get("generation_type", "upscale_video") != "upscale_video":
        raise InvalidRequest("Unknown request type")
    return {
        "generation_type": "upscale_video",
        "resolution": _choice(fields, "resolution", RESOLUTIONS),
        "callback_url": _callback_url(fields),
    }


def audio_request(body: Any) -> dict[str, Any]:
    """Validate ``POST /generations/{id}/audio``; every field is optional, so no body at all is fine."""
    fields = _json_object({} if body is None else body)
    if fields.get("generation_type", "add_audio") != "add_audio":
        raise InvalidRequest("Unknown request type")
    return {
        "generation_type": "add_audio",
        "prompt": _string(fields, "prompt"),
        "negative_prompt": _string(fields, "negative_prompt"),
        "callback_url": _callback_url(fields),
    }


def modify_video_request(body: Any) -> dict[str, Any]:
    """Validate ``POST /generations/video/modify`` (luma-api.md §4.7)."""
    fields = _json_object(body)
    _generation_type(fields, "modify_video")
    model = _required_choice(fields, "model", MODELS)
    mode = _required_choice(fields, "mode", MODIFY_MODES)
    media = _media(fields, "media", required=True)
    prompt = _string(fields, "prompt") or None
    _check_prompt(prompt, has_image=True)
    return {
        "generation_type": "modify_video",
        "model": model,
        "media": media,
        "mode": mode,
        "prompt": prompt,
        "first_frame": _media(fields, "first_frame", required=False),
        "callback_url": _callback_url(fields),
    }


def reframe_request(body: Any, generation_type: str) -> dict[str, Any]:
    """Validate ``POST /generations/video/reframe`` or ``/image/reframe`` (``generation_type`` says which; §4.5,
    §4.6)."""
    fields = _json_object(body)
    _generation_type(fields, generation_type)
    video = generation_type == "reframe_video"
    model = _required_choice(fields, "model", MODELS if video else REFRAME_IMAGE_MODELS)
    aspect_ratio = _required_choice(fields, "aspect_ratio", ASPECT_RATIOS)
    media = _media(fields, "media", required=True)
    prompt = _string(fields, "prompt")
    geometry = {name: _pixels(fields, name) for name in GEOMETRY}
    for start, end in (("x_start", "x_end"), ("y_start", "y_end")):
        low, high = geometry[start], geometry[end]
        if low is not None and high is not None and low >= high:
            raise InvalidRequest(f"{start} must be less than {end}")
    echo: dict[str, Any] = {
        "generation_type": generation_type,
        "model": model,
        "media": media,
        "aspect_ratio": aspect_ratio,
        "prompt": prompt,
        **geometry,
        "callback_url": _callback_url(fields),
    }
    if video:
        echo["first_frame"] = _media(fields, "first_frame", required=False)
    else:
        echo["format"] = _choice(fields, "format", IMAGE_FORMATS)
    return echo


def require_completed(generation_id: str, state: str | None, *, use: str) -> None:
    """Refuse to build on a generation that is missing or not finished; ``use`` says what was attempted."""
    if state is None:
        raise InvalidRequest(f"Generation {generation_id} not found")
    if state != "completed":
        raise InvalidRequest(
            f"Generation {generation_id} is {state}, not completed; only a completed generation can be {use}"
        )


def _generation_type(fields: dict[str, Any], expected: str) -> None:
    if fields.get("generation_type", expected) != expected:
        raise InvalidRequest("Unknown request type")


def _required_choice(fields: dict[str, Any], name: str, allowed: Sequence[str]) -> str:
    value = _choice(fields, name, allowed)
    if value is None:
        raise InvalidRequest(f"{name} is required; use one of: {', '.join(allowed)}")
    return value


def _media(fields: dict[str, Any], name: str, *, required: bool) -> dict[str, str] | None:
    value = fields.get(name)
    if value is None and not required:
        return None
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidRequest(f"{name} must be an object with an http:// or https:// url")
    return {"url": url}


def _pixels(fields: dict[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidRequest(f"{name} must be a whole number of pixels, 0 or more")
    return value


def _json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object")
    return body


def _string(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string")
    return value


def _choice(fields: dict[str, Any], name: str, allowed: Sequence[str]) -> str | None:
    value = fields.get(name)
    if value is not None and value not in allowed:
        raise InvalidRequest(f"Invalid {name} {value!r}; use one of: {', '.join(allowed)}")
    return value


def _check_prompt(prompt: str | None, *, has_image: bool) -> None:
    if prompt is None:
        if not has_image:
            raise InvalidRequest("Prompt is required")
        return
    if len(prompt) < PROMPT_MIN_LENGTH:
        raise InvalidRequest(f"Prompt is too short, minimum length is {PROMPT_MIN_LENGTH} characters")
    if len(prompt) > PROMPT_MAX_LENGTH:
        raise InvalidRequest(f"Prompt is too long, maximum length is {PROMPT_MAX_LENGTH} characters")


def _keyframes(value: Any) -> dict[str, dict[str, str] | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest("keyframes must be an object with frame0 and/or frame1")
    frames = {name: _keyframe(name, value.get(name)) for name in FRAME_NAMES}
    if not any(frames.values()):
        raise InvalidRequest("No keyframes provided")
    return frames


def _frame_types(keyframes: dict[str, dict[str, str] | None] | None) -> tuple[str | None, str | None]:
    """The types of frame0 and frame1, ``None`` where a frame is absent."""
    frames = keyframes or {}
    first, last = (frames.get(name) for name in FRAME_NAMES)
    return (first["type"] if first else None), (last["type"] if last else None)


def _keyframe(name: str, value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in ("image", "generation"):
        raise InvalidRequest(f"keyframes.{name} needs a type of 'image' (with a url) or 'generation' (with an id)")
    reference = "url" if kind == "image" else "id"
    target = value.get(reference)
    if not isinstance(target, str) or not target:
        raise InvalidRequest(f"keyframes.{name} of type '{kind}' needs a non-empty '{reference}'")
    return {"type": kind, reference: target}


def _concepts(value: Any) -> list[dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, dict) and isinstance(c.get("key"), str) for c in value):
        raise InvalidRequest('concepts must be a list of objects like {"key": "dolly_zoom"}')
    for concept in value:
        if concept["key"] not in CONCEPT_KEYS:
            raise InvalidRequest(f"Unknown concept {concept['key']!r}; see GET /generations/concepts/list")
    return [{"key": concept["key"]} for concept in value]


def _callback_url(fields: dict[str, Any]) -> str | None:
    url = _string(fields, "callback_url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise InvalidRequest("callback_url must be an http:// or https:// URL")
    return url


def _image_refs(fields: dict[str, Any], name: str) -> list[dict[str, Any]] | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidRequest(f'{name} must be a list of objects like {{"url": "https://...", "weight": 0.5}}')
    if len(value) > MAX_IMAGE_REFS:
        raise InvalidRequest(f"{name} takes at most {MAX_IMAGE_REFS} images, not {len(value)}")
    return [_weighted_image(f"{name}[{position}]", image) for position, image in enumerate(value)]


def _weighted_image(name: str, value: Any) -> dict[str, Any]:
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidRequest(f"{name} needs a url, an http:// or https:// URL")
    weight = value.get("weight")
    if weight is None:
        return {"url": url}
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise InvalidRequest(f"{name}.weight must be a number from 0 to 1, not {weight!r}")
    return {"url": url, "weight": weight}


def _character(name: str, value: Any) -> dict[str, list[str]]:
    images = value.get("images") if isinstance(value, dict) else None
    if not isinstance(images, list) or not images or not all(isinstance(url, str) for url in images):
        raise InvalidRequest(f"character_ref.{name} needs images, a list of URLs")
    if len(images) > MAX_IMAGE_REFS:
        raise InvalidRequest(f"character_ref.{name} takes at most {MAX_IMAGE_REFS} images of one person")
    return {"images": images}
