"""The values Luma's video API accepts, as documented (see docs/luma-api.md §4.1 and §5.3)."""

from __future__ import annotations

# ray-1-6 left the spec on 2026-01-07 (luma-api.md §1); Luma is taken to refuse it like any unknown model.
MODELS = ("ray-2", "ray-flash-2")
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
DURATIONS = ("5s", "9s")
PHOTON_MODELS = ("photon-1", "photon-flash-1")
IMAGE_FORMATS = ("jpg", "png")
MAX_IMAGE_REFS = 4
"""Luma's docs: up to 4 reference images, and up to 4 images of one person for a character (luma-api.md §4.2)."""
MODIFY_MODES = tuple(f"{mode}_{level}" for mode in ("adhere", "flex", "reimagine") for level in (1, 2, 3))
REFRAME_IMAGE_MODELS = PHOTON_MODELS

# The keys Replicate's ray-2 schema, ComfyUI and apiframe all agree on; Luma publishes no list of its own.
CONCEPT_KEYS = (
    "truck_left",
    "pan_right",
    "pedestal_down",
    "low_angle",
    "pedestal_up",
    "selfie",
    "pan_left",
    "roll_right",
    "zoom_in",
    "over_the_shoulder",
    "orbit_right",
    "orbit_left",
    "static",
    "tiny_planet",
    "high_angle",
    "bolt_cam",
    "dolly_zoom",
    "overhead",
    "zoom_out",
    "handheld",
    "roll_left",
    "pov",
    "aerial_drone",
    "push_in",
    "crane_down",
    "truck_right",
    "tilt_down",
    "elevator_doors",
    "tilt_up",
    "ground_level",
    "pull_out",
    "aerial",
    "crane_up",
    "eye_level",
)

# What the retired camera_motion/list endpoint used to return: phrases meant to be written into the prompt.
CAMERA_MOTIONS = (
    "camera orbit left",
    "camera orbit right",
    "camera pan left",
    "camera pan right",
    "camera pan up",
    "camera pan down",
    "camera push in",
    "camera pull out",
    "camera zoom in",
    "camera zoom out",
    "camera tilt up",
    "camera tilt down",
    "camera dolly in",
    "camera dolly out",
    "camera crane up",
    "camera crane down",
)
