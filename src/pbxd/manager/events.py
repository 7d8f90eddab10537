"""Manager events: immutable, serialized once, fanned out to every session that may read them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .privileges import format_mask

if TYPE_CHECKING:
    from .session import Session


_HEADS: dict[tuple[str, int], str] = {}  # "Event: X\r\nPrivilege: Y\r\n" by (name, class)


class AmiEvent:
    """One event as it goes on the wire; ``data`` is shared by every receiving session."""

    __slots__ = ("name", "privilege", "lines", "data", "_text")

    def __init__(
        self, name: str, privilege: int, lines: list[str], timestamp: float | None = None
    ) -> None:
        self.name = name
        self.privilege = int(privilege)
        self.lines = lines
        key = (name, self.privilege)
        head = _HEADS.get(key)
        if head is None:
            head = f"Event: {name}\r\nPrivilege: {format_mask(privilege)}\r\n"
            if len(_HEADS) < 4096:
                _HEADS[key] = head
        if timestamp is not None:
            head += f"Timestamp: {timestamp:.6f}\r\n"
        body = "\r\n".join(lines)
        text = head + body + "\r\n\r\n" if lines else head + "\r\n"
        self._text = text
        self.data = text.encode("utf-8", "surrogateescape")

    @classmethod
    def from_pairs(
        cls,
        name: str,
        privilege: int,
        pairs: Iterable[tuple[str, str]],
        timestamp: float | None = None,
    ) -> AmiEvent:
        return cls(name, privilege, [f"{key}: {value}" for key, value in pairs], timestamp)

    @property
    def text(self) -> str:
        """The whole event as text, the string event filters are matched against."""
        return self._text

    def get(self, name: str, default: str = "") -> str:
        """The first value of header ``name`` (case-insensitive)."""
        key = name.lower()
        if key == "event":
            return self.name
        for line in "\r\n".join(self.lines).split("\r\n"):  # an item may hold several lines
            head, sep, value = line.partition(":")
            if sep and head.lower() == key:
                return value.lstrip(" \t")
        return default

    def __repr__(self) -> str:
        return f"AmiEvent({self.name!r}, {format_mask(self.privilege)!r}, {self.lines!r})"


#: Receivers of one read mask: the mask, those taking joined batches (their ``receive``),
#: the rest (one event at a time).
Route = tuple[int, list[Callable[[bytes], None]], list["Session"]]


class EventHub:
    """Delivers events to sessions: a read-mask test, the session's filters, a buffered write.

    Writes are batched: a session's events are joined and written once per loop turn
    (``schedule`` arranges the flush).
    """

    def __init__(
        self,
        schedule: Callable[[Callable[[], None]], object],
        clock: Callable[[], float],
        timestamps: bool = False,
        disabled: Iterable[str] = (),
    ) -> None:
        self._schedule = schedule
        self._clock = clock
        self.timestamps = timestamps
        self.disabled = {name.lower() for name in disabled}
        self.receivers: dict[Session, None] = {}
        self._routes: list[Route] | None = None  # receivers grouped for delivery
        self.pending: list[AmiEvent] = []  # delivered, not yet settled (check before settle)
        self._dirty: list[Session] = []
        self._flush_pending = False
        self.published = 0

    def make(self, name: str, privilege: int, lines: list[str]) -> AmiEvent:
        return AmiEvent(name, privilege, lines, self._clock() if self.timestamps else None)

    def publish(self, name: str, privilege: int, lines: list[str]) -> AmiEvent | None:
        """Build the event once and hand it to every session that may read it."""
        if self.disabled and name.lower() in self.disabled:
            return None
        event = AmiEvent(name, privilege, lines, self._clock() if self.timestamps else None)
        self.deliver(event)
        return event

    def deliver(self, event: AmiEvent) -> None:
        """Queue ``event`` for its receivers; they get it when the hub settles, at the latest
        at the end of this loop turn (a session settles first whenever it writes on its own)."""
        self.published += 1
        self.pending.append(event)
        if not self._flush_pending:
            self._flush_pending = True
            self._schedule(self._flush)

    def settle(self) -> None:
        """Hand every queued event to the sessions that may read it, in order. Sessions
        without filters that take batches get one joined chunk per read mask."""
        batch = self.pending
        if not batch:
            return
        self.pending = []
        routes = self._routes
        if routes is None:
            routes = self._routes = self._route()
        for read_mask, batched, each in routes:
            if batched:
                parts = [e.data for e in batch if read_mask & e.privilege == e.privilege]
                if parts:
                    data = parts[0] if len(parts) == 1 else b"".join(parts)
                    for receive in batched:
                        receive(data)
            for session in each:
                filters = session.filters
                for event in batch:
                    mask = event.privilege
                    if read_mask & mask == mask and (filters is None or filters.allows(event)):
                        session.receive(event.data)

    def _route(self) -> list[Route]:
        """Receivers grouped by read mask: the sessions without filters that take batches
        (their ``receive``), and the rest (worked out again after any change)."""
        groups: dict[int, Route] = {}
        for session in self.receivers:
            group = groups.setdefault(session.recv_mask, (session.recv_mask, [], []))
            if session.filters or not session.takes_batches:
                group[2].append(session)
            else:
                group[1].append(session.receive)
        return list(groups.values())

    def watch(self, session: Session) -> None:
        """(Re)consider ``session`` as a receiver after its masks or filters changed (events
        queued before the change are settled by the caller, before it changes them)."""
        if session.authenticated and session.recv_mask:
            self.receivers[session] = None
        else:
            self.receivers.pop(session, None)
        self._routes = None

    def forget(self, session: Session) -> None:
        self.settle()
        self.receivers.pop(session, None)
        self._routes = None

    def mark_dirty(self, session: Session) -> None:
        self._dirty.append(session)
        if not self._flush_pending:
            self._flush_pending = True
            self._schedule(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        self.settle()
        dirty, self._dirty = self._dirty, []
        for session in dirty:
            session.flush()
