"""What there is to choose from: Luma's models on the keys configured, and the camera vocabulary for prompts."""

from ..accounts import current_caller
from ..errors import NotFoundError
from ..errors.wording import key_to_unlock
from ..lineup import LINEUP, default_image_model, default_video_model
from ..results import CameraMotionList, ConceptList, ModelInfo, ModelList
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


async def list_models() -> ModelList:
    """List Luma's video and image models: which API serves each, what each makes, options and prices.

    Each says whether this server has its API's key (and which key unlocks it if not), and what it makes: video,
    extend, edit, reframe, image, layers, upscale or audio."""
    apis = set(current_caller().accounts)
    return ModelList(
        models=[
            ModelInfo(
                name=model.name,
                api=model.api,
                available=model.api in apis,
                key_needed=None if model.api in apis else key_to_unlock(model.api),
                kinds=list(model.kinds),
                summary=model.summary,
                options={name: list(values) for name, values in model.options.items()},
                prices_usd=dict(model.prices_usd),
                price_source=model.price_source,
            )
            for model in LINEUP.values()
        ],
        default_video_model=default_video_model(apis),
        default_image_model=default_image_model(apis),
    )
