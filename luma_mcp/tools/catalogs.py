"""What the account offers: the camera vocabulary and the credit balance."""

from ..errors import NotFoundError
from ..results import CameraMotionList, ConceptList, CreditBalance
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


async def get_credits() -> CreditBalance:
    """Show the Luma API credit balance left on the user's account."""
    credits = await luma().get_credits()
    return CreditBalance(
        credit_balance_cents=credits.credit_balance, credit_balance_usd=round(credits.credit_balance / 100, 2)
    )
