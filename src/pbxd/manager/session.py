"""One manager connection: the message pipeline, the auth gate, privileges, and event delivery.

Messages are handled one at a time, in order. A handler may answer at once (a
``Response``) or later (an awaitable): then reading pauses, and events for this session
wait until the answer is written, so that events caused by an action follow its response.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..protocol import Message, ServerConnection
from .privileges import Privilege
from .response import ActionError, Response, encode_success, error, session_event

if TYPE_CHECKING:
    from .filters import EventFilters
    from .registry import ActionSpec
    from .server import Manager
    from .users import User

log = logging.getLogger("pbxd.manager")

PERMISSION_DENIED = "Permission denied"
MISSING_ACTION = "Missing action in request"
BATCH = 1000  # messages handled before other sessions get their turn
FAILED_LOGIN_DELAY = 1.0  # seconds Asterisk waits before refusing a login
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Texts:
    """Error texts that differ between the AMI 9 and the classic (1.0) dialects."""

    permission_denied: str
    unknown_suffix: str

    def unknown(self, name: str) -> str:
        return f"Invalid/unknown command{self.unknown_suffix.format(name=name)}"


TEXTS = Texts(PERMISSION_DENIED, ": {name}. Use Action: ListCommands to show available commands.")
CLASSIC_TEXTS = Texts("Authentication Required", "")
WAIT_COMPLETED = "Waiting for Event completed."
WAITED = Response("Success", WAIT_COMPLETED, events=(("WaitEventComplete", ()),))


async def refuse(text: str) -> Response:
    """Refuse a login as Asterisk does: after a second, then close."""
    await asyncio.sleep(FAILED_LOGIN_DELAY)
    return Response("Error", text, close=True)


class Link(Protocol):
    """What a session needs from its transport."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def buffered(self) -> int: ...


class Session:
    """A manager session on a stream (TCP, TLS, WebSocket): events are written as they come."""

    #: counted against ``authlimit`` while not logged in
    gated = True
    #: the event mask of a Login without ``Events:``
    default_events = int(Privilege.ALL)

    __slots__ = (
        "__weakref__",
        "id",
        "manager",
        "link",
        "conn",
        "local",
        "remote",
        "transport_name",
        "fd",
        "started",
        "login_time",
        "user",
        "username",
        "authenticated",
        "read_perm",
        "write_perm",
        "send_events",
        "recv_mask",
        "filters",
        "challenge",
        "out",
        "out_size",
        "held",
        "holding",
        "busy",
        "pending",
        "paused",
        "closed",
        "waiter",
        "_dirty",
        "_auth_timer",
        "_write_timer",
        "_backlog",
        "classic",
    )

    def __init__(
        self,
        manager: Manager,
        link: Link,
        local: tuple[str, int],
        remote: tuple[str, int],
        fd: int = -1,
        transport_name: str = "TCP",
    ) -> None:
        self.id = next(_ids)
        self.manager = manager
        self.link = link
        self.conn = ServerConnection()
        self.local = local
        self.remote = remote
        self.transport_name = transport_name
        self.fd = fd
        self.started = manager.clock()
        self.login_time = 0.0
        self.user: User | None = None
        self.username = ""
        self.authenticated = False
        self.read_perm = 0
        self.write_perm = 0
        self.send_events = 0
        self.recv_mask = 0
        self.filters: EventFilters | None = None
        self.challenge = ""
        self.out: list[bytes] = []
        self.out_size = 0
        self.held: list[bytes] = []
        self.holding = False
        self.busy = False
        self.pending: deque[Message] = deque()
        self.paused = False
        self.closed = False
        self.waiter: asyncio.Future[None] | None = None
        self._dirty = False
        self._auth_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._backlog = 0  # bytes the transport held when the write timer was armed
        self.classic = manager.settings.classic

    # -- reading -----------------------------------------------------------------------

    def start(self, banner: bool = True) -> None:
        """Send the banner (unless told not to) and start the clock on logging in."""
        greeting = self.conn.initiate(self.manager.banner_version)
        if banner:
            self.link.write(greeting)
        timeout = self.manager.settings.authtimeout
        if timeout > 0:
            self._auth_timer = self.manager.loop.call_later(timeout, self._auth_timed_out)

    def data_received(self, data: bytes) -> None:
        if not self.closed:
            self.messages_received(self.conn.receive_data(data))

    def messages_received(self, messages: list[Message]) -> None:
        """Handle decoded messages in order (queued while an action is still running)."""
        if self.closed:
            return
        if self.busy or self.pending:
            self.pending.extend(messages)
            return
        if len(messages) > BATCH:
            self.pending.extend(messages[BATCH:])
            del messages[BATCH:]
        handle = self.handle
        for index, message in enumerate(messages):
            if self.busy or self.closed:
                self.pending.extendleft(reversed(messages[index:]))
                break
            handle(message)
        self.flush()
        if self.pending and not self.busy and not self.closed:
            self._continue_later()

    def _continue_later(self) -> None:
        """Yield the loop to other sessions before handling the rest of a long burst."""
        self.link.pause_reading()
        self.manager.loop.call_soon(self._drain)

    def _drain(self) -> None:
        """Handle up to BATCH queued messages, then yield again or resume reading."""
        pending = self.pending
        count = 0
        while pending and not self.busy and not self.closed and count < BATCH:
            self.handle(pending.popleft())
            count += 1
        self.flush()
        if self.busy or self.closed:
            return
        if pending:
            self.manager.loop.call_soon(self._drain)
        else:
            self.link.resume_reading()

    def handle(self, message: Message) -> None:
        """Run one action and queue its answer; events it causes are held until after it."""
        manager = self.manager
        if manager.hub.pending:
            manager.hub.settle()  # what came before the action goes out before its answer
        self.holding = True
        name, action_id = message.head()
        spec = manager.action_cache.get(name)
        if (
            spec is not None
            and self.authenticated
            and (not spec.privilege or spec.privilege & self.write_perm)
            and message.error is None
        ):
            self._run(spec, message, action_id)
        else:
            self._screen(message, name, action_id)

    def _run(self, spec: ActionSpec, message: Message, action_id: str) -> None:
        try:
            result = spec.handler(self, message)
        except ActionError as exc:
            result = error(exc.message, exc.fields)
        except Exception:
            log.exception("action %s failed", spec.name)
            result = error(f"Internal error while running {spec.name}")
        hub = self.manager.hub
        if hub.pending:
            hub.settle()  # events the action caused: held until after the answer
        if type(result) is str:
            data = encode_success(result, action_id)
            self.out.append(data)
            self.out_size += len(data)
            self.holding = False
            if self.held:
                self._release(False)
        elif type(result) is Response:
            data = result.encode(action_id)
            self.out.append(data)
            self.out_size += len(data)
            self.holding = False
            if self.held or result.close:
                self._release(result.close)
        elif result is None:
            self._answer(None, action_id)
        else:
            self._wait_for(result, action_id)  # type: ignore[arg-type]

    def _screen(self, message: Message, name: str, action_id: str) -> None:
        """The slow path: framing errors, missing or unknown actions, permissions, login."""
        manager = self.manager
        if message.error is not None:
            self._answer(error(message.error), action_id)
            return
        if not name:
            manager.security.request_bad_format(self, "NONE")
            self._answer(error(MISSING_ACTION), action_id)
            return
        spec = manager.actions.lookup(name)
        if not self.authenticated:
            if spec is None or not spec.before_login:
                manager.security.request_not_allowed(self, name)
                self._answer(error(self._texts.permission_denied), action_id)
                return
            if spec.name != "Logoff" and self._login_in_use(message):
                manager.security.session_limit(self)
                self._wait_for(refuse("Login Already In Use"), action_id)
                return
        elif spec is None:
            manager.security.request_bad_format(self, name)
            self._answer(error(self._texts.unknown(name)), action_id)
            return
        elif spec.privilege and not spec.privilege & self.write_perm:
            manager.security.request_not_allowed(self, name)
            self._answer(error(PERMISSION_DENIED), action_id)
            return
        manager.action_cache[name] = spec
        self._run(spec, message, action_id)

    def _login_in_use(self, message: Message) -> bool:
        """A Login/Challenge naming a single-login user who is already logged in."""
        username = message.get("username")
        if not username:
            return False
        user = self.manager.settings.users.get(username.lower())
        return (
            user is not None
            and not user.allowmultiplelogin
            and bool(self.manager.logged_in_as(user.name))
        )

    @property
    def _texts(self) -> Texts:
        return CLASSIC_TEXTS if self.classic else TEXTS

    def _answer(self, response: Response | None, action_id: str) -> None:
        """Queue ``response``, then the events held while it was being made."""
        self.manager.hub.settle()
        self.holding = False
        if response is not None:
            data = response.encode(action_id)
            self.out.append(data)
            self.out_size += len(data)
        self._release(response is not None and response.close)

    def _release(self, close: bool) -> None:
        held = self.held
        if held:
            self.out.extend(held)
            held.clear()
        if close:
            self.close()

    def _wait_for(self, awaitable: Awaitable[Response | None], action_id: str) -> None:
        self.busy = True
        self.link.pause_reading()
        task = asyncio.ensure_future(awaitable)
        task.add_done_callback(lambda done: self._finished(done, action_id))

    def _finished(self, task: asyncio.Future[Response | None], action_id: str) -> None:
        self.manager.hub.settle()  # events of the action's time are held until its answer
        self.busy = False
        if self.closed:
            return
        if task.cancelled():
            response: Response | None = error("Action cancelled")
        elif isinstance(task.exception(), ActionError):
            exc = task.exception()
            assert isinstance(exc, ActionError)
            response = error(exc.message, exc.fields)
        elif task.exception() is not None:
            log.error("action failed", exc_info=task.exception())
            response = error("Internal error")
        else:
            response = task.result()
        self._answer(response, action_id)
        self._drain()

    # -- writing -----------------------------------------------------------------------

    def push(self, data: bytes) -> None:
        """Queue an event for this session (called by the hub for each event)."""
        if self.holding or self.busy:
            self.held.append(data)
            self.out_size += len(data)
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)
            if self.busy and self.out_size > self.manager.settings.max_queue:
                self.overflow()  # an action has kept it busy while events piled up
            return
        self.out.append(data)
        self.out_size += len(data)
        if not self._dirty:
            self._dirty = True
            self.manager.hub.mark_dirty(self)
        if self.paused and self.out_size > self.manager.settings.max_queue:
            self.overflow()  # it stopped reading and what waits for it is over the limit

    #: how the event hub hands this session an event it may read
    receive = push
    #: the hub may hand it several events joined in one chunk
    takes_batches = True

    def send_event(self, name: str, fields: list[tuple[str, str]], action_id: str = "") -> None:
        """An event for this session only (no ``Privilege:``), after anything queued."""
        self.manager.hub.settle()
        self.push(session_event(name, action_id, fields).encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        self._dirty = False
        if self.out and not self.paused and not self.closed:
            out = self.out
            self.link.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()
            self.out_size = 0

    def pause_writing(self) -> None:
        """The peer stopped taking data: it has ``writetimeout`` to take some again."""
        self.paused = True
        if self._write_timer is None:
            self._arm_write_timer()

    def _arm_write_timer(self) -> None:
        timeout = self.user.writetimeout if self.user else 100
        self._backlog = self.link.buffered()
        self._write_timer = self.manager.loop.call_later(timeout / 1000, self._write_timed_out)

    def resume_writing(self) -> None:
        self.paused = False
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        self.flush()

    def _write_timed_out(self) -> None:
        """No byte went out for a whole writetimeout: the peer has stopped reading.
        (Time the PBX itself was busy does not count against the peer: if the backlog
        shrank, it is reading, and the clock starts again.)"""
        self._write_timer = None
        if self.paused and not self.closed and self.link.buffered() < self._backlog:
            self._arm_write_timer()
            return
        if self.paused and not self.closed:
            log.warning(
                "Manager session %s (%s) could not take its events within %d ms: disconnected",
                self.username or "-",
                self.remote[0],
                self.user.writetimeout if self.user else 100,
            )
            self.abort()

    def overflow(self) -> None:
        log.warning(
            "Manager session %s (%s) fell %d bytes behind: disconnected",
            self.username or "-",
            self.remote[0],
            self.out_size,
        )
        self.abort()

    # -- lifecycle ---------------------------------------------------------------------

    def _auth_timed_out(self) -> None:
        self._auth_timer = None
        if not self.authenticated and not self.closed:
            log.info(
                "Client from %s, failed to authenticate in %d seconds",
                self.remote[0],
                self.manager.settings.authtimeout,
            )
            self.close()

    def logged_in(self, user: User, username: str) -> None:
        self.user = user
        self.username = username
        self.authenticated = True
        self.login_time = self.manager.clock()
        self.conn.authenticated()
        if self._auth_timer is not None:
            self._auth_timer.cancel()
            self._auth_timer = None
        self.read_perm = int(user.read)
        self.write_perm = int(user.write)
        self.filters = user.filters.copy() if user.filters else None
        self.manager.session_authenticated(self)

    def wait_events(self, timeout: float | None, action_id: str) -> asyncio.Future[Response]:
        """WaitEvent: answer when an event comes (or after ``timeout`` s; None: no limit)."""
        waiter: asyncio.Future[None] = self.manager.loop.create_future()
        self.waiter = waiter
        return asyncio.ensure_future(self._wait(waiter, timeout))

    async def _wait(self, waiter: asyncio.Future[None], timeout: float | None) -> Response:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(waiter, timeout)
        self.waiter = None
        # the events that came follow WaitEventComplete, as Asterisk sends them
        return WAITED

    def set_event_mask(self, mask: int) -> None:
        self.manager.hub.settle()  # events queued before the change go by the old mask
        self.send_events = int(mask)
        self.recv_mask = self.send_events & self.read_perm
        self.manager.hub.watch(self)

    def kick(self) -> None:
        """Closed by ``manager kick session``."""
        log.info("Manager '%s' kicked from %s", self.username, self.remote[0])
        self.close()

    def close(self) -> None:
        """Write what is queued, then close."""
        if self.closed:
            return
        self.flush()
        self.closed = True
        self.conn.close()
        self.link.close()
        self.manager.session_closed(self)

    def abort(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.out.clear()
        self.conn.close()
        self.link.abort()
        self.manager.session_closed(self)

    def connection_lost(self) -> None:
        for timer in (self._auth_timer, self._write_timer):
            if timer is not None:
                timer.cancel()
        self._auth_timer = self._write_timer = None
        if not self.closed:
            self.closed = True
            self.conn.close()
            self.manager.session_closed(self)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.cancel()
