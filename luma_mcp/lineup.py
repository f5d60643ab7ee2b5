"""Luma's models: which API serves each, what each makes, its options, and what it costs. The model a user picks
decides the API.

Prices are USD an output (a video, an image). Ray 3.2's and Uni-1's are Luma's Agents API pricing page
(luma-agents-api.md §11); Luma publishes no Dream Machine video or Photon prices, so ray-2's, ray-flash-2's and
Photon's are a third party's table (ComfyUI's, luma-api.md §9), an estimate, and said to be one. `estimate_cost`
prices a job from what was sent for it, and says why when there is no price to give.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .settings import Api


@dataclass(frozen=True)
class LumaModel:
    name: str
    api: Api
    kinds: tuple[str, ...]
    """What it makes: video, extend, upscale, audio, edit, reframe (Dream Machine's Ray 2); image, edit, reframe
    (Photon); video, extend, edit, reframe (Ray 3.2); image, edit, layers (Uni-1)."""
    summary: str
    options: Mapping[str, tuple[str, ...]]
    """Each option's allowed values, the default first; Uni-1's, whose default is Luma's own choice, in Luma's order."""
    prices_usd: Mapping[str, float]
    """USD an output: a video by `"<duration> <resolution>"` (and `" HDR"`), an image by the images it reads
    (`"image"`, `"image, 3 images in"`), a Dream Machine edit by its kind (`"modify_video"`, `"reframe_video"`,
    `"reframe_image"`); what is not listed has no known price."""
    price_source: str


_DREAM_MACHINE_KINDS = ("video", "extend", "upscale", "audio", "edit", "reframe")
_DREAM_MACHINE_OPTIONS = {
    "resolution": ("720p", "540p", "1080p", "4k"),
    "duration": ("5s", "9s"),
    "aspect_ratio": ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"),
}
IMAGE_ASPECT_RATIOS = ("3:1", "2:1", "16:9", "3:2", "1:1", "2:3", "9:16", "1:2", "1:3")
"""Uni-1's nine ratios (luma-agents-api.md §4.1); Ray 3.2's six are `ray3.RAY3_ASPECT_RATIOS`."""
MAX_IMAGES_IN = 9
"""Uni-1 reads at most nine images: nine references, or an edit's source and eight."""
_UNI1_OPTIONS = {
    "aspect_ratio": IMAGE_ASPECT_RATIOS,
    "style": ("auto", "manga"),
    "output_format": ("png", "jpeg"),
}
_THIRD_PARTY = "estimate from a third party's table (ComfyUI); Luma publishes no Dream Machine video prices"
_RAY2_EDITS = (
    f"{_THIRD_PARTY}. modify_video: Luma's per-pixel price for a 5 s 720p 16:9 source (longer or larger costs more); "
    "reframe_video: no price is published by anyone, so estimated as a 5 s 720p video"
)
PHOTON_ASPECT_RATIOS = _DREAM_MACHINE_OPTIONS["aspect_ratio"]
"""Photon's seven ratios, the Dream Machine API's (luma-api.md §4.2); its default is 16:9."""
_PHOTON_OPTIONS = {"aspect_ratio": PHOTON_ASPECT_RATIOS, "output_format": ("jpeg", "png")}
_PHOTON = "estimate from a third party's table (ComfyUI's per-image price); Luma publishes no Photon prices"


def _images_in(text_to_image: float, one_in: float, each_further: float) -> dict[str, float]:
    """Uni-1's prices: an image from text alone, and from 1 to 9 images read (references, or an edit's source)."""
    prices = {"image": text_to_image}
    for count in range(1, MAX_IMAGES_IN + 1):
        prices[_images_in_key(count)] = round(one_in + each_further * (count - 1), 4)
    return prices


def _images_in_key(count: int) -> str:
    return f"image, {count} image{'s' if count > 1 else ''} in"


def _table(resolutions: tuple[str, ...], **by_duration: tuple[float, ...]) -> dict[str, float]:
    return {
        f"{duration.lstrip('_')} {resolution}": price
        for duration, prices in by_duration.items()
        for resolution, price in zip(resolutions, prices, strict=True)
    }


MODIFY_USD_PER_MILLION_PIXELS = {"ray-2": 0.01582, "ray-flash-2": 0.00544}
"""Luma's own price for modifying a video, by the source's pixels (luma-api.md §4.7): 5 s of 720p 16:9 costs $1.75
on ray-2 and $0.60 on ray-flash-2, the lineup's `modify_video` price (a source of known size is priced exactly)."""
MODIFY_MAX_SOURCE_SECONDS = {"ray-2": 10, "ray-flash-2": 15}
FRAMES_PER_SECOND = 24
"""Ray 2's frame rate, which Luma's own modify examples price by."""


def modify_cost(model: str, pixels: float) -> float:
    return round(MODIFY_USD_PER_MILLION_PIXELS[model] * pixels / 1e6, 2)


def video_pixels(resolution: str, aspect_ratio: str, seconds: float) -> float:
    """Every pixel of every frame of a video: its short side is the resolution's lines (4k: 2160), its long side as
    the aspect ratio says."""
    short = 2160 if resolution == "4k" else int(resolution.rstrip("p"))
    wide, high = (int(side) for side in aspect_ratio.split(":"))
    return short * short * max(wide, high) / min(wide, high) * FRAMES_PER_SECOND * seconds


LINEUP: dict[str, LumaModel] = {
    model.name: model
    for model in (
        LumaModel(
            "ray-3.2",
            "agents",
            ("video", "extend", "edit", "reframe"),
            "Luma's newest video model: 5 s or 10 s, up to 1080p, HDR; edits (video-to-video) and reframes videos",
            {
                "resolution": ("720p", "360p", "540p", "1080p"),
                "duration": ("5s", "10s"),
                "aspect_ratio": ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9"),
                "hdr": ("false", "true"),
            },
            {
                **_table(("540p", "720p", "1080p"), _5s=(0.15, 0.30, 1.20), _10s=(0.45, 0.90, 3.60)),
                "5s 720p HDR": 0.60,
                "5s 1080p HDR": 2.40,
            },
            "Luma's Agents API pricing (360p, edits and reframes not published)",
        ),
        LumaModel(
            "uni-1",
            "agents",
            ("image", "edit", "layers"),
            "Luma's image model: 2K images from text and up to 9 reference images, edits, and layer splitting",
            _UNI1_OPTIONS,
            _images_in(0.0404, 0.0434, 0.0030),
            "Luma's Agents API pricing (layering not published)",
        ),
        LumaModel(
            "uni-1-max",
            "agents",
            ("image", "edit"),
            "Uni-1's higher-quality tier: 2K images and edits",
            _UNI1_OPTIONS,
            _images_in(0.1000, 0.1030, 0.0030),
            "Luma's Agents API pricing",
        ),
        LumaModel(
            "ray-2",
            "dream-machine",
            _DREAM_MACHINE_KINDS,
            "5 s or 9 s video, up to 4k",
            _DREAM_MACHINE_OPTIONS,
            {
                **_table(("540p", "720p", "1080p", "4k"), _5s=(0.57, 1.02, 2.27, 9.11), _9s=(1.03, 1.83, 4.10, 16.40)),
                "modify_video": modify_cost("ray-2", video_pixels("720p", "16:9", 5)),
                "reframe_video": 1.02,
            },
            _RAY2_EDITS,
        ),
        LumaModel(
            "ray-flash-2",
            "dream-machine",
            _DREAM_MACHINE_KINDS,
            "faster, cheaper ray-2",
            _DREAM_MACHINE_OPTIONS,
            {
                **_table(("540p", "720p", "1080p", "4k"), _5s=(0.20, 0.34, 0.79, 3.13), _9s=(0.36, 0.61, 1.42, 5.65)),
                "modify_video": modify_cost("ray-flash-2", video_pixels("720p", "16:9", 5)),
                "reframe_video": 0.34,
            },
            _RAY2_EDITS,
        ),
        LumaModel(
            "photon-1",
            "dream-machine",
            ("image", "edit", "reframe"),
            "Dream Machine image model: up to 2432 px, guided by weighted reference, style and character images; "
            "reframes images to a new aspect ratio",
            _PHOTON_OPTIONS,
            {"image": 0.0104, "reframe_image": 0.0104},
            _PHOTON,
        ),
        LumaModel(
            "photon-flash-1",
            "dream-machine",
            ("image", "edit", "reframe"),
            "faster, cheaper photon-1",
            _PHOTON_OPTIONS,
            {"image": 0.0027, "reframe_image": 0.0027},
            _PHOTON,
        ),
    )
}
VIDEO_MODELS: tuple[str, ...] = tuple(name for name, model in LINEUP.items() if "video" in model.kinds)
CONCEPT_KEYS: tuple[str, ...] = (
    "aerial",
    "aerial_drone",
    "bolt_cam",
    "crane_down",
    "crane_up",
    "dolly_zoom",
    "elevator_doors",
    "eye_level",
    "ground_level",
    "handheld",
    "high_angle",
    "low_angle",
    "orbit_left",
    "orbit_right",
    "over_the_shoulder",
    "overhead",
    "pan_left",
    "pan_right",
    "pedestal_down",
    "pedestal_up",
    "pov",
    "pull_out",
    "push_in",
    "roll_left",
    "roll_right",
    "selfie",
    "static",
    "tilt_down",
    "tilt_up",
    "tiny_planet",
    "truck_left",
    "truck_right",
    "zoom_in",
    "zoom_out",
)
"""The camera concept keys ray-2 and ray-flash-2 take, alphabetically: Luma publishes no list of its own, and its
concepts endpoint answers these 34 (luma-api.md §5.3). Prompt completions offer them from here, at once, rather than
ask Luma while a person types; list_concepts still asks Luma."""


@dataclass(frozen=True)
class CostEstimate:
    """What a job costs in USD by the lineup's prices, or None with `unknown_because` saying why."""

    usd: float | None
    unknown_because: str | None = None


def estimate_cost(model: str | None, request: Mapping[str, Any] | None) -> CostEstimate:
    """The price of the job sent as `request` (the body we sent, or the one Luma echoes) on `model`. Luma may name
    the model by an internal version (its docs' Photon answer says "photon-v1.0"): then the model the request
    names is priced."""
    known = LINEUP.get(model or "") or LINEUP.get(str((request or {}).get("model") or ""))
    if known is None or request is None:
        return CostEstimate(None, f"no price is known for model {model!r}" if request else "the request is not known")
    kind = str(request.get("type") or request.get("generation_type") or "video")
    if kind == "image" and known.api == "dream-machine":
        key = "image"  # Photon's price is one a picture, whatever it reads
    elif kind in ("image", "image_edit"):
        images_in = len(request.get("image_ref") or ()) + (kind == "image_edit")
        key = _images_in_key(images_in) if images_in else "image"
    elif kind == "video":
        video = request.get("video") if known.api == "agents" else request
        options = video if isinstance(video, Mapping) else {}
        if len(options.get("keyframes") or ()) > 1:
            return CostEstimate(None, f"Luma publishes no price for a video through several keyframes on {known.name}")
        defaults = known.options
        resolution = options.get("resolution") or defaults["resolution"][0]
        duration = options.get("duration") or defaults["duration"][0]
        key = f"{duration} {resolution}" + (" HDR" if options.get("hdr") else "")
    elif kind in known.prices_usd:  # a Dream Machine edit: one price a job
        key = kind
    else:
        return CostEstimate(None, f"Luma publishes no price for {kind} on {known.name}")
    price = known.prices_usd.get(key)
    if price is None:
        return CostEstimate(None, f"Luma publishes no price for {key} on {known.name}")
    return CostEstimate(price)


def default_image_model(apis: Collection[Api]) -> Literal["uni-1", "photon-1"]:
    """Luma's best image model the caller has a key for: Uni-1 with an Agents key, else Photon."""
    return "uni-1" if "agents" in apis else "photon-1"


def default_video_model(apis: Collection[Api]) -> Literal["ray-3.2", "ray-2"]:
    """Luma's best video model the caller has a key for: Ray 3.2 with an Agents key, else Ray 2."""
    return "ray-3.2" if "agents" in apis else "ray-2"
