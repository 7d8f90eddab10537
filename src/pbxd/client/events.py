"""Event subscriptions: by name or glob, with header filters, as callbacks or bounded streams.

A stream holds at most ``maxsize`` events. When the program reads slower than events come,
the ``overflow`` policy decides: ``drop_oldest`` (the default: keep the newest events),
``drop_newest`` (keep the oldest), ``raise`` (the next read raises ``EventOverflow``
with the number lost, then reading goes on), or ``pause`` (lose nothing: the client stops
reading from the server until the program has read half of them; the stream may exceed
``maxsize`` by the events of one read. A server that cannot write to a client for long
disconnects it, Asterisk after its ``writetimeout``; the client then reconnects).
``dropped`` counts the events lost.
"""

from __future__ import annotations

import abc
import asyncio
import inspect
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from fnmatch import translate
from typing import Literal

from ..protocol import Message
from .errors import EventOverflow

log = logging.getLogger(__name__)

Overflow = Literal["drop_oldest", "drop_newest", "raise", "pause"]
OVERFLOW_POLICIES: tuple[Overflow, ...] = ("drop_oldest", "drop_newest", "raise", "pause")
Pauser = Callable[[object, bool], None]  # (stream, paused): the client pauses its reading
Callback = Callable[[Message], "Awaitable[object] | object"]
_GLOB = re.compile(r"[*?\[]")


def _matcher(pattern: str) -> Callable[[str], object]:
    """A case-insensitive test for a name or glob (``*``, ``?``, ``[...]``)."""
    if not _GLOB.search(pattern):
        wanted = pattern.lower()
        return lambda value: value.lower() == wanted
    return re.compile(translate(pattern), re.IGNORECASE | re.DOTALL).match


class EventFilter:
    """An event name (or glob, ``*`` for all) and header values (or globs) all to match."""

    __slots__ = ("pattern", "exact", "_name", "_headers")

    def __init__(self, pattern: str = "*", headers: Mapping[str, str] | None = None) -> None:
        self.pattern = pattern
        self.exact = None if _GLOB.search(pattern) else pattern.lower()
        self._name = _matcher(pattern)
        self._headers = [(name, _matcher(value)) for name, value in (headers or {}).items()]

    def matches(self, event: Message, name: str) -> bool:
        if self.pattern != "*" and not self._name(name):
            return False
        return not self._headers or all(test(event.get(h)) for h, test in self._headers)


class Subscription(abc.ABC):
    """A filter and where its events go; ``close()`` ends it."""

    __slots__ = ("filter", "_hub")

    def __init__(self, event_filter: EventFilter, hub: EventHub) -> None:
        self.filter = event_filter
        self._hub: EventHub | None = hub

    @abc.abstractmethod
    def deliver(self, event: Message) -> None:
        """One matching event."""

    @abc.abstractmethod
    def finish(self, error: BaseException | None) -> None:
        """The client closed for good (``error`` says why, None for a plain close)."""

    def close(self) -> None:
        if self._hub is not None:
            self._hub.remove(self)
            self._hub = None


class CallbackSubscription(Subscription):
    """Calls ``callback(event)`` for each match; a coroutine result runs as a task."""

    __slots__ = ("callback", "_tasks")

    def __init__(self, event_filter: EventFilter, hub: EventHub, callback: Callback) -> None:
        super().__init__(event_filter, hub)
        self.callback = callback
        self._tasks: set[asyncio.Task[object]] = set()

    def deliver(self, event: Message) -> None:
        try:
            result = self.callback(event)
        except Exception:
            log.exception("event callback %r failed", self.callback)
            return
        if result is not None and inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def finish(self, error: BaseException | None) -> None:
        self._hub = None  # no more calls; nothing to hand the error to

    def _done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("event callback %r failed", self.callback, exc_info=task.exception())


class EventStream(Subscription):
    """An async iterator of matching events, bounded by ``maxsize`` (see the module doc)."""

    __slots__ = (
        "maxsize",
        "overflow",
        "dropped",
        "_queue",
        "_waiter",
        "_end",
        "_unreported",
        "_pauser",
        "_paused",
    )

    def __init__(
        self,
        event_filter: EventFilter,
        hub: EventHub,
        maxsize: int,
        overflow: Overflow,
        pauser: Pauser | None = None,
    ) -> None:
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}")
        super().__init__(event_filter, hub)
        self.maxsize = max(1, maxsize)
        self.overflow = overflow
        self.dropped = 0
        self._queue: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._end: BaseException | None = None
        self._unreported = 0
        self._pauser = pauser if overflow == "pause" else None
        self._paused = False

    def deliver(self, event: Message) -> None:
        queue = self._queue
        if len(queue) >= self.maxsize:
            if self._pauser is not None:
                queue.append(event)
                if not self._paused:
                    self._paused = True
                    self._pauser(self, True)
                self._wake()
                return
            self.dropped += 1
            if self.overflow == "drop_newest":
                return
            if self.overflow == "raise":
                self._unreported += 1
                self._wake()
                return
            queue.popleft()
        queue.append(event)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def finish(self, error: BaseException | None) -> None:
        self._end = error if error is not None else StopAsyncIteration()
        self._wake()

    def close(self) -> None:
        super().close()
        self.finish(None)
        self._resume()

    def _resume(self) -> None:
        if self._paused and self._pauser is not None:
            self._paused = False
            self._pauser(self, False)

    def __len__(self) -> int:
        return len(self._queue)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Message:
        while True:
            if self._unreported:
                lost, self._unreported = self._unreported, 0
                raise EventOverflow(lost)
            if self._queue:
                if self._paused and len(self._queue) <= self.maxsize // 2:
                    self._resume()
                return self._queue.popleft()
            if self._end is not None:
                raise self._end
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def get(self, timeout: float | None = None) -> Message:
        """The next event; ``TimeoutError`` after ``timeout`` seconds."""
        return await asyncio.wait_for(self.__anext__(), timeout)


class EventHub:
    """Routes each event to the subscriptions whose filter it matches."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[Subscription]] = {}
        self._globs: list[Subscription] = []

    def __bool__(self) -> bool:
        return bool(self._by_name or self._globs)

    def add(self, subscription: Subscription) -> None:
        exact = subscription.filter.exact
        if exact is None:
            self._globs.append(subscription)
        else:
            self._by_name.setdefault(exact, []).append(subscription)

    def remove(self, subscription: Subscription) -> None:
        exact = subscription.filter.exact
        group = self._globs if exact is None else self._by_name.get(exact, [])
        if subscription in group:
            group.remove(subscription)
        if exact is not None and not group:
            self._by_name.pop(exact, None)

    def dispatch(self, event: Message, name: str) -> None:
        named = self._by_name.get(name.lower()) if self._by_name else None
        if named:
            for subscription in tuple(named):
                if subscription.filter.matches(event, name):
                    subscription.deliver(event)
        for subscription in tuple(self._globs):
            if subscription.filter.matches(event, name):
                subscription.deliver(event)

    def finish(self, error: BaseException | None) -> None:
        everyone = [*self._globs, *(s for group in self._by_name.values() for s in group)]
        for subscription in everyone:
            subscription.finish(error)
