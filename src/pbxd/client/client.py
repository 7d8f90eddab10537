"""The asyncio AMI client: one connection to pbxd or Asterisk (AMI 1.0 to 9.x), kept alive.

    async with AmiClient("127.0.0.1", 5038, "admin", "secret") as ami:
        response = await ami.send_action("Ping")
        async for channel in ami.list_action("CoreShowChannels"):
            print(channel.get("Channel"))
        print(await ami.command("core show version"))
        async for event in ami.events("Newchannel", {"Channel": "Local/*"}):
            ...

Bytes go through ``pbxd.protocol.ClientConnection`` (framing first, then decoding). When the
connection breaks, actions waiting for an answer fail with ``ConnectionLost`` (those sent
with ``resend=True`` are sent again once logged in), and the client reconnects with
exponential backoff and jitter, logs in again and restores its Events mask and filters.
A keepalive ``Ping`` that gets no answer in ``ping_timeout`` seconds breaks the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
from collections import deque
from collections.abc import Callable, Mapping
from typing import Literal

from ..protocol import ClientConnection, Message, ProtocolError
from .actions import (
    ActionIds,
    EventList,
    Headers,
    PendingAction,
    Response,
    command_output,
    header_pairs,
)
from .errors import ActionError, AmiConnectionError, ConnectionLost, LoginError
from .events import (
    Callback,
    CallbackSubscription,
    EventFilter,
    EventHub,
    EventStream,
    Overflow,
)

log = logging.getLogger(__name__)

Transcript = Callable[[str, bytes], None]  # (">>" or "<<", bytes as they went or came)
Auth = Literal["plain", "md5"]


class _Protocol(asyncio.Protocol):
    def __init__(self, client: AmiClient) -> None:
        self.client = client
        self.conn = ClientConnection()
        self.transport: asyncio.Transport | None = None
        self.banner: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self.client._pausing:
            transport.pause_reading()  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        client = self.client
        if client.transcript is not None:
            client.transcript("<<", data)
        try:
            messages = self.conn.receive_data(data)
        except ProtocolError as exc:
            if not self.banner.done():
                self.banner.set_exception(AmiConnectionError(str(exc)))
            self.abort()
            return
        if self.conn.banner is not None and not self.banner.done():
            self.banner.set_result(self.conn.banner)
        if messages:
            client._messages(messages)

    def write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionLost("not connected")
        if self.client.transcript is not None:
            self.client.transcript(">>", data)
        self.transport.write(data)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.close()
        if not self.banner.done():
            self.banner.set_exception(AmiConnectionError("connection closed before the banner"))
            self.banner.exception()
        if not self.closed.done():
            self.closed.set_result(None)
        self.client._lost(self, exc)


class AmiClient:
    """An AMI connection that logs in, keeps itself alive and reconnects (module doc).

    ``events``: the login's Events mask (``on``, ``off`` or classes like ``call,user``).
    ``timeout``: default seconds an action waits for its response. ``reconnect``: keep
    reconnecting after the connection breaks (never after a refused login); the delay
    doubles from ``backoff_initial`` up to ``backoff_max``, each wait a random 50-100 %
    of it. ``ping_interval`` of 0 turns the keepalive off. ``transcript`` sees every
    chunk of bytes (``">>"`` sent, ``"<<"`` received).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5038,
        username: str = "",
        secret: str = "",
        *,
        auth: Auth = "plain",
        events: str = "on",
        timeout: float = 10.0,
        connect_timeout: float = 10.0,
        reconnect: bool = True,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        ping_interval: float = 20.0,
        ping_timeout: float = 5.0,
        transcript: Transcript | None = None,
        action_id_prefix: str | None = None,
    ) -> None:
        if auth not in ("plain", "md5"):
            raise ValueError("auth must be 'plain' or 'md5'")
        self.host, self.port = host, port
        self.username, self.secret, self.auth = username, secret, auth
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self.reconnect = reconnect
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.transcript = transcript
        self.banner: str | None = None
        self.reconnects = 0
        self._events_mask = events
        self._filters: list[list[tuple[str, str]]] = []
        self._ids = ActionIds(action_id_prefix)
        self._hub = EventHub()
        self._protocol: _Protocol | None = None
        self._authed = False
        self._pending: dict[str, PendingAction] = {}
        self._order: deque[str] = deque()  # ActionIDs in the order sent (answers without one)
        self._lists: dict[str, PendingAction] = {}
        self._queued: list[PendingAction] = []  # resend=True actions waiting for a connection
        self._closing = False
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._connected = asyncio.Event()
        self._pausing: set[object] = set()  # full streams with the ``pause`` policy

    # -- connection ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._authed and self._protocol is not None

    @property
    def version(self) -> str | None:
        """The AMI version of the server's banner (``9.0.0``, ``1.0``...)."""
        prefix = "Asterisk Call Manager/"
        return self.banner[len(prefix) :] if self.banner and self.banner.startswith(prefix) else None

    async def connect(self) -> AmiClient:
        """Connect and log in; ``LoginError``, ``AmiConnectionError`` or ``TimeoutError``."""
        self._closing = False
        self._error = None
        await self._open()
        if self.ping_interval > 0:
            self._spawn(self._keepalive())
        return self

    async def __aenter__(self) -> AmiClient:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, protocol = await loop.create_connection(
                    lambda: _Protocol(self), self.host, self.port
                )
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise AmiConnectionError(f"cannot connect to {self.host}:{self.port}: {reason}") from exc
        except TimeoutError as exc:
            raise AmiConnectionError(f"cannot connect to {self.host}:{self.port}: timed out") from exc
        self._protocol = protocol
        try:
            async with asyncio.timeout(self.connect_timeout):
                self.banner = await protocol.banner
            await self._login(protocol)
        except BaseException:
            protocol.abort()
            if self._protocol is protocol:
                self._protocol = None
            raise
        for headers in self._filters:  # before anything else may be sent
            await self._call(protocol, "Filter", headers)
        self._authed = True
        self._connected.set()
        queued, self._queued = self._queued, []
        for pending in queued:
            self._send_pending(protocol, pending)

    async def _login(self, protocol: _Protocol) -> None:
        fields: list[tuple[str, str]] = [("Username", self.username)]
        if self.auth == "md5":
            challenge = await self._call(protocol, "Challenge", [("AuthType", "md5")])
            if not challenge.ok:
                raise LoginError(challenge.get("message") or "challenge refused")
            digest = hashlib.md5((challenge.get("challenge") + self.secret).encode()).hexdigest()
            fields = [("AuthType", "md5"), *fields, ("Key", digest)]
        else:
            fields.append(("Secret", self.secret))
        fields.append(("Events", self._events_mask))
        response = await self._call(protocol, "Login", fields)
        if not response.ok:
            raise LoginError(response.get("message") or "login refused")
        protocol.conn.authenticated()

    async def _call(
        self,
        protocol: _Protocol,
        action: str,
        headers: list[tuple[str, str]],
        timeout: float | None = None,
    ) -> Response:
        """Send on this very connection (login, restoring filters) and wait for the answer."""
        pending = self._new_pending(action, headers, None, False)
        self._send_pending(protocol, pending)
        return await self._wait(pending, self.timeout if timeout is None else timeout)

    def _lost(self, protocol: _Protocol, exc: Exception | None) -> None:
        if protocol is not self._protocol:
            return
        was_authed = self._authed
        self._protocol = None
        self._authed = False
        self._connected.clear()
        error = ConnectionLost(f"connection to {self.host}:{self.port} lost")
        for pending in list(self._pending.values()):
            self._forget(pending)
            if pending.resend and not pending.future.done() and not self._closing:
                self._queued.append(pending)
            else:
                pending.fail(error)
        if self._closing or self._error is not None or not was_authed:
            return  # closing, stopped, or still connecting (connect/_reconnect report it)
        if self.reconnect:
            self._spawn(self._reconnect())
        else:
            self._finish(error)

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closing and self._protocol is None:
            delay = min(self.backoff_max, self.backoff_initial * (2**attempt))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            if self._closing:
                return
            try:
                await self._open()
            except LoginError as exc:
                log.error("AMI login refused on reconnect: %s", exc)
                self._finish(exc)
                return
            except (AmiConnectionError, TimeoutError) as exc:
                log.info("AMI reconnect to %s:%s failed: %s", self.host, self.port, exc)
                attempt += 1
            else:
                self.reconnects += 1
                return

    async def _keepalive(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.ping_interval)
            protocol = self._protocol
            if protocol is None or not self._authed:
                continue
            try:
                await self._call(protocol, "Ping", [], self.ping_timeout)
            except TimeoutError:
                log.warning("AMI keepalive Ping unanswered in %ss; reconnecting", self.ping_timeout)
                protocol.abort()
            except AmiConnectionError:
                continue

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _finish(self, error: BaseException | None) -> None:
        """The client stops for good: queued actions fail, event streams end."""
        self._error = error
        failure = error or ConnectionLost("client closed")
        for pending in self._queued:
            pending.fail(failure)
        self._queued = []
        self._hub.finish(error)

    async def close(self) -> None:
        """Log off (briefly waiting for the Goodbye) and close; streams end normally."""
        if self._closing:
            return
        self._closing = True
        protocol = self._protocol
        if protocol is not None and self._authed:
            with contextlib.suppress(AmiConnectionError, TimeoutError):
                pending = self._new_pending("Logoff", [], None, False)
                self._send_pending(protocol, pending)
                await self._wait(pending, 1.0)
        if protocol is not None:
            protocol.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if protocol is not None:
            await protocol.closed
        self._protocol = None
        self._finish(None)

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Until logged in again after a reconnect."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    # -- actions -------------------------------------------------------------------------

    def _new_pending(
        self,
        action: str,
        headers: list[tuple[str, str]],
        events: EventList | None,
        resend: bool,
        action_id: str | None = None,
    ) -> PendingAction:
        action_id = action_id or next(self._ids)
        if events is not None:
            events.action_id = action_id
        data = ClientConnection.send_action(action, [*headers, ("ActionID", action_id)])
        return PendingAction(action_id, data, events, resend)

    def _send_pending(self, protocol: _Protocol, pending: PendingAction) -> None:
        self._pending[pending.action_id] = pending
        self._order.append(pending.action_id)
        if pending.events is not None:
            self._lists[pending.action_id] = pending
        try:
            protocol.write(pending.data)
        except ConnectionLost:
            self._forget(pending)
            raise

    def _forget(self, pending: PendingAction) -> None:
        self._pending.pop(pending.action_id, None)
        self._lists.pop(pending.action_id, None)
        order = self._order
        while order and order[0] not in self._pending:
            order.popleft()

    async def _wait(self, pending: PendingAction, timeout: float | None) -> Response:
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(pending.future)
        except TimeoutError:
            if not pending.future.done():
                self._forget(pending)
                if pending in self._queued:  # never sent again: nobody waits for it
                    self._queued.remove(pending)
                pending.fail(TimeoutError(f"no response to ActionID {pending.action_id}"))
            raise

    def _submit(
        self,
        action: str,
        headers: Headers | None,
        fields: Mapping[str, object],
        events: EventList | None,
        resend: bool,
    ) -> PendingAction:
        if self._error is not None:
            raise self._error
        if self._closing:
            raise ConnectionLost("client closed")
        pairs = [(n, v) for n, v in header_pairs(headers, fields) if n.lower() != "actionid"]
        pending = self._new_pending(action, pairs, events, resend)
        protocol = self._protocol
        if protocol is None or not self._authed:
            if not resend:
                raise ConnectionLost(f"not connected to {self.host}:{self.port}")
            self._queued.append(pending)
        else:
            self._send_pending(protocol, pending)
        return pending

    async def send_action(
        self,
        action: str,
        headers: Headers | None = None,
        *,
        timeout: float | None = None,
        resend: bool = False,
        **fields: object,
    ) -> Response:
        """Send ``action`` with headers (a mapping, pairs, or keywords; a list value repeats
        the header) and return its response. A response that starts an event list carries
        it in ``response.events``. ``resend``: if the connection breaks before the answer,
        send it again after reconnecting instead of failing with ``ConnectionLost``.
        ``TimeoutError`` after ``timeout`` seconds (default: the client's)."""
        pending = self._submit(action, headers, fields, None, resend)
        return await self._wait(pending, self.timeout if timeout is None else timeout)

    def list_action(
        self,
        action: str,
        headers: Headers | None = None,
        *,
        until: str | None = None,
        resend: bool = False,
        **fields: object,
    ) -> EventList:
        """Send a list action now; ``async for`` over the result yields its events up to
        ``EventList: Complete`` (or the event named ``until``, for servers older than
        EventList). ``await`` it for all of them at once."""
        events = EventList("", until)
        self._submit(action, headers, fields, events, resend)
        return events

    async def command(self, command: str, *, timeout: float | None = None) -> list[str]:
        """Run a CLI command; its output lines (either AMI form). ``ActionError`` if refused."""
        response = await self.send_action("Command", timeout=timeout, Command=command)
        if not response.ok:
            raise ActionError(response)
        return command_output(response)

    async def set_events(self, mask: str) -> Response:
        """Change the Events mask (kept for reconnects)."""
        self._events_mask = mask
        return await self.send_action("Events", EventMask=mask)

    async def add_filter(self, expression: str | None = None, **fields: object) -> Response:
        """Add a session event filter (``Filter: expression`` and any other headers, e.g.
        ``MatchCriteria``); it is sent again after every reconnect."""
        headers = header_pairs({"Operation": "Add", "Filter": expression}, fields)
        self._filters.append(headers)
        return await self.send_action("Filter", headers)

    # -- events --------------------------------------------------------------------------

    def on(
        self, pattern: str, callback: Callback, headers: Mapping[str, str] | None = None
    ) -> CallbackSubscription:
        """Call ``callback(event)`` for events whose name matches ``pattern`` (a name or a
        glob; ``*`` for all) and whose ``headers`` match (values or globs)."""
        subscription = CallbackSubscription(EventFilter(pattern, headers), self._hub, callback)
        self._hub.add(subscription)
        return subscription

    def events(
        self,
        pattern: str = "*",
        headers: Mapping[str, str] | None = None,
        *,
        maxsize: int = 10_000,
        overflow: Overflow = "drop_oldest",
    ) -> EventStream:
        """An async iterator of matching events, holding at most ``maxsize`` unread ones
        (see ``pbxd.client.events`` for the overflow policies). Ends when the client
        closes; raises the error that stopped it (e.g. a login refused on reconnect)."""
        stream = EventStream(
            EventFilter(pattern, headers), self._hub, maxsize, overflow, self._pause_reading
        )
        if self._error is not None:
            stream.finish(self._error)
        self._hub.add(stream)
        return stream

    def _pause_reading(self, stream: object, paused: bool) -> None:
        """A ``pause`` stream filled up (or drained): stop (or resume) reading the socket."""
        was = bool(self._pausing)
        if paused:
            self._pausing.add(stream)
        else:
            self._pausing.discard(stream)
        protocol = self._protocol
        if protocol is None or protocol.transport is None or was == bool(self._pausing):
            return
        if self._pausing:
            protocol.transport.pause_reading()
        else:
            protocol.transport.resume_reading()

    # -- incoming ------------------------------------------------------------------------

    def _messages(self, messages: list[Message]) -> None:
        hub, lists = self._hub, self._lists
        for message in messages:
            lines = message.lines
            first = lines[0] if lines else ""
            if first[:7] == "Event: ":
                name = first[7:]
            elif "event" in message:
                name = message.get("event")
            else:
                if "response" in message:
                    self._response(message)
                else:
                    log.debug("AMI message neither response nor event: %r", message)
                continue
            if lists:
                pending = lists.get(message.get("actionid"))
                if pending is not None and pending.events is not None:
                    pending.events.on_event(message, name)
                    if pending.events.done:
                        self._forget(pending)
                    continue
            if hub:
                hub.dispatch(message, name)

    def _oldest_unanswered(self) -> PendingAction | None:
        """AMI answers in order: an answer without ActionID is the oldest action's."""
        order, pending = self._order, self._pending
        while order:
            oldest = pending.get(order[0])
            if oldest is not None and not oldest.future.done():
                return oldest
            order.popleft()
        return None

    def _response(self, message: Message) -> None:
        response = Response(message.lines, message.error)
        action_id = response.get("actionid")
        pending = self._pending.get(action_id) if action_id else None
        if pending is None and not action_id:
            pending = self._oldest_unanswered()
        if pending is None:
            log.debug("AMI response for no action in flight: %r", message)
            return
        if pending.answer(response):
            self._forget(pending)
        else:
            self._lists[pending.action_id] = pending
