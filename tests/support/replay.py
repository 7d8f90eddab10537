"""Replaying a recorded Asterisk transcript against a running server, message by message.

The client side is re-enacted exactly (same connections, same bytes, same write chunking,
same order, pipelining included); the server side is compared message by message after
:func:`support.transcript.normalise`. Security-class events may arrive later than
recorded (Asterisk delivers them asynchronously) but must arrive. Steps needing features
that are not built yet are left out by a :class:`Skip` table.

Calls make three more allowances, each for something that differs from run to run:
Local channel sequence numbers and Uniqueid-like values are paired one to one
(:class:`support.transcript.TokenMap`) and the client's later messages use the server's
names; events the server sends unprompted may come in another order than recorded when
they are due at the same point (Asterisk publishes channel events from several threads:
the reference recordings of one call show different interleavings); and a scenario that
originates calls is paced like the recording, so the calls are where the client expects.
Events of features not built yet are left out by name (:class:`IgnoreEvent`).
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from .ami import AmiSocket, AmiTimeout
from .transcript import (
    Item,
    TokenMap,
    Transcript,
    header,
    is_security_event,
    md5_key,
    message_lines,
    normalise,
    split_messages,
)

READ_TIMEOUT = 5.0  # per awaited message
SECURITY_GRACE = 2.0  # how long a late security event may take after its recorded point
EXTRA_GRACE = 0.05  # how long to look for unexpected extra messages at a client close
FAILED_LOGIN_DELAY = (0.8, 2.0)  # seconds from the Login to "Authentication failed"
CHUNK_GAP = 0.02  # pause between consecutive writes, so they reach the server separately

#: Actions of modules the reference Asterisk did not load (res_parking): pbxd may list them.
UNLOADED_IN_REFERENCE = frozenset({"Park", "ParkedCalls", "Parkinglots"})

#: Actions every ListCommands must show (pbxd's manager foundation).
REQUIRED_ACTIONS = frozenset(
    {
        *("Login", "Logoff", "Challenge", "Ping", "Events", "Filter", "ListCommands"),
        *("UserEvent", "WaitEvent", "CoreSettings", "CoreStatus", "Command", "Reload"),
    }
)
_PRIV_LINE = re.compile(rb"^(?P<name>[A-Za-z0-9_]+): .*  \(Priv: (?P<priv>[^)]*)\)\r\n$")


class ReplayAborted(AssertionError):
    """The replay cannot go on (timeout, unexpected close...)."""


@dataclass(frozen=True)
class Skip:
    """Leave out sent messages (and what the server answered to them) not yet in scope.

    A message matches when its Action is ``action`` (case-insensitive) and, if given,
    its ``header[0]`` value starts with ``header[1]``. ``scenario`` is an fnmatch pattern.
    """

    issue: int
    reason: str
    action: str
    header: tuple[str, str] | None = None
    scenario: str = "*"

    def matches(self, scenario: str, message: bytes) -> bool:
        if not fnmatch.fnmatch(scenario, self.scenario):
            return False
        if (header(message, "Action") or "").strip().lower() != self.action.lower():
            return False
        if self.header is None:
            return True
        value = header(message, self.header[0])
        return value is not None and value.startswith(self.header[1])

    def __str__(self) -> str:
        what = self.action + (f" {self.header[0]}: {self.header[1]}" if self.header else "")
        return f"{what} (issue {self.issue}: {self.reason})"


@dataclass(frozen=True)
class IgnoreEvent:
    """Leave out every server event named ``event`` (recorded or sent): a feature not built.

    ``scenario`` (an fnmatch pattern) limits it to some recordings."""

    issue: int
    reason: str
    event: str
    scenario: str = "*"

    def __str__(self) -> str:
        return f"{self.event} events (issue {self.issue}: {self.reason})"


@dataclass
class _Expected:
    message: bytes
    item: Item


@dataclass
class _Conn:
    label: str
    sock: AmiSocket | None = None
    expected: deque[_Expected] = field(default_factory=deque)
    pool: list[_Expected] = field(default_factory=list)  # security events not seen yet
    lines: list[bytes] = field(default_factory=list)  # expected lines of an unfinished message
    first_recv: bool = True
    outgoing: bytes = b""  # sent bytes not yet making a complete message
    skipping: bool = False
    dropped_ids: set[str] = field(default_factory=set)
    last_send: float = 0.0
    last_sent_item: Item | None = None
    username: str = ""
    recorded_challenge: str = ""
    actual_challenge: str = ""
    closed: bool = False


def _split_sent(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete client messages in ``data`` (blank-line terminated) and the unfinished tail."""
    messages: list[bytes] = []
    start = pos = 0
    while (end := data.find(b"\n", pos)) >= 0:
        if data[pos : end + 1] in (b"\r\n", b"\n"):
            messages.append(data[start : end + 1])
            start = end + 1
        pos = end + 1
    return messages, data[start:]


def _diff(want: bytes, got: bytes) -> str:
    """Expected vs. got (both normalised), as a compact unified diff of repr'd lines."""
    a = [repr(line) for line in message_lines(normalise(want))]
    b = [repr(line) for line in message_lines(normalise(got))]
    diff = difflib.unified_diff(a, b, "expected (Asterisk)", "got (pbxd)", n=2, lineterm="")
    return "\n".join(f"    {line}" for line in diff)


def _show(message: bytes) -> str:
    return "\n".join(f"    {line!r}" for line in message_lines(message)) or "    (nothing)"


class Replay:
    """Drive one transcript against ``host:port``; :attr:`failures` lists every mismatch."""

    def __init__(
        self,
        transcript: Transcript,
        host: str,
        port: int,
        skips: Sequence[Skip] = (),
        secrets: dict[str, str] | None = None,
        ignore_events: Sequence[IgnoreEvent] = (),
        pace: bool | None = None,
    ) -> None:
        self.transcript = transcript
        self.ignored = {
            ignore.event.lower()
            for ignore in ignore_events
            if fnmatch.fnmatch(transcript.name, ignore.scenario)
        }
        self.tokens = TokenMap()
        if pace is None:  # calls take time: send as the recorded client did
            pace = any(
                b"action: originate" in item.data.lower() for item in transcript.items
                if item.kind == "send"
            )  # fmt: skip
        self.pace = pace
        self._last_send: tuple[float, float] | None = None  # (recorded at, monotonic)
        self.host, self.port = host, port
        self.skips = skips
        self.secrets = {k.lower(): v for k, v in (secrets or {}).items()}
        self.conns: dict[str, _Conn] = {}
        self.failures: list[str] = []
        self.skipped: list[str] = []
        self.implemented_actions: list[str] | None = None
        self.checked = 0

    # --- driving ---------------------------------------------------------------------

    def run(self) -> Replay:
        previous: Item | None = None
        try:
            for item in self.transcript.items:
                if item.conn is None or item.kind == "note":
                    continue
                conn = self.conns.setdefault(item.conn, _Conn(item.conn))
                if item.kind == "connect":
                    conn.sock = AmiSocket(self.host, self.port, READ_TIMEOUT)
                elif item.kind == "send":
                    self._flush_all()
                    self._wait_until_due(item)
                    chained = previous is not None and previous.kind == "send"
                    self._send(conn, item, chained and previous.conn == item.conn)
                elif item.kind == "recv":
                    self._expect(conn, item)
                elif item.kind == "eof":
                    self._flush(conn)
                    self._check_eof(conn, item)
                elif item.kind == "close":
                    self._finish(conn, item)
                previous = item
            for conn in self.conns.values():
                if not conn.closed:
                    self._finish(conn, None)
        finally:
            for conn in self.conns.values():
                if conn.sock is not None:
                    conn.sock.close()
        return self

    def _wait_until_due(self, item: Item) -> None:
        """When pacing: keep the recorded gap since the previous write."""
        if not self.pace or item.at is None:
            return
        if self._last_send is not None:
            recorded, real = self._last_send
            delay = (item.at - recorded) - (time.monotonic() - real)
            if delay > 0:
                time.sleep(delay)
        self._last_send = (item.at, time.monotonic())

    def _ignored(self, message: bytes) -> bool:
        name = header(message, "Event")
        return name is not None and name.lower() in self.ignored

    def _sock(self, conn: _Conn) -> AmiSocket:
        if conn.sock is None:
            raise ReplayAborted(f"{conn.label}: used before its connect note")
        return conn.sock

    def _send(self, conn: _Conn, item: Item, chained: bool) -> None:
        data = item.data
        if conn.outgoing:  # the rest of a message split over several writes: sent as is
            _, conn.outgoing = _split_sent(conn.outgoing + data)
        else:
            messages, conn.outgoing = _split_sent(data)
            if messages and not conn.outgoing:
                filtered = self._filter_sent(conn, item, messages)
                if filtered is None:
                    return
                data = filtered
        conn.skipping = False
        if chained:
            time.sleep(CHUNK_GAP)
        try:
            self._sock(conn).send(data)
        except OSError as exc:
            raise ReplayAborted(self._where(conn, item, f"write failed: {exc!r}")) from exc
        conn.last_send = time.monotonic()
        conn.last_sent_item = item

    def _filter_sent(self, conn: _Conn, item: Item, messages: list[bytes]) -> bytes | None:
        """Apply skips and MD5-key rewriting; None when the whole write is skipped."""
        kept: list[bytes] = []
        for message in messages:
            skip = next((s for s in self.skips if s.matches(self.transcript.name, message)), None)
            if skip is None:
                kept.append(self._rewrite_key(conn, self.tokens.rewrite(message)))
                continue
            self.skipped.append(f"{item}: {skip}")
            if len(messages) > 1:
                action_id = header(message, "ActionID")
                if not action_id:
                    raise ValueError(f"{item}: cannot skip part of a write without ActionID")
                conn.dropped_ids.add(action_id)
        if not kept:
            conn.skipping = True
            return None
        for message in kept:
            if (header(message, "Action") or "").strip().lower() == "login":
                conn.username = header(message, "Username") or ""
        return b"".join(kept)

    def _rewrite_key(self, conn: _Conn, message: bytes) -> bytes:
        """An MD5 ``Key`` computed from the recorded challenge, recomputed from pbxd's."""
        key = header(message, "Key")
        secret = self.secrets.get((header(message, "Username") or "").lower())
        if not key or secret is None or not conn.recorded_challenge:
            return message
        if key != md5_key(conn.recorded_challenge, secret):
            return message  # a deliberately wrong key stays wrong
        new = md5_key(conn.actual_challenge, secret)
        return message.replace(f"Key: {key}".encode(), f"Key: {new}".encode())

    def _expect(self, conn: _Conn, item: Item) -> None:
        if conn.skipping:
            return
        lines = item.lines
        if conn.first_recv and lines:
            conn.first_recv = False
            units = split_messages(lines, banner=True)
            if units and units[0].startswith(b"Asterisk Call Manager/"):
                conn.expected.append(_Expected(units[0], item))
                lines = lines[1:]
        conn.lines.extend(lines)
        units = split_messages(conn.lines)
        conn.lines = []
        if units and not units[-1].endswith(b"\n\r\n") and units[-1] != b"\r\n":
            conn.lines = message_lines(units.pop())
        for unit in units:
            if header(unit, "ActionID") in conn.dropped_ids or self._ignored(unit):
                continue
            expected = _Expected(unit, item)
            if header(unit, "Challenge") is not None:
                conn.recorded_challenge = header(unit, "Challenge") or ""
            (conn.pool if is_security_event(unit) else conn.expected).append(expected)

    # --- checking --------------------------------------------------------------------

    def _flush_all(self) -> None:
        for conn in self.conns.values():
            self._flush(conn)

    def _flush(self, conn: _Conn) -> None:
        """Read and check everything expected so far on ``conn``."""
        while conn.expected:
            expected = conn.expected[0]
            actual = self._read(conn, expected.item, "a message")
            if self._take_security(conn, actual) or self._ignored(actual):
                continue
            if self._take_reordered(conn, actual):
                continue
            conn.expected.popleft()
            self._compare(conn, expected, actual)

    def _take_reordered(self, conn: _Conn, actual: bytes) -> bool:
        """An event that matches a later one of the events due now (not the first): taken.

        Only among the run of events at the head of what is due (never across a response).
        """
        head = conn.expected[0].message
        if header(actual, "Event") is None or header(head, "Event") is None:
            return False
        if self.tokens.match(normalise(head), normalise(actual)):
            return False  # in order: the normal comparison takes it
        for index in range(1, len(conn.expected)):
            candidate = conn.expected[index].message
            if header(candidate, "Event") is None:
                return False
            if self.tokens.match(normalise(candidate), normalise(actual)):
                del conn.expected[index]
                self.checked += 1
                return True
        return False

    def _read(self, conn: _Conn, item: Item, what: str, timeout: float = READ_TIMEOUT) -> bytes:
        try:
            return self._sock(conn).read_unit(timeout)
        except AmiTimeout as exc:
            raise ReplayAborted(self._where(conn, item, f"waiting for {what}: {exc}")) from exc

    def _take_security(self, conn: _Conn, actual: bytes) -> bool:
        """A security event that was recorded by now: matched (in any order) against the pool."""
        if not is_security_event(actual):
            return False
        for index, candidate in enumerate(conn.pool):
            if normalise(candidate.message) == normalise(actual):
                del conn.pool[index]
                self.checked += 1
                return True
        return False

    def _compare(self, conn: _Conn, expected: _Expected, actual: bytes) -> None:
        self.checked += 1
        want = expected.message
        if b"Message: Authentication failed\r\n" in want:
            elapsed = time.monotonic() - conn.last_send
            low, high = FAILED_LOGIN_DELAY
            if not low <= elapsed <= high:
                self._fail(
                    conn, expected.item,
                    f"failed login answered after {elapsed:.3f} s, expected {low}-{high} s",
                )  # fmt: skip
        if header(actual, "Challenge") is not None:
            conn.actual_challenge = header(actual, "Challenge") or ""
        if sum(1 for line in message_lines(want) if _PRIV_LINE.match(line)) >= 10:
            self._compare_listcommands(conn, expected, actual)
            return
        if not self.tokens.match(normalise(want), normalise(actual)):
            shown = self.tokens.translate(want)
            self._fail(conn, expected.item, "message differs\n" + _diff(shown, actual))

    def _compare_listcommands(self, conn: _Conn, expected: _Expected, actual: bytes) -> None:
        """pbxd lists a subset of Asterisk's actions: each line as Asterisk words it."""
        want, got = message_lines(expected.message), message_lines(actual)
        problems: list[str] = []
        head = [line for line in want if not _PRIV_LINE.match(line)]
        got_head = [line for line in got if not _PRIV_LINE.match(line)]
        if got_head != head:
            problems.append(f"headers/blank line {got_head!r}, expected {head!r}")
        recorded = {m["name"].decode(): line for line in want if (m := _PRIV_LINE.match(line))}
        order = list(recorded)
        names: list[str] = []
        for line in got:
            match = _PRIV_LINE.match(line)
            if match is None:
                continue
            name = match["name"].decode()
            names.append(name)
            if name not in recorded:
                if name not in UNLOADED_IN_REFERENCE:
                    problems.append(f"{name}: not listed by Asterisk for this user: {line!r}")
            elif recorded[name] != line:
                problems.append(f"{name}: got {line!r}, Asterisk sends {recorded[name]!r}")
            if conn.username.lower() == "limited":
                priv = match["priv"].decode().split(",")
                if priv != ["<none>"] and "call" not in priv:
                    problems.append(f"{name}: listed for a write=call user, Priv {priv}")
        known = [name for name in names if name in recorded]
        if known != sorted(known, key=order.index):
            problems.append(f"order differs from Asterisk's: {known}")
        if self.implemented_actions is None:
            self.implemented_actions = names
            missing = sorted(REQUIRED_ACTIONS - set(names))
            if missing:
                problems.append(f"required actions missing: {missing}")
        else:
            should = [n for n in order if n in self.implemented_actions]
            if [n for n in names if n in recorded] != should:
                problems.append(f"listed {names}, expected (implemented and permitted) {should}")
        for problem in problems:
            self._fail(conn, expected.item, f"ListCommands: {problem}")

    def _check_eof(self, conn: _Conn, item: Item) -> None:
        sock = self._sock(conn)
        if not sock.wait_eof(SECURITY_GRACE):
            self._fail(conn, item, "server did not close the connection")
        for unit in sock.read_available(0):
            if not self._take_security(conn, unit) and not self._ignored(unit):
                self._fail(conn, item, f"unexpected data before EOF:\n{_show(unit)}")
        if sock.buffer:
            self._fail(conn, item, f"incomplete message before EOF: {sock.buffer!r}")
        conn.closed = True
        self._check_pool(conn, item)

    def _finish(self, conn: _Conn, item: Item | None) -> None:
        """At a client close: everything expected arrived, nothing else did."""
        self._flush(conn)
        where = item or self.transcript.items[-1]
        sock = self._sock(conn)
        deadline = time.monotonic() + SECURITY_GRACE
        while conn.pool and not sock.eof:
            try:
                actual = sock.read_unit(max(0.0, deadline - time.monotonic()))
            except AmiTimeout:
                break
            if not self._take_security(conn, actual) and not self._ignored(actual):
                self._fail(conn, where, f"unexpected message:\n{_show(actual)}")
        self._check_pool(conn, where)
        extra = [m for m in sock.read_available(EXTRA_GRACE) if not self._ignored(m)]
        for message in extra:
            self._fail(conn, where, f"unexpected extra message:\n{_show(message)}")
        sock.close()
        conn.closed = True

    def _check_pool(self, conn: _Conn, item: Item) -> None:
        for missing in conn.pool:
            self._fail(
                conn, missing.item, f"security event never arrived:\n{_show(missing.message)}"
            )
        conn.pool.clear()

    def _where(self, conn: _Conn, item: Item, text: str) -> str:
        sent = conn.last_sent_item
        after = f" (last write: {sent}: {sent.data!r})" if sent is not None else ""
        return f"{self.transcript.name} [{conn.label}] {item}{after}: {text}"

    def _fail(self, conn: _Conn, item: Item, text: str) -> None:
        self.failures.append(self._where(conn, item, text))
