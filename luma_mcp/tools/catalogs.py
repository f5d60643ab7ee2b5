"""The camera vocabulary: concept keys and camera-motion phrases for prompts."""

from ..errors import NotFoundError
from ..results import CameraMotionList, ConceptList
from .call import luma

# Luma's camera_motion/list endpoint left the API spec in 2025; these phrases still steer the camera in prompts.
BUILT_IN_CAMERA_MOTIONS = (
    "camera orbit left",
    "camera orbit right",
    "camera pan left",
    "camera pan right",
    "camera pan up",
    "camera pan down",
    "camera tilt up",
    "camera tilt down",
    "camera push in",
    "camera pull out",
    "camera zoom in",
    "camera zoom out",
    "camera dolly in",
    "camera dolly out",
    "camera crane up",
    "camera crane down",
    "camera truck left",
    "camera truck right",
    "static camera",
    "handheld camera",
    "aerial drone shot",
    "slow dolly zoom",
)


async def list_concepts() -> ConceptList:
    """List the camera concept keys create_generation accepts in its concepts list (e.g. dolly_zoom)."""
    return ConceptList(concepts=await luma().list_concepts())


async def list_camera_motions() -> CameraMotionList:
    """List camera-motion phrases to write into a prompt, e.g. 'camera orbit left'."""
    try:
        return CameraMotionList(camera_motions=await luma().list_camera_motions(), source="luma")
    except NotFoundError:
        return CameraMotionList(camera_motions=list(BUILT_IN_CAMERA_MOTIONS), source="built-in")
