"""The mechanics every tool call shares: the account it acts for (`luma_mcp.account`), its progress
(`progress.py`), starting a paid job, and the common ending of every tool that starts or looks at a generation:
waiting, a failure as an error, the next step, the result and its links."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from mcp.types import CallToolResult, ResourceLink, TextContent
from mcp_types.version import is_version_at_least

from ..account import Account
from ..accounts import current_caller
from ..backend import Job, LumaReads, kind_and_body
from ..context import AppCtx, app_of
from ..errors import NotFoundError
from ..errors.wording import deleted_while_waiting, generation_failed, source_of_other_api
from ..ledger import Kept
from ..models import Generation, is_generation_id
from ..results import GenerationResult, file_links, generation_link
from ..spending import Price, price_of
from ..timing import time_left
from .confirm import Answer, ask, not_confirmed, not_created, question
from .media import CheckedMedia, MediaKind, checked_media
from .progress import Progress


@dataclass
class Handoff:
    """A paid call answered with a task (see `luma_mcp.tasks`): the generation Luma accepted, handed over as soon
    as it did rather than waited for."""

    created: Callable[[Account, Generation], None]
    """Told of the generation and the account that made it at once, while the call still holds that account."""
    generation: Generation | None = None
    note: str | None = None


_handoff: ContextVar[Handoff | None] = ContextVar("luma_mcp_handoff", default=None)


@contextmanager
def handed_over_once_created(created: Callable[[Account, Generation], None]) -> Iterator[Handoff]:
    """Within the block, a paid tool does not wait for the generation it starts: it hands it over here."""
    handoff = Handoff(created)
    token = _handoff.set(handoff)
    try:
        yield handoff
    finally:
        _handoff.reset(token)


LINKS_SINCE = "2025-06-18"
"""The revision that brought `resource_link` content blocks: a client of an earlier one would refuse a whole result
that carries one, a paid create's included."""


async def links(ctx: AppCtx, generation_id: str, saved: Iterable[str] = ()) -> list[ResourceLink]:
    """Links to a generation's resource and to every file it was saved to, for a client whose revision has them."""
    version = ctx.protocol_version
    if version is None or not is_version_at_least(version, LINKS_SINCE):
        return []
    return [generation_link(generation_id), *await file_links(saved)]


def account() -> Account:
    """The account the current call acts for (leased by the server for the call). Until a model's API decides
    (the Agents API's tools), every tool acts on the Dream Machine API."""
    return current_caller().account_for("dream-machine")


def luma() -> LumaReads:
    """What the Luma API of the current call's account tells without changing anything (see `Account.reads`)."""
    return account().reads


async def agents_source(
    value: str, argument: str, kind: MediaKind, *, model: str, tool: str, max_seconds: float | None = None
) -> CheckedMedia:
    """The image or video an Agents API job changes (a local video at most `max_seconds` long). The source's API
    decides: a generation this server made on the Dream Machine API is refused by name rather than sent to a model
    of the other API."""
    caller = current_caller()
    if is_generation_id(value) and len(caller.accounts) > 1:
        made = await caller.made_by(value)
        if made is not None and made.api != "agents":
            raise source_of_other_api(value, model, tool, argument)
    return await checked_media(value, argument, kind, max_seconds=max_seconds)


class ToolCall:
    """One tool call: the account it acts for and the progress it reports. The call's deadline is set by the
    server (see `luma_mcp.timing`); waiting for a video ends there."""

    def __init__(self, ctx: AppCtx, on: Account | None = None) -> None:
        self.account: Account = on or account()
        self.progress = Progress(ctx)
        self._ctx = ctx

    async def start(self, job: Job, wait: bool) -> CallToolResult:
        """Start a paid job (queued here while Luma's limits say so), then end as `finish` does. A job the daily
        spending cap refuses is refused before the user is asked to confirm its cost; one the user declines ends
        as a normal result, with nothing sent."""
        api = self.account.api
        price = price_of(job, api)
        await self.account.check_spending(price)
        threshold = app_of(self._ctx).settings.confirm_above_usd
        note = None
        if threshold is not None and price.counted_usd > threshold:
            answer = await ask(self._ctx, question(price, api, threshold, kind_and_body(job)[1].get("prompt")))
            if answer in (Answer.DECLINED, Answer.UNANSWERED):
                return not_created(answer, price, api)
            if answer is Answer.CANNOT_ASK:
                note = not_confirmed(price, api, threshold)
        generation = await self.account.start(job, report=self.progress.report)
        handoff = _handoff.get()
        if handoff is not None:
            handoff.generation, handoff.note = generation, note
            handoff.created(self.account, generation)
            wait = False
        return await self.finish(generation, wait, note, price=price)

    async def finish(
        self, generation: Generation, wait: bool, note: str | None = None, *, price: Price | None = None
    ) -> CallToolResult:
        """The common ending of every tool that starts or looks at a generation. Its result states the estimate made
        when it was created (a create's `price`, or the ledger's), which may know more than Luma's echo of the
        request does (a modify's source)."""
        if wait and not generation.is_terminal:
            remaining = time_left()
            try:
                on_update = self.progress.on_update if self.progress.asked else None
                generation = await self.account.wait(generation, timeout=remaining, on_update=on_update)
            except NotFoundError as exc:
                raise deleted_while_waiting(generation.id, exc) from exc
        if generation.state == "failed":
            raise generation_failed(generation.id, generation.failure_reason)
        next_step = None
        if not generation.is_terminal:
            waited = f"Still {generation.state} after {self.progress.elapsed:.0f} s. " if wait else ""
            makes = (
                "image (images usually take 15-60 seconds)"
                if generation.makes_image
                else "video (videos usually take 1-3 minutes)"
            )
            next_step = (
                f"{waited}Call get_generation with generation_id='{generation.id}' and wait=true to wait for the "
                f"{makes}. Do not create it again."
            )
        result = GenerationResult.of(generation, next_step)
        # A create's own result has its price, and nothing saved yet: the ledger is read for a look alone.
        kept = await self.account.kept(generation.id) if price is None else Kept()
        estimate = price.usd if price is not None else kept.estimated_cost_usd
        if estimate is not None:
            result = result.model_copy(update={"estimated_cost_usd": estimate, "estimated_cost_note": None})
        text = f"{result.summary()} {note}" if note else result.summary()
        saved = kept.files if generation.state == "completed" else []
        return CallToolResult(
            content=[TextContent(type="text", text=text), *await links(self._ctx, generation.id, saved)],
            structured_content=result.model_dump(mode="json"),
        )
