"""AMI over HTTP: sessions that live across requests, named by a cookie or a digest nonce.

An :class:`HttpSession` is a manager session whose link is the request being answered:
what the pipeline writes while a request runs is that request's reply. Events the session
may read are kept (bounded) until a WaitEvent collects them, as Asterisk keeps them for its
HTTP sessions. :class:`HttpSessions` finds, creates and expires them (``httptimeout``; five
seconds for one not logged in).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from typing import TYPE_CHECKING

from ..protocol import Message
from .privileges import Privilege
from .response import Response, session_event
from .session import WAIT_COMPLETED, Session

if TYPE_CHECKING:
    from .server import Manager
    from .users import User

ALL = int(Privilege.ALL)
UNAUTHENTICATED_TIMEOUT = 5  # seconds an HTTP session that has not logged in lives
WAIT_MARGIN = 10  # a WaitEvent ends this long before its session would expire
NONCE_LIFETIME = 62  # seconds a digest nonce stays good
MAX_NONCES = 10_000  # digest nonces handed out and not yet used, at most
MAX_SESSIONS = 20_000  # HTTP sessions at once; past it, idle ones not logged in go first


class HttpLink:
    """The session's link: collects what it writes while a request runs."""

    __slots__ = ("buffer", "closed", "_idle", "_on_close")

    def __init__(self, on_close: object) -> None:
        self.buffer: list[bytes] = []
        self.closed = False
        self._idle: asyncio.Future[None] | None = None
        self._on_close = on_close

    def write(self, data: bytes) -> None:
        self.buffer.append(data)

    def take(self) -> bytes:
        data = b"".join(self.buffer)
        self.buffer.clear()
        return data

    async def settled(self) -> None:
        """Until the running action has answered (or the session closed)."""
        self._idle = asyncio.get_running_loop().create_future()
        await self._idle

    def _wake(self) -> None:
        if self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._on_close()  # type: ignore[operator]
        self._wake()

    abort = close

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        self._wake()

    def buffered(self) -> int:
        return 0


class HttpSession(Session):
    """A manager session reached by HTTP requests, one request at a time."""

    gated = False
    default_events = 0  # a Login over HTTP turns no events on: WaitEvent collects them

    __slots__ = ("managerid", "expires", "events", "events_size", "lock", "in_use", "nc",
                 "nonce_time", "old_nonce", "digest")  # fmt: skip

    def __init__(
        self,
        sessions: HttpSessions,
        managerid: int,
        local: tuple[str, int],
        remote: tuple[str, int],
    ) -> None:
        manager = sessions.manager
        link = HttpLink(lambda: sessions.forget(self))
        super().__init__(manager, link, local, remote)
        self.managerid = managerid
        self.expires = 0.0
        self.events: deque[bytes] = deque()
        self.events_size = 0
        self.lock = asyncio.Lock()
        self.in_use = 0
        self.nc = 0
        self.nonce_time = 0.0
        self.old_nonce = 0
        self.digest = False
        self.conn.initiate(manager.banner_version)

    @property
    def cookie(self) -> str:
        return f"{self.managerid:08x}"

    def touch(self) -> None:
        """Start the inactivity clock again (shorter before login)."""
        timeout = self.manager.settings.httptimeout
        if self.digest:
            timeout = max(timeout, UNAUTHENTICATED_TIMEOUT)
        elif not self.authenticated and timeout >= UNAUTHENTICATED_TIMEOUT:
            timeout = UNAUTHENTICATED_TIMEOUT
        self.expires = self.manager.clock() + timeout

    async def perform(self, message: Message) -> bytes:
        """Run one action; its answer (and events it brought for this session) as bytes."""
        link = self.link
        assert isinstance(link, HttpLink)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)  # a long poll gives way to the new request
        self.in_use += 1
        try:
            async with self.lock:
                if self.closed:
                    return b""
                self.handle(message)
                self.flush()
                while self.busy and not self.closed:
                    await link.settled()
                return link.take()
        finally:
            self.in_use -= 1
            self.touch()

    # -- events: kept for WaitEvent ---------------------------------------------------

    def set_event_mask(self, mask: int) -> None:
        self.send_events = int(mask)
        self.recv_mask = self.read_perm & (self.send_events or ALL)
        self.manager.hub.watch(self)

    def receive(self, data: bytes) -> None:
        events = self.events
        events.append(data)
        self.events_size += len(data)
        limit = self.manager.settings.max_queue
        while self.events_size > limit and len(events) > 1:
            self.events_size -= len(events.popleft())  # the oldest go first
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def wait_events(self, timeout: float | None, action_id: str) -> asyncio.Future[Response]:
        limit = max(self.expires - self.manager.clock() - WAIT_MARGIN, 0.0)
        if timeout is None or not timeout <= limit:
            timeout = limit
        waiter: asyncio.Future[None] = self.manager.loop.create_future()
        if self.events:
            waiter.set_result(None)
        else:
            self.waiter = waiter  # from now on an event, or another request, ends the wait
        return asyncio.ensure_future(self._collect(waiter, timeout, action_id))

    async def _collect(
        self, waiter: asyncio.Future[None], timeout: float, action_id: str
    ) -> Response:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(waiter, timeout)
        self.waiter = None
        queued = b"".join(self.events).decode("utf-8", "surrogateescape")
        self.events.clear()
        self.events_size = 0
        complete = session_event("WaitEventComplete", action_id, ())
        return Response("Success", WAIT_COMPLETED, raw_events=(queued, complete))


class HttpSessions:
    """The HTTP sessions of one manager, by their 32-bit id (cookie or digest nonce)."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.by_id: dict[int, HttpSession] = {}
        self.nonces: dict[int, float] = {}  # digest nonces handed out, by when

    def new_id(self) -> int:
        while True:
            ident = secrets.randbits(32)
            if ident and ident not in self.by_id:
                return ident

    def find(self, ident: int) -> HttpSession | None:
        """The live session ``ident`` names; an expired one is ended here."""
        session = self.by_id.get(ident)
        if session is None:
            return None
        if session.closed:
            self.by_id.pop(ident, None)
            return None
        if session.in_use == 0 and session.expires < self.manager.clock():
            session.close()
            return None
        return session

    def create(self, local: tuple[str, int], remote: tuple[str, int]) -> HttpSession:
        if len(self.by_id) >= MAX_SESSIONS:
            self.purge()
            self._evict(len(self.by_id) - MAX_SESSIONS + 1)
        session = HttpSession(self, self.new_id(), local, remote)
        self.by_id[session.managerid] = session
        self.manager.adopt(session)
        session.touch()
        return session

    def _evict(self, count: int) -> None:
        """End the ``count`` oldest idle sessions that never logged in."""
        idle = [s for s in self.by_id.values() if not s.authenticated and s.in_use == 0]
        for session in idle[:count]:
            session.close()

    def forget(self, session: HttpSession) -> None:
        if self.by_id.get(session.managerid) is session:
            del self.by_id[session.managerid]

    def purge(self) -> None:
        """End every session whose time is up."""
        now = self.manager.clock()
        for session in list(self.by_id.values()):
            if session.in_use == 0 and session.expires < now:
                session.close()
        for nonce, issued in list(self.nonces.items()):
            if now - issued > NONCE_LIFETIME:
                del self.nonces[nonce]

    # -- digest -----------------------------------------------------------------------

    def issue_nonce(self) -> int:
        nonce = self.new_id()
        self.nonces[nonce] = self.manager.clock()
        while len(self.nonces) > MAX_NONCES:
            del self.nonces[next(iter(self.nonces))]
        return nonce

    def digest_session(
        self, user: User, nonce: int, local: tuple[str, int], remote: tuple[str, int]
    ) -> HttpSession | None:
        """A new session for a fresh nonce this server handed out; None for any other."""
        issued = self.nonces.pop(nonce, None)
        if issued is None or self.manager.clock() - issued > NONCE_LIFETIME:
            return None
        session = HttpSession(self, nonce, local, remote)
        session.digest = True
        session.nonce_time = self.manager.clock()
        self.by_id[nonce] = session
        self.manager.adopt(session)
        session.logged_in(user, user.name)
        session.set_event_mask(0)
        session.touch()
        return session

    def renew_nonce(self, session: HttpSession) -> int:
        """A digest session's nonce is worn out: it gets a new one, the old stays known."""
        self.by_id.pop(session.managerid, None)
        session.old_nonce = session.managerid
        session.managerid = self.new_id()
        session.nc = 0
        session.nonce_time = self.manager.clock()
        self.by_id[session.managerid] = session
        return session.managerid

    def by_old_nonce(self, username: str, nonce: int) -> HttpSession | None:
        key = username.lower()
        for session in self.by_id.values():
            if session.digest and session.old_nonce == nonce and session.username.lower() == key:
                return session
        return None
