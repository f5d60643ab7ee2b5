"""What a create counts as against the daily spending cap (`LUMA_MCP_MAX_SPEND_USD`) and the confirmation threshold
(`LUMA_MCP_CONFIRM_ABOVE_USD`): its estimated price, or, where the lineup knows none, the highest price the lineup
knows on its API, so that a job nobody can price never slips under either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .backend import Job, kind_and_body
from .errors.wording import priced_at, source_of_unknown_size
from .ledger import Spending
from .lineup import LINEUP, MODIFY_MAX_SOURCE_SECONDS, estimate_cost, modify_cost, video_pixels
from .models import ModifyVideoRequest


@dataclass(frozen=True)
class Price:
    """A create's estimated price (`usd`, None with `unknown_because` when there is none) and what it counts as."""

    model: str | None
    kind: str
    usd: float | None
    unknown_because: str | None
    counted_usd: float
    """The estimate, else the highest known price of the job's API; or, for a job whose price turns on what Luma
    finds when it fetches the source, the most that can cost (`counted_as` says why)."""
    counted_as: str | None = None

    def described(self, api: str) -> str:
        """The price as the guard counts it, in the words the user and the model read."""
        return priced_at(self.usd, self.unknown_because, self.counted_usd, api, self.counted_as)


def price_of(job: Job, api: str) -> Price:
    if isinstance(job, ModifyVideoRequest):
        return _modify_price(job)
    kind, request = kind_and_body(job)
    model = request.get("model")
    model = model if isinstance(model, str) else None
    cost = estimate_cost(model, {"type": kind, **request})
    if cost.usd is not None:
        return Price(model, kind, cost.usd, None, cost.usd)
    # A job that names no model (an upscale, a soundtrack) is priced by its kind alone.
    because = cost.unknown_because if model else f"Luma publishes no price for {kind} on the {api} API"
    return Price(model, kind, None, because, highest_price(api))


def _modify_price(job: ModifyVideoRequest) -> Price:
    """Luma charges a modify by its source's pixels: known for a video of ours. A source of unknown size is
    estimated as 5 s of 720p (Luma's own example), and counted as the largest video Ray 2 makes (4k, 21:9) as long
    as the model takes, so neither the cap nor the confirmation can be passed by a large one."""
    if job.source_pixels is not None:
        usd = modify_cost(job.model, job.source_pixels)
        return Price(job.model, job.generation_type, usd, None, usd)
    seconds = MODIFY_MAX_SOURCE_SECONDS[job.model]
    most = modify_cost(job.model, video_pixels("4k", "21:9", seconds))
    usd = LINEUP[job.model].prices_usd[job.generation_type]
    return Price(job.model, job.generation_type, usd, None, most, source_of_unknown_size(job.model, seconds))


def highest_price(api: str) -> float:
    """The dearest output the lineup prices on `api`."""
    return max(price for model in LINEUP.values() if model.api == api for price in model.prices_usd.values())


def counted_spending(spending: Spending, api: str) -> float:
    """What the cap counts as spent: each generation as counted when it was made (see `Price.counted_usd`), one
    with no count kept (or a create whose answer was lost, perhaps charged) at the highest known price of the API,
    and the creates held against the cap."""
    uncounted = (spending.uncounted + spending.outcome_unknown) * highest_price(api)
    return round(spending.counted_usd + uncounted + spending.held_usd, 4)


def start_of_today() -> datetime:
    """Midnight UTC: the spending cap is per UTC day."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
