"""Actions in flight: unique ActionIDs, responses, event lists and Command output."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections import deque
from collections.abc import Generator, Iterable, Mapping
from typing import Any

from ..protocol import Message
from .errors import ActionError

Headers = Mapping[str, object] | Iterable[tuple[str, object]]
SUCCESS = frozenset(("success", "follows", "goodbye", "pong"))


class ActionIds:
    """ActionIDs unique across connections, reconnects and processes: ``<pid>-<random>-<n>``."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix if prefix is not None else f"{os.getpid():x}-{secrets.token_hex(3)}-"
        self._count = itertools.count(1)

    def __next__(self) -> str:
        return f"{self.prefix}{next(self._count)}"


def header_pairs(headers: Headers | None, fields: Mapping[str, object]) -> list[tuple[str, str]]:
    """Headers from a mapping or pairs plus keyword fields; a list value repeats the header
    (``Variable=["a=1", "b=2"]``), None leaves it out."""
    items = list(headers.items() if isinstance(headers, Mapping) else headers or ())
    items += fields.items()
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(name, _text(item)) for item in values]
    return pairs


def _text(value: object) -> str:
    if value is True or value is False:
        return "yes" if value else "no"
    return str(value)


class Response(Message):
    """A response; ``events`` is the event list it started (``EventList: start``), if any."""

    __slots__ = ("events",)

    def __init__(self, lines: list[str], error: str | None = None) -> None:
        super().__init__(lines, error)
        self.events: EventList | None = None

    @property
    def ok(self) -> bool:
        return self.get("response").lower() in SUCCESS

    def raise_for_error(self) -> Response:
        if not self.ok:
            raise ActionError(self)
        return self


def command_output(response: Message) -> list[str]:
    """The lines a ``Command`` printed, from ``Output:`` headers (AMI 2+) or the classic
    ``Response: Follows`` body (the decoder turns it into ``Output:`` headers too)."""
    return [
        line[8:] if line[7:8] == " " else line[7:]
        for line in response.lines
        if line[:7].lower() == "output:"
    ]


class EventList:
    """The events of a list action (``EventList: start`` ... ``EventList: Complete``), by
    ActionID. ``async for`` yields the items; ``await`` gives them all as a list;
    ``response`` and ``complete`` hold the response and the final event. The end is the
    event with ``EventList: Complete``, or, for a server that predates it, an event named
    ``until`` when the caller gives one. A response of ``Error`` raises ``ActionError``."""

    def __init__(self, action_id: str, until: str | None = None) -> None:
        self.action_id = action_id
        self.until = until.lower() if until else None
        self.response: Response | None = None
        self.complete: Message | None = None
        self.done = False
        self._items: deque[Message] = deque()
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    def on_response(self, response: Response) -> None:
        self.response = response
        if not response.ok:
            self.fail(ActionError(response))
        elif self.until is None and response.get("eventlist").lower() != "start":
            self._finish()  # no list follows

    def on_event(self, event: Message, name: str) -> None:
        """An event with this list's ActionID."""
        if event.get("eventlist").lower() == "complete" or name.lower() == self.until:
            self.complete = event
            self._finish()
        else:
            self._items.append(event)
            self._wake()

    def _finish(self) -> None:
        self.done = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        if not self.done:
            self._error = error
            self.done = True
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def __aiter__(self) -> EventList:
        return self

    async def __anext__(self) -> Message:
        while True:
            if self._items:
                return self._items.popleft()
            if self.done:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def collect(self) -> list[Message]:
        return [event async for event in self]

    def __await__(self) -> Generator[Any, None, list[Message]]:
        return self.collect().__await__()


class PendingAction:
    """One action sent and not yet answered (or its list not yet complete)."""

    __slots__ = ("action_id", "data", "future", "events", "resend")

    def __init__(
        self, action_id: str, data: bytes, events: EventList | None, resend: bool
    ) -> None:
        self.action_id = action_id
        self.data = data
        self.future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.events = events
        self.resend = resend

    def answer(self, response: Response) -> bool:
        """Resolve with ``response``; True when the action is finished (no list to follow)."""
        if self.events is None and response.get("eventlist").lower() == "start":
            self.events = EventList(self.action_id)
        if self.events is not None:
            response.events = self.events
            self.events.on_response(response)
        if not self.future.done():
            self.future.set_result(response)
        return self.events is None or self.events.done

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)
            self.future.exception()  # retrieved: nobody may be waiting any more
        if self.events is not None:
            self.events.fail(error)
