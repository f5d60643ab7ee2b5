"""Luma's models: which API serves each, what each makes, its options, and what it costs. The model a user picks
decides the API.

Prices are USD a video. Ray 3.2's are Luma's Agents API pricing page (luma-agents-api.md §11); Luma publishes no
Dream Machine video prices, so ray-2's and ray-flash-2's are a third party's table (ComfyUI's, luma-api.md §9), an
estimate, and said to be one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from .settings import Api


@dataclass(frozen=True)
class LumaModel:
    name: str
    api: Api
    kinds: tuple[str, ...]
    """What it makes: video, extend, upscale, audio (Dream Machine); video, extend (Agents, so far)."""
    summary: str
    options: Mapping[str, tuple[str, ...]]
    """Each option's allowed values, the default first."""
    prices_usd: Mapping[str, float]
    """USD a video, by `"<duration> <resolution>"` (and `" HDR"`); what is not listed has no known price."""
    price_source: str


_DREAM_MACHINE_KINDS = ("video", "extend", "upscale", "audio")
_DREAM_MACHINE_OPTIONS = {
    "resolution": ("720p", "540p", "1080p", "4k"),
    "duration": ("5s", "9s"),
    "aspect_ratio": ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"),
}
_THIRD_PARTY = "estimate from a third party's table (ComfyUI); Luma publishes no Dream Machine video prices"


def _table(resolutions: tuple[str, ...], **by_duration: tuple[float, ...]) -> dict[str, float]:
    return {
        f"{duration.lstrip('_')} {resolution}": price
        for duration, prices in by_duration.items()
        for resolution, price in zip(resolutions, prices, strict=True)
    }


LINEUP: dict[str, LumaModel] = {
    model.name: model
    for model in (
        LumaModel(
            "ray-3.2",
            "agents",
            ("video", "extend"),
            "Luma's newest video model: 5 s or 10 s, up to 1080p, HDR",
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
            "Luma's Agents API pricing (360p not published)",
        ),
        LumaModel(
            "ray-2",
            "dream-machine",
            _DREAM_MACHINE_KINDS,
            "5 s or 9 s video, up to 4k",
            _DREAM_MACHINE_OPTIONS,
            _table(("540p", "720p", "1080p", "4k"), _5s=(0.57, 1.02, 2.27, 9.11), _9s=(1.03, 1.83, 4.10, 16.40)),
            _THIRD_PARTY,
        ),
        LumaModel(
            "ray-flash-2",
            "dream-machine",
            _DREAM_MACHINE_KINDS,
            "faster, cheaper ray-2",
            _DREAM_MACHINE_OPTIONS,
            _table(("540p", "720p", "1080p", "4k"), _5s=(0.20, 0.34, 0.79, 3.13), _9s=(0.36, 0.61, 1.42, 5.65)),
            _THIRD_PARTY,
        ),
    )
}
VIDEO_MODELS: tuple[str, ...] = tuple(name for name, model in LINEUP.items() if "video" in model.kinds)


def default_video_model(apis: Collection[Api]) -> Literal["ray-3.2", "ray-2"]:
    """Luma's best video model the caller has a key for: Ray 3.2 with an Agents key, else Ray 2."""
    return "ray-3.2" if "agents" in apis else "ray-2"
