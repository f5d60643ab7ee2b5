"""What a generation costs in USD cents, so ``GET /credits`` goes down per create and back up on failure.

Luma publishes no per-video API price; these are the figures ComfyUI charges for a Luma create (luma-api.md §9).
"""

from __future__ import annotations

DEFAULT_RESOLUTION = "720p"
DEFAULT_DURATION = "5s"
ADD_AUDIO_PRICE_CENTS = 20.0
"""No published price; a flat fee keeps audio visible on the balance."""

IMAGE_PRICE_CENTS = {"photon-1": 1.04, "photon-flash-1": 0.27}
"""ComfyUI's figures for one Photon image, as for videos."""
_PRICE_CENTS: dict[tuple[str, str], dict[str, float]] = {
    ("ray-flash-2", "5s"): {"540p": 20.0, "720p": 34.0, "1080p": 79.0, "4k": 313.0},
    ("ray-flash-2", "9s"): {"540p": 36.0, "720p": 61.0, "1080p": 142.0, "4k": 565.0},
    ("ray-2", "5s"): {"540p": 57.0, "720p": 102.0, "1080p": 227.0, "4k": 911.0},
    ("ray-2", "9s"): {"540p": 103.0, "720p": 183.0, "1080p": 410.0, "4k": 1640.0},
}


def video_price_cents(model: str, resolution: str | None, duration: str | None) -> float:
    """The price of a video of this model, resolution and duration."""
    row = (model, duration or DEFAULT_DURATION)
    return _PRICE_CENTS[row][resolution or DEFAULT_RESOLUTION]


EDIT_PRICE_CENTS: dict[tuple[str, str], float] = {
    ("modify_video", "ray-2"): 175.0,
    ("modify_video", "ray-flash-2"): 60.0,
    ("reframe_video", "ray-2"): 102.0,
    ("reframe_video", "ray-flash-2"): 34.0,
    ("reframe_image", "photon-1"): 1.04,
    ("reframe_image", "photon-flash-1"): 0.27,
}
"""A modify at Luma's price for a 5 s 720p source; a reframe as a 5 s 720p video or a Photon image (§9)."""
