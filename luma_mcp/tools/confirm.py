"""Asking the user to confirm a create whose estimate is above `LUMA_MCP_CONFIRM_ABOVE_USD`, in whichever way the
client's protocol era asks: a 2025-era client is sent a form elicitation in the middle of the call; a 2026-era
client gets an input-required result, asks the user, and calls the tool again with the answer. A client that cannot
ask at all has the call go ahead, and its result states the cost."""

from __future__ import annotations

import hashlib
from enum import Enum

import anyio
from mcp.shared.exceptions import MCPError, NoBackChannelError
from mcp.types import (
    CallToolResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequiredResult,
    TextContent,
)
from mcp_types.version import is_version_at_least

from ..context import AppCtx
from ..errors.wording import usd
from ..results import GenerationResult
from ..spending import Price
from ..timing import time_left

ANSWER_KEY = "confirm_cost"
"""Where a 2026-era client puts the user's answer (`input_responses`)."""
NOTHING_TO_FILL = {"type": "object", "properties": {}}
"""The form shown is the question alone: accepting or declining it is the answer."""
INPUT_REQUIRED_SINCE = "2026-07-28"


class Answer(Enum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANNOT_ASK = "cannot ask"
    UNANSWERED = "unanswered"
    """No answer came within the call's time limit (or the client failed to ask)."""


class AskTheUser(Exception):
    """Raised to end a 2026-era call with `result`: the server hands it to the client, which calls again with the
    user's answer. An exception, so the tools that start jobs keep returning one kind of result."""

    def __init__(self, result: InputRequiredResult) -> None:
        super().__init__("the user is asked to confirm a cost")
        self.result = result


def question(price: Price, api: str, threshold: float, prompt: object) -> str:
    what = f"a {price.kind} on {price.model}" if price.model else f"a {price.kind}"
    about = f' ("{prompt[:200]}")' if isinstance(prompt, str) and prompt else ""
    return (
        f"Create {what}{about}? It is {price.described(api)}, above "
        f"the {usd(threshold)} set to be confirmed (LUMA_MCP_CONFIRM_ABOVE_USD). Accept to create it; decline to "
        "send nothing."
    )


async def ask(ctx: AppCtx, text: str) -> Answer:
    """The user's answer to `text`, asked as the client's protocol era allows."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare `elicitation: {}` (from before modes existed) means forms; a client offering URLs alone cannot answer.
    can_ask = elicitation is not None and (elicitation.form is not None or elicitation.url is None)
    version = ctx.protocol_version
    if version is not None and is_version_at_least(version, INPUT_REQUIRED_SINCE):
        asked = hashlib.sha256(text.encode()).hexdigest()
        answer = (ctx.input_responses or {}).get(ANSWER_KEY)
        # The answer counts for this very question only (`request_state`, sealed by the SDK, names the one asked).
        if isinstance(answer, ElicitResult) and ctx.request_state == asked:
            return Answer.ACCEPTED if answer.action == "accept" else Answer.DECLINED
        if not can_ask:
            return Answer.CANNOT_ASK
        request = ElicitRequest(params=ElicitRequestFormParams(message=text, requested_schema=NOTHING_TO_FILL))
        raise AskTheUser(InputRequiredResult(input_requests={ANSWER_KEY: request}, request_state=asked))
    if not can_ask:
        return Answer.CANNOT_ASK
    # The user's answer is awaited within the call's time limit, so a slow one ends the call saying nothing was
    # sent, rather than the call being cut off with its create's outcome unknown.
    with anyio.move_on_after(time_left()):
        try:
            result = await ctx.request_context.session.elicit_form(
                text, NOTHING_TO_FILL, related_request_id=ctx.request_id
            )
        except NoBackChannelError:
            return Answer.CANNOT_ASK
        except MCPError:
            return Answer.UNANSWERED  # the client said it could ask, then could not: nothing is spent unasked
        return Answer.ACCEPTED if result.action == "accept" else Answer.DECLINED
    return Answer.UNANSWERED


def not_created(answer: Answer, price: Price, api: str) -> CallToolResult:
    """The normal result (not an error) of a create the user declined, or did not answer about in time."""
    text = _not_created(answer, price, api)
    result = GenerationResult(
        id="",
        api=api,
        state="declined" if answer is Answer.DECLINED else "unanswered",
        model=price.model,
        generation_type=price.kind,
        estimated_cost_usd=price.usd,
        estimated_cost_note=price.unknown_because,
        next_step=text,
    )
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=result.model_dump(mode="json")
    )


def _not_created(answer: Answer, price: Price, api: str) -> str:
    cost = price.described(api)
    if answer is Answer.UNANSWERED:
        return (
            f"Not created: no answer came from the user in time whether to spend on it ({cost}). Nothing was sent to "
            "Luma and nothing was charged. Ask the user, and call again if they want it."
        )
    return (
        f"Not created: the user declined it ({cost}). Nothing was sent to Luma and nothing was charged. Do not create "
        "it again unless the user asks for it."
    )


def not_confirmed(price: Price, api: str, threshold: float) -> str:
    return (
        f"This client cannot ask the user to confirm costs, so it was created unconfirmed: it is "
        f"{price.described(api)}, above the {usd(threshold)} set to be "
        "confirmed (LUMA_MCP_CONFIRM_ABOVE_USD)."
    )
