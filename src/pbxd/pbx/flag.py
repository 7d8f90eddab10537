"""A one-bit signal tasks can wait on, lighter than asyncio.Event, and ``wait_any``.

Every channel carries two of these; with tens of thousands of channels (and a few waits
per call) asyncio.Event's deque and a task per wait add up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .clock import Clock

Callback = Callable[[], None]


class Flag:
    __slots__ = ("_set", "_callbacks")

    def __init__(self) -> None:
        self._set = False
        self._callbacks: list[Callback] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        callbacks, self._callbacks = self._callbacks, None
        for callback in callbacks or ():
            callback()

    def clear(self) -> None:
        self._set = False

    def add_callback(self, callback: Callback) -> None:
        """Call ``callback`` (once) when the flag is next set."""
        if self._callbacks is None:
            self._callbacks = []
        self._callbacks.append(callback)

    def remove_callback(self, callback: Callback) -> None:
        if self._callbacks is not None and callback in self._callbacks:
            self._callbacks.remove(callback)

    async def wait(self) -> bool:
        if not self._set:
            await wait_any((self,))
        return True


async def wait_any(
    flags: Iterable[Flag], seconds: float | None = None, clock: Clock | None = None
) -> None:
    """Until one of ``flags`` is set, or ``seconds`` pass on ``clock``: one future, no tasks."""
    flags = tuple(flags)
    if any(flag.is_set() for flag in flags):
        return
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not future.done():
            future.set_result(None)

    for flag in flags:
        flag.add_callback(wake)
    timer = clock.call_later(seconds, wake) if clock is not None and seconds is not None else None
    try:
        await future
    finally:
        for flag in flags:
            flag.remove_callback(wake)
        if timer is not None:
            timer.cancel()
