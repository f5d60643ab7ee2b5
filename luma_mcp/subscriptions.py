"""`ResourceUpdates`: tells subscribed MCP clients that a generation changed, in both eras of the protocol, for the
subscriber's own Luma accounts only, and never on a tool call's path.

2026-era clients listen with `subscriptions/listen`; each set of accounts a caller acts for (one per API it has a
key for) has its own bus and listen handler, so a stream only ever hears of its own accounts' generations. 2025-era
clients (Claude among them) use `resources/subscribe`, which `MCPServer` does not serve, so we register it on the
low-level server and keep one `LegacySubscriber` per connection, with its own sender task and a queue bounded by
what it subscribed to: a client that stops reading only stalls its own sender, which gives up on it after
`SEND_TIMEOUT` and drops its subscriptions.

A 2026-era listen request may also name tasks (`taskIds`, the tasks extension; see `luma_mcp.tasks`): each is a
generation, followed like a subscribed one, and each of its changes goes out on that stream as `notifications/tasks`
with the task's whole state, built by the `TaskNotices` the server installs.

Every subscription to a generation also holds a "follow" on the poller of the account that made it (with both
keys, a ray-3.2 video is polled on the Agents account, a ray-2 one on the Dream Machine account), so its
subscribers hear when it finishes even if no tool call waits on it. Follows are capped per listen request, per
connection and per account, so one request cannot make the server poll Luma for thousands of ids.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp import MCPError
from mcp.server import MCPServer, ServerRequestContext
from mcp.server.connection import Connection
from mcp.server.subscriptions import (
    SUBSCRIPTION_ID_META_KEY,
    InMemorySubscriptionBus,
    ListenHandler,
    ResourceUpdated,
    ServerEvent,
)
from mcp.shared.subscriptions import event_matches, event_to_notification
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    EmptyResult,
    Notification,
    ServerNotification,
    SubscribeRequestParams,
    SubscriptionFilter,
    SubscriptionsAcknowledgedNotification,
    SubscriptionsAcknowledgedNotificationParams,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
    UnsubscribeRequestParams,
)

from .errors import InvalidRequestError, LumaMCPError
from .errors.wording import (
    task_ids_not_a_list,
    too_many_follows,
    too_many_listened,
    too_many_listens,
    too_many_subscriptions,
)
from .sdk_internals import add_request_handler, connection_of

logger = logging.getLogger(__name__)

RECENT_URI = "luma://generations"
GENERATION_URI_PREFIX = f"{RECENT_URI}/"

MAX_URIS_PER_LISTEN = 100
MAX_SUBSCRIPTIONS_PER_CONNECTION = 100
MAX_FOLLOWS_PER_ACCOUNT = 200
"""Generations one account may have polled for subscribers at once, across all its connections."""
MAX_LISTENS_PER_ACCOUNT = 64
MAX_PENDING_CHANGES = 4096
"""Changes waiting to be fanned out; past this (a stalled event loop) the newest are dropped and logged."""
SEND_TIMEOUT = 5.0
"""A 2025-era subscriber that cannot take one notification in this long has stopped reading: it is dropped."""
MAX_BUFFERED_EVENTS = 1024
"""Changes a listen stream that names tasks holds for its client; past this it has stopped reading and is ended."""

Stop = Callable[[], None]


@dataclass(frozen=True)
class Followable:
    """A generation a URI names, on the account that made it."""

    account: str
    start: Callable[[], Stop]
    """Starts polling it; the returned stop ends that."""


@dataclass(frozen=True)
class SubscriberAccounts:
    """The accounts a subscription request acts for (their names), and where the generation a URI names is."""

    accounts: frozenset[str]
    locate: Callable[[str], Awaitable[Followable | None]]
    """The generation a URI names and the account that made it; None when the URI names nothing to poll. Raises
    `InvalidRequestError` for a URI that cannot be followed as written."""


@dataclass(frozen=True)
class TaskNotices:
    """What a listen stream needs of the tasks extension to carry `notifications/tasks`."""

    accept: Callable[[ServerRequestContext[Any], list[str]], None]
    """Raises `MCPError` for a request that may not listen to these tasks (the client did not declare the
    extension, or an id is not one a task of ours could have)."""
    notice: Callable[[ServerRequestContext[Any], str], Awaitable[dict[str, Any] | None]]
    """A task's whole state now (a `DetailedTask`, as `tasks/get` answers); None when it cannot be told (logged)."""


class TaskNotification(Notification[dict[str, Any], Literal["notifications/tasks"]]):
    """A task's whole state, on a listen stream that named it. Its params stay a plain dict: a task's `ttlMs` is
    sent even when null, which a model's dump would leave out."""

    method: Literal["notifications/tasks"] = "notifications/tasks"


ResolveAccounts = Callable[[ServerRequestContext[Any]], SubscriberAccounts]
"""Raises `InvalidRequestError` for a request whose key is unusable, `ConfigurationError` when it has none."""


def generation_uri(generation_id: str) -> str:
    return f"{GENERATION_URI_PREFIX}{generation_id}"


@dataclass(eq=False)
class _Channel:
    """The 2026-era listen streams of callers with one same set of accounts."""

    bus: InMemorySubscriptionBus = field(default_factory=InMemorySubscriptionBus)
    listen: ListenHandler = field(init=False)
    streams: int = 0

    def __post_init__(self) -> None:
        self.listen = ListenHandler(self.bus, max_subscriptions=MAX_LISTENS_PER_ACCOUNT)


@dataclass(eq=False)
class LegacySubscriber:
    """One 2025-era connection's subscriptions, and the task that sends it their notifications."""

    connection: Connection
    subscriptions: dict[tuple[str, str], Stop] = field(default_factory=dict)
    """(account, uri) -> the follow that subscription holds. A generation's subscription is kept under the account
    that made it; one to anything else (the recent list) under each of the caller's accounts, with one stop."""
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    _pending: dict[str, None] = field(default_factory=dict)  # an ordered set of URIs: a repeat coalesces
    _wake: anyio.Event = field(default_factory=anyio.Event)

    def post(self, account: str, uri: str) -> None:
        if (account, uri) in self.subscriptions:
            self._pending[uri] = None
            self._wake.set()

    async def send_until_stalled(self) -> None:
        """Send pending notifications in order; return when one cannot be sent within `SEND_TIMEOUT`."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            while self._pending:
                uri = next(iter(self._pending))
                del self._pending[uri]
                with anyio.move_on_after(SEND_TIMEOUT):
                    await self.connection.send_resource_updated(uri)
                    continue
                return


class ResourceUpdates:
    def __init__(self) -> None:
        self._channels: dict[frozenset[str], _Channel] = {}
        self._subscribers: dict[Connection, LegacySubscriber] = {}
        self._follows: Counter[str] = Counter()
        self._send_changes: MemoryObjectSendStream[tuple[str, str]] | None = None
        self._task_group: TaskGroup | None = None

    def changed(self, account: str, generation_id: str) -> None:
        """A generation of `account` was created, changed or deleted. Never blocks: the fan-out happens in a task
        of its own (see `start`), so a tool call never waits on a subscriber."""
        if self._send_changes is None:
            return  # not serving: nobody to tell
        try:
            self._send_changes.send_nowait((account, generation_id))
        except anyio.WouldBlock:
            logger.warning("Too many resource updates pending; dropped one for generation %s", generation_id)

    def start(self, task_group: TaskGroup) -> None:
        """Fan changes out in `task_group`, where subscribers' senders run too, until it is cancelled."""
        self._task_group = task_group
        send_changes, changes = anyio.create_memory_object_stream[tuple[str, str]](MAX_PENDING_CHANGES)
        self._send_changes = send_changes
        task_group.start_soon(self._fan_out, send_changes, changes, name="resource updates")

    async def _fan_out(
        self, send_changes: MemoryObjectSendStream[tuple[str, str]], changes: MemoryObjectReceiveStream[tuple[str, str]]
    ) -> None:
        """Both ends of the stream close when the task group is cancelled; changes after that have nobody to tell."""
        with send_changes, changes:
            try:
                async for account, generation_id in changes:
                    channels = [channel for accounts, channel in self._channels.items() if account in accounts]
                    for uri in (generation_uri(generation_id), RECENT_URI):
                        for channel in channels:
                            await channel.bus.publish(ResourceUpdated(uri=uri))
                        for subscriber in list(self._subscribers.values()):
                            subscriber.post(account, uri)
            finally:
                if self._send_changes is send_changes:
                    self._send_changes = None

    def install(self, server: MCPServer[Any], resolve: ResolveAccounts, tasks: TaskNotices) -> None:
        """Serve `resources/subscribe` and `subscriptions/listen` per account, following what each subscribes to
        (and, on a listen stream, the tasks it names)."""
        add_request_handler(server, "resources/subscribe", SubscribeRequestParams, self._subscribe_handler(resolve))
        add_request_handler(server, "resources/unsubscribe", UnsubscribeRequestParams, self._unsubscribe_handler)
        add_request_handler(
            server, "subscriptions/listen", SubscriptionsListenRequestParams, self._listen_handler(resolve, tasks)
        )

    def _subscribe_handler(self, resolve: ResolveAccounts) -> Any:
        async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
            who, uri = _resolved(resolve, ctx), str(params.uri)
            subscriber = self._subscriber(connection_of(ctx))

            def subscribed() -> bool:
                return any((account, uri) in subscriber.subscriptions for account in who.accounts)

            if subscribed():
                return EmptyResult()
            if len({uri for _, uri in subscriber.subscriptions}) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
                raise MCPError(INVALID_PARAMS, too_many_subscriptions(MAX_SUBSCRIPTIONS_PER_CONNECTION))
            target = await _located(who, uri)
            if not subscribed():  # the same URI subscribed again while this one was looked up: it holds already
                stop = self._follow(who, target)
                for account in who.accounts if target is None else (target.account,):
                    subscriber.subscriptions[(account, uri)] = stop
            return EmptyResult()

        return subscribe

    async def _unsubscribe_handler(
        self, ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams
    ) -> EmptyResult:
        subscriber = self._subscribers.get(connection_of(ctx))
        if subscriber is not None:
            for key in [key for key in subscriber.subscriptions if key[1] == str(params.uri)]:
                subscriber.subscriptions.pop(key)()
        return EmptyResult()

    def _listen_handler(self, resolve: ResolveAccounts, tasks: TaskNotices) -> Any:
        async def listen(
            ctx: ServerRequestContext[Any], params: SubscriptionsListenRequestParams
        ) -> SubscriptionsListenResult:
            """Every URI is located first (which may read the ledger), and only then are they followed and the
            stream registered on its bus, with nothing awaited in between (the SDK's handler, and ours for a stream
            that names tasks, registers before its first await): a follow's first look cannot publish a change
            before the stream is there to hear it."""
            task_ids = _task_ids(params.notifications)
            if task_ids:
                tasks.accept(ctx, task_ids)
            who = _resolved(resolve, ctx)
            uris = list(dict.fromkeys(params.notifications.resource_subscriptions or ()))
            if len(uris) + len(task_ids) > MAX_URIS_PER_LISTEN:
                raise MCPError(INVALID_PARAMS, too_many_listened(MAX_URIS_PER_LISTEN, len(uris) + len(task_ids)))
            followed = list(dict.fromkeys([*uris, *(generation_uri(task_id) for task_id in task_ids)]))
            targets = [await _located(who, uri) for uri in followed]
            channel = self._channels.setdefault(who.accounts, _Channel())
            channel.streams += 1
            stops: list[Stop] = []
            try:
                if task_ids and channel.streams > MAX_LISTENS_PER_ACCOUNT:
                    raise MCPError(INTERNAL_ERROR, too_many_listens(MAX_LISTENS_PER_ACCOUNT))
                stops.extend(self._follow(who, target) for target in targets)
                if task_ids:
                    return await _listen_with_tasks(ctx, params.notifications, channel.bus, task_ids, tasks)
                return await channel.listen(ctx, params)
            finally:
                for stop in stops:
                    stop()
                channel.streams -= 1
                if channel.streams == 0 and self._channels.get(who.accounts) is channel:
                    del self._channels[who.accounts]

        return listen

    def _follow(self, who: SubscriberAccounts, target: Followable | None) -> Stop:
        """Follow within the cap of the account that made the generation; the returned stop releases the follow
        once, however often called (and does nothing for a URI with nothing to follow)."""
        if target is None:
            return _nothing_to_stop
        account = target.account
        if self._follows[account] >= MAX_FOLLOWS_PER_ACCOUNT:
            raise MCPError(INVALID_PARAMS, too_many_follows(MAX_FOLLOWS_PER_ACCOUNT))
        stop = target.start()
        self._follows[account] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                stop()
                self._follows[account] -= 1
                if self._follows[account] <= 0:
                    del self._follows[account]

        return release

    def _subscriber(self, connection: Connection) -> LegacySubscriber:
        subscriber = self._subscribers.get(connection)
        if subscriber is None:
            assert self._task_group is not None, "ResourceUpdates.start() was not called"
            subscriber = self._subscribers[connection] = LegacySubscriber(connection)
            connection.exit_stack.callback(self._drop, subscriber)
            self._task_group.start_soon(self._serve, subscriber, name="resource updates")
        return subscriber

    async def _serve(self, subscriber: LegacySubscriber) -> None:
        with subscriber.scope:
            try:
                await subscriber.send_until_stalled()
            except Exception as exc:  # the connection went away under us
                logger.info("Stopped sending resource updates to a closed connection (%s)", type(exc).__name__)
            else:
                logger.warning("A subscriber stopped reading for %.0f s; dropped its subscriptions", SEND_TIMEOUT)
            self._drop(subscriber)

    def _drop(self, subscriber: LegacySubscriber) -> None:
        if self._subscribers.get(subscriber.connection) is subscriber:
            del self._subscribers[subscriber.connection]
        subscriber.scope.cancel()
        for stop in subscriber.subscriptions.values():
            stop()
        subscriber.subscriptions.clear()


async def _listen_with_tasks(
    ctx: ServerRequestContext[Any],
    requested: SubscriptionFilter,
    bus: InMemorySubscriptionBus,
    task_ids: list[str],
    tasks: TaskNotices,
) -> SubscriptionsListenResult:
    """One listen stream that names tasks. The SDK's `ListenHandler` knows no tasks, so such a stream is served here
    the way it serves one (the acknowledgement first, listing the tasks agreed to; every frame stamped with the
    stream's id; only what was asked for), and a change of a named task's generation goes out as
    `notifications/tasks` with the task's whole state. Changes wait in a buffer of `MAX_BUFFERED_EVENTS`; a client
    that lets it fill has stopped reading, and its stream is ended."""
    meta: dict[str, Any] = {SUBSCRIPTION_ID_META_KEY: ctx.request_id}
    honored = SubscriptionFilter.model_validate(
        {**requested.model_dump(by_alias=True, exclude_none=True), "taskIds": task_ids}
    )
    uris = frozenset(honored.resource_subscriptions or ())
    task_of = {generation_uri(task_id): task_id for task_id in task_ids}
    send, receive = anyio.create_memory_object_stream[ServerEvent](MAX_BUFFERED_EVENTS)

    def deliver(event: ServerEvent) -> None:
        named = isinstance(event, ResourceUpdated) and event.uri in task_of
        if named or event_matches(honored, uris, event):
            try:
                send.send_nowait(event)
            except anyio.WouldBlock:
                logger.warning("A listen stream's client stopped reading; ended the stream")
                send.close()
            except anyio.ClosedResourceError:
                pass

    unsubscribe = bus.subscribe(deliver)
    try:
        await ctx.session.send_notification(
            SubscriptionsAcknowledgedNotification(
                params=SubscriptionsAcknowledgedNotificationParams(notifications=honored, _meta=meta)
            ),
            related_request_id=ctx.request_id,
        )
        async for event in receive:
            if event_matches(honored, uris, event):
                await ctx.session.send_notification(
                    event_to_notification(event, meta), related_request_id=ctx.request_id
                )
            if isinstance(event, ResourceUpdated) and event.uri in task_of:
                task = await tasks.notice(ctx, task_of[event.uri])
                if task is not None:
                    # The session sends any notification model; its type names only the spec's own.
                    notification = cast(ServerNotification, TaskNotification(params={**task, "_meta": meta}))
                    await ctx.session.send_notification(notification, related_request_id=ctx.request_id)
    finally:
        unsubscribe()
        send.close()
        receive.close()
    return SubscriptionsListenResult(_meta=meta)


def _task_ids(requested: SubscriptionFilter) -> list[str]:
    """The tasks a listen request names (`taskIds`, an extension's key the SDK keeps as an extra), each once."""
    raw = (requested.model_extra or {}).get("taskIds")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(task_id, str) for task_id in raw):
        raise MCPError(INVALID_PARAMS, task_ids_not_a_list())
    return list(dict.fromkeys(raw))


def _nothing_to_stop() -> None:
    """The stop of a subscription that follows nothing (the recent list, say)."""


def _resolved(resolve: ResolveAccounts, ctx: ServerRequestContext[Any]) -> SubscriberAccounts:
    try:
        return resolve(ctx)
    except LumaMCPError as exc:
        raise MCPError(INVALID_PARAMS, str(exc)) from None


async def _located(who: SubscriberAccounts, uri: str) -> Followable | None:
    try:
        return await who.locate(uri)
    except InvalidRequestError as exc:
        raise MCPError(INVALID_PARAMS, str(exc)) from None
