"""A blocking facade for scripts: the asyncio client running on a thread of its own.

    with SyncClient("127.0.0.1", 5038, "admin", "secret") as ami:
        print(ami.send_action("Ping").get("Ping"))
        for channel in ami.list_action("CoreShowChannels"):
            print(channel.get("Channel"))
        for event in ami.events("Newchannel"):
            ...
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator, Mapping
from typing import Any, TypeVar

from ..protocol import Message
from .actions import Headers, Response
from .client import AmiClient
from .events import EventStream, Overflow

T = TypeVar("T")


class SyncClient:
    """The same arguments as ``AmiClient``; every method blocks until its answer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ami", daemon=True)
        self._thread.start()
        self.client: AmiClient = self._run(self._make(args, kwargs))
        self.last_response: Response | None = None  # of the last ``list_action``
        try:
            self._run(self.client.connect())
        except BaseException:
            self._stop()
            raise

    @staticmethod
    async def _make(args: tuple[Any, ...], kwargs: dict[str, Any]) -> AmiClient:
        return AmiClient(*args, **kwargs)  # made on the loop's thread, as asyncio wants

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine that uses ``self.client`` on the client's loop; its result."""
        return self._run(coro)

    @property
    def banner(self) -> str | None:
        return self.client.banner

    def send_action(self, action: str, headers: Headers | None = None, **kw: Any) -> Response:
        return self._run(self.client.send_action(action, headers, **kw))

    def list_action(self, action: str, headers: Headers | None = None, **kw: Any) -> list[Message]:
        """The list's events (the response is in ``last_response``)."""

        async def collect() -> tuple[Response | None, list[Message]]:
            events = self.client.list_action(action, headers, **kw)
            items = await events
            return events.response, items

        self.last_response, items = self._run(collect())
        return items

    def command(self, command: str, timeout: float | None = None) -> list[str]:
        return self._run(self.client.command(command, timeout=timeout))

    def subscribe(
        self,
        pattern: str = "*",
        headers: Mapping[str, str] | None = None,
        *,
        maxsize: int = 10_000,
        overflow: Overflow = "drop_oldest",
    ) -> SyncEventStream:
        """Start collecting matching events now (see ``AmiClient.events``)."""

        async def subscribe() -> EventStream:
            return self.client.events(pattern, headers, maxsize=maxsize, overflow=overflow)

        return SyncEventStream(self, self._run(subscribe()))

    def events(
        self, pattern: str = "*", headers: Mapping[str, str] | None = None, **kw: Any
    ) -> Iterator[Message]:
        """Matching events as they come, until the client closes."""
        with self.subscribe(pattern, headers, **kw) as stream:
            yield from stream

    def close(self) -> None:
        if self._loop.is_running():
            try:
                self._run(self.client.close())
            finally:
                self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncEventStream:
    """A blocking view of an ``EventStream``: ``get(timeout)``, iteration, ``close()``."""

    def __init__(self, owner: SyncClient, stream: EventStream) -> None:
        self._owner, self.stream = owner, stream

    def get(self, timeout: float | None = 10.0) -> Message:
        """The next event; ``TimeoutError`` when none comes within ``timeout`` seconds."""
        return self._owner.run(self.stream.get(timeout))

    def __iter__(self) -> Iterator[Message]:
        while True:
            try:
                yield self._owner.run(self.stream.__anext__())
            except StopAsyncIteration:
                return

    def __len__(self) -> int:
        return len(self.stream)

    def close(self) -> None:
        if self._owner._loop.is_running():
            self._owner._loop.call_soon_threadsafe(self.stream.close)

    def __enter__(self) -> SyncEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
