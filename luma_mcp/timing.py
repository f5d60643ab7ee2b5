"""Time limits, all in one place: how long one call may take, and how long each kind of request may take in it.

MCP clients cut a tool call off after 60 s or so (some sooner), and a call that outlives its client helps nobody.
So each tool call and resource read gets one `Deadline`, LUMA_MCP_MAX_WAIT after it starts, and everything done
for it takes the smaller of its own cap and the time left: Luma requests, retries, the wait for a free create
slot, the search for a create whose answer was lost, and a download (which goes on in the background if it
cannot finish in time). The server cuts off whatever still runs `overrun` seconds after the deadline, so a call
answers within LUMA_MCP_MAX_WAIT + 2 s whatever Luma or an asset host does.

The deadline travels with the call as a context variable, like a cancel scope: code that is not part of a call
(the poller's own loop, say) has none and uses its caps alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import anyio

MIN_CALL_SECONDS = 1.0
"""Even with LUMA_MCP_MAX_WAIT=0 (never wait for a video), a call gets this long for its Luma requests."""


@dataclass(frozen=True)
class TimePolicy:
    """Every time limit, in seconds."""

    max_wait: float = 45.0
    """LUMA_MCP_MAX_WAIT: how long one call may take, waiting for a video included."""
    overrun: float = 1.0
    """How long after its deadline a call that has not answered is cut off with a next step."""
    connect: float = 5.0
    """Connecting to Luma or an asset host."""
    read: float = 30.0
    """One Luma request outside a call, or within a call with more time left than this."""
    poll: float = 5.0
    """One poll: the poller looks again next tick anyway, so a slow answer must not hold its generation up."""
    paid: float = 20.0
    """One paid request; Luma answers fast when it is well, and a timeout goes down the lost-answer path."""
    lost_answer_search: float = 5.0
    """The one look for a create whose answer was lost; a create's request leaves this much of the call for it."""
    create_queue_reserve: float = 15.0
    """Waiting for a free create slot stops this long (at most half the call) before the deadline."""
    download_stall: float = 30.0
    """A download that receives nothing for this long has failed."""
    download_total: float = 1800.0
    """A download still running in the background after this long is given up."""
    completion: float = 3.0
    """Listing the caller's generations to complete an id while a person types: no suggestion beats a late one."""

    def call_deadline(self) -> Deadline:
        return Deadline.after(max(self.max_wait, MIN_CALL_SECONDS))


@dataclass(frozen=True)
class Deadline:
    at: float
    """An `anyio.current_time()` value."""

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(anyio.current_time() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - anyio.current_time())


_deadline: ContextVar[Deadline | None] = ContextVar("luma_mcp_call_deadline", default=None)


@contextmanager
def within(deadline: Deadline) -> Iterator[Deadline]:
    """Make `deadline` the current call's for the block (and any task started in it)."""
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def time_left(cap: float = math.inf, *, leave: float = 0.0) -> float:
    """The smaller of `cap` and the current call's time left, keeping back `leave` seconds for what must follow
    (but never more than half of what is left). Just `cap` outside a call."""
    deadline = _deadline.get()
    if deadline is None:
        return cap
    remaining = deadline.remaining()
    return min(cap, max(remaining - leave, remaining / 2))
