"""The values the Agents API accepts and the limits it sets (luma-agents-api.md §3-§9, SDK 0.5.0 enums)."""

from __future__ import annotations

API_VERSION = "2026-04-01"
"""Sent as ``X-API-Version`` on every response (§1)."""

MODELS = ("uni-1", "uni-1-max", "ray-3.2")
TYPES = ("image", "image_edit", "video", "video_edit", "video_reframe", "layering")
TYPES_BY_MODEL = {
    "uni-1": ("image", "image_edit", "layering"),
    "uni-1-max": ("image", "image_edit"),
    "ray-3.2": ("video", "video_edit", "video_reframe"),
}
DEFAULT_MODEL = "uni-1"
DEFAULT_TYPE = "image"
IMAGE_TYPES = ("image", "image_edit")
SOURCE_TYPES = ("image_edit", "video_edit", "video_reframe", "layering")
"""The types that take (and require) ``source``."""
VIDEO_SOURCE_TYPES = ("video_edit", "video_reframe")

# uni-1 documents nine ratios; whether it now takes the SDK's 21:9, 4:3 and 3:4 too is an open question (§4.1).
IMAGE_ASPECT_RATIOS = ("3:1", "2:1", "16:9", "3:2", "1:1", "2:3", "9:16", "1:2", "1:3")
VIDEO_ASPECT_RATIOS = ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9")
MANGA_ASPECT_RATIOS = ("2:3", "9:16", "1:2", "1:3")
REFRAME_1080P_COMING_SOON = ("9:16", "3:4")
"""Portrait targets that ``video_reframe`` cannot render at 1080p yet (§4.5)."""

PROMPT_MAX_LENGTH = 6000
LAYERING_PROMPT_MAX_LENGTH = 500
USER_ID_MAX_LENGTH = 256
MAX_IMAGE_REFS = {"image": 9, "image_edit": 8}
STYLES = ("auto", "manga")
OUTPUT_FORMATS = ("png", "jpeg")
LAYERING_RESOLUTIONS = ("1k", "2k")

RESOLUTIONS = ("360p", "540p", "720p", "1080p")
HDR_RESOLUTIONS = ("720p", "1080p")
DEFAULT_RESOLUTION = "720p"
DURATION_SECONDS = {"5s": 5, "10s": 10}
DEFAULT_DURATION = "5s"
FRAMES_PER_SECOND = 24
"""Keyframe indexes count frames of the output (``type=video``) or source (``video_edit``) at this rate."""
MAX_KEYFRAMES = 64
MAX_VIDEO_SOURCE_SECONDS = 18
EDIT_STRENGTHS = tuple(f"{kind}_{level}" for kind in ("adhere", "flex", "reimagine") for level in (1, 2, 3))
POSE_STRENGTHS = ("precise", "coarse")
EDIT_CONTROLS = {
    "depth": ("blur",),
    "face": (),
    "normals": ("augmentation",),
    "pose": (),
    "trajectory": ("sparsity",),
}
"""Each video edit control and its 0-1 amounts; every control also takes ``enabled`` (pose takes ``strength``)."""

# The reason Luma gives with each failure code, where the note records one; the others are inferred.
FAILURE_REASONS = {
    "content_moderated": "Generation output was flagged by our content moderation system.",
    "generation_failed": "Generation failed",
    "budget_exhausted": "Insufficient credits to complete this generation.",
    "output_not_found": "Output artifacts not found",
    "image_too_large": "An input exceeded the size limit during processing",  # inferred
    "unsupported_format": "An input is in an unsupported format",  # inferred
    "corrupt_input": "An input could not be decoded",  # inferred
    "invalid_request": "The request was rejected during processing",  # inferred
    "rate_limited": "The generation was throttled after it was accepted",  # inferred
}
FAILURE_CODES = tuple(FAILURE_REASONS)
UNREFUNDED_FAILURE_CODES = ("budget_exhausted",)
"""Failures that keep their charge (the FAQ says a partial charge is possible); every other failure is refunded."""

IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
# Luma lists the image formats (§5); these video containers are inferred from the "video/*" wording of the SDK.
VIDEO_MEDIA_TYPES = ("video/mp4", "video/quicktime", "video/webm")
FILE_PURPOSES = ("input", "reference")
FILE_STATES = ("pending", "ready", "failed", "deleted")
MAX_FILE_BYTES = 5 * 1024**3
"""The S3 single-PUT ceiling (§7)."""
FILE_PAGE_SIZE = 25
MAX_FILE_PAGE_SIZE = 100
