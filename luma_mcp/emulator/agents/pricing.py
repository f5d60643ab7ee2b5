"""What an Agents API generation costs in USD cents, so a client whose balance runs out gets 402.

The figures are Luma's pricing page (luma-agents-api.md §11). Where Luma publishes none (360p, 10 s HDR, edits,
reframes, layering) the price is inferred from the nearest published one, as each entry says.
"""

from __future__ import annotations

from luma_mcp.emulator.agents.validation import GenerationRequest

_IMAGE_CENTS = {"uni-1": 4.04, "uni-1-max": 10.00}
_WITH_IMAGES_CENTS = {"uni-1": 4.34, "uni-1-max": 10.30}
"""With one image in (a reference, or an edit's source); each further image adds ``_PER_EXTRA_IMAGE_CENTS``."""
_PER_EXTRA_IMAGE_CENTS = 0.30
# inferred: Luma prices layering per layer and 2k above 1k, without figures; one edit per resolution step here.
_LAYERING_CENTS = {"1k": 4.34, "2k": 8.68}
_VIDEO_5S_CENTS = {"360p": 7.5, "540p": 15.0, "720p": 30.0, "1080p": 120.0}  # 360p inferred: half of 540p
_TEN_SECONDS_FACTOR = 3.0
"""A 10 s SDR video costs three 5 s ones; taken to hold for HDR too (inferred)."""
_HDR_FACTOR = 2.0
_EXR_FACTOR = 1.5


def price_cents(request: GenerationRequest) -> float:
    if request.type == "layering":
        return _LAYERING_CENTS[request.layering_resolution or "1k"]
    video = request.video
    if video is None:
        if request.images_in == 0:
            return _IMAGE_CENTS[request.model]
        return _WITH_IMAGES_CENTS[request.model] + _PER_EXTRA_IMAGE_CENTS * (request.images_in - 1)
    # inferred: an edit or a reframe is priced as a video of the same resolution and (at most) 5 s
    cents = _VIDEO_5S_CENTS[video.resolution]
    if request.type == "video" and video.duration == "10s":
        cents *= _TEN_SECONDS_FACTOR
    if video.hdr:
        cents *= _HDR_FACTOR
    if video.exr_export:
        cents *= _EXR_FACTOR
    return round(cents, 2)
