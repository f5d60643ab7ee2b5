"""Completions: what a client suggests while a person fills in a prompt's arguments, or the id in a generation's
URI, filtered by what they have typed so far.

Prompt arguments are completed from what the server knows by heart (the lineup's models and their aspect ratios,
Luma's camera concept keys, the storyboard's shot counts), so they answer at once and never fail. A generation id
is completed from the caller's own recent generations, read with the caller's own keys (over HTTP, the ones their
request brings), so one person is never offered another's ids; a key that is missing or refused, or Luma being slow
(`TimePolicy.completion`), leaves the list empty rather than failing what the person is typing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import anyio
from mcp.server import MCPServer, ServerRequestContext
from mcp.types import (
    CompleteRequestParams,
    CompleteResult,
    Completion,
    PromptReference,
    ResourceTemplateReference,
)

from .context import AppContext, app_of
from .errors import LumaMCPError
from .lineup import CONCEPT_KEYS, LINEUP, VIDEO_MODELS
from .prompts import PROMPTS
from .resources import RECENT_LIMIT
from .sdk_internals import add_request_handler
from .subscriptions import generation_uri
from .timing import Deadline, within

MAX_VALUES = 100
"""The most values one completion may carry (the protocol's limit)."""
SHOT_COUNTS = ("2", "3", "4", "5")
PROMPT_NAMES = frozenset(prompt.__name__ for prompt, _ in PROMPTS)
GENERATION_ID = (generation_uri("{generation_id}"), "generation_id")
"""The generation resource's template, and the name of its one argument."""


def register_completions(server: MCPServer[AppContext]) -> None:
    """Registered on the low-level server, where a handler gets the request, hence the caller's keys (the public
    `MCPServer.completion` hands a handler only what is being completed)."""
    add_request_handler(server, "completion/complete", CompleteRequestParams, _complete)


async def _complete(ctx: ServerRequestContext[AppContext], params: CompleteRequestParams) -> CompleteResult:
    ref, argument = params.ref, params.argument
    choices: Sequence[str] = ()
    if isinstance(ref, PromptReference) and ref.name in PROMPT_NAMES:
        choices = prompt_choices(argument.name, (params.context and params.context.arguments) or {})
    elif isinstance(ref, ResourceTemplateReference) and (ref.uri, argument.name) == GENERATION_ID:
        choices = await _recent_ids(ctx)
    typed = argument.value.lower()
    matching = [choice for choice in choices if choice.lower().startswith(typed)]
    return CompleteResult(
        completion=Completion(values=matching[:MAX_VALUES], total=len(matching), has_more=len(matching) > MAX_VALUES)
    )


def prompt_choices(argument: str, chosen: Mapping[str, str]) -> Sequence[str]:
    """The values a prompt argument takes; an aspect ratio's are the chosen model's, or any video model's."""
    if argument == "model":
        return VIDEO_MODELS
    if argument == "aspect_ratio":
        models = [chosen["model"]] if chosen.get("model") in VIDEO_MODELS else VIDEO_MODELS
        return list(dict.fromkeys(ratio for model in models for ratio in LINEUP[model].options["aspect_ratio"]))
    if argument == "camera_concept":
        return CONCEPT_KEYS
    if argument == "shots":
        return SHOT_COUNTS
    return ()


async def _recent_ids(ctx: ServerRequestContext[AppContext]) -> list[str]:
    """The ids of the caller's newest generations, as `luma://generations` lists them; none when they cannot be
    had in time."""
    app = app_of(ctx)
    seconds = app.settings.timing.completion
    with anyio.move_on_after(seconds + app.settings.timing.overrun), within(Deadline.after(seconds)):
        try:
            async with app.accounts.lease(getattr(ctx.request, "headers", None)) as caller:
                found, _ = await caller.recent(limit=RECENT_LIMIT, offset=0)
        except LumaMCPError:
            return []
        return [generation.id for generation in found]
    return []
