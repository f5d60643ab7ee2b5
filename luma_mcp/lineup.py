"""Luma's models: which API serves each, and what each makes. The model a user picks decides the API."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from .settings import Api


@dataclass(frozen=True)
class LumaModel:
    name: str
    api: Api
    kinds: tuple[str, ...]
    """What it makes: video, extend, upscale, audio (Dream Machine); video, extend, edit, reframe, image, layers."""
    summary: str


LINEUP: dict[str, LumaModel] = {
    model.name: model
    for model in (
        LumaModel("ray-3.2", "agents", ("video", "extend"), "Luma's newest video model: 5 s or 10 s, up to 1080p, HDR"),
        LumaModel("ray-2", "dream-machine", ("video", "extend", "upscale", "audio"), "5 s or 9 s video, up to 4k"),
        LumaModel("ray-flash-2", "dream-machine", ("video", "extend", "upscale", "audio"), "faster, cheaper ray-2"),
    )
}
VIDEO_MODELS: tuple[str, ...] = tuple(name for name, model in LINEUP.items() if "video" in model.kinds)


def default_video_model(apis: Collection[Api]) -> Literal["ray-3.2", "ray-2"]:
    """Luma's best video model the caller has a key for: Ray 3.2 with an Agents key, else Ray 2."""
    return "ray-3.2" if "agents" in apis else "ray-2"
