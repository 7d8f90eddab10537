"""Golden AMI transcripts of a real Asterisk: parsing, message splitting, normalising.

A transcript is a sequence of notes (``# [+0.201s] c1 send 72 bytes in one write``) and
bytes literals (``>>> b'...'`` client to server, ``<<< b'...'`` server to client). Here
every note becomes an :class:`Item`; bytes lines are attached to the send or recv item
before them, so the recorded chunk boundaries and connection labels are kept.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["connect", "send", "recv", "eof", "close", "note"]

_TIMED = re.compile(r"^# \[\+(?P<at>\d+(?:\.\d+)?)s\] (?P<conn>\S+) (?P<rest>.*)$")
_NOTES: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("connect", re.compile(r"^connect (?P<address>\S+)(?: \(local port (?P<port>\d+)\))?$")),
    ("send", re.compile(r"^send (?P<size>\d+) bytes in one write$")),
    ("recv", re.compile(r"^recv chunk (?P<size>\d+) bytes$")),
    ("eof", re.compile(r"^peer closed connection \(EOF\)$")),
    ("close", re.compile(r"^close \(client side\)$")),
)


@dataclass
class Item:
    """One note of a transcript; send/recv items carry their bytes lines."""

    kind: Kind
    lineno: int
    text: str
    conn: str | None = None
    at: float | None = None
    declared: int | None = None
    lines: list[bytes] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        return b"".join(self.lines)

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.text}"


@dataclass
class Transcript:
    name: str
    path: Path
    items: list[Item]

    @property
    def connections(self) -> list[str]:
        """Connection labels in order of first appearance (``c1``, ``limited``, ...)."""
        seen: dict[str, None] = {}
        for item in self.items:
            if item.conn is not None:
                seen.setdefault(item.conn)
        return list(seen)

    @property
    def comments(self) -> list[str]:
        return [item.text for item in self.items if item.kind == "note"]

    def of(self, conn: str, *kinds: Kind) -> list[Item]:
        return [i for i in self.items if i.conn == conn and (not kinds or i.kind in kinds)]

    def client_bytes(self, conn: str) -> bytes:
        return b"".join(item.data for item in self.of(conn, "send"))

    def server_lines(self, conn: str) -> list[bytes]:
        return [line for item in self.of(conn, "recv") for line in item.lines]

    def server_messages(self, conn: str) -> list[bytes]:
        """What the server sent on ``conn``, as banner + complete messages."""
        return split_messages(self.server_lines(conn), banner=True)

    def size_mismatches(self) -> list[str]:
        """Send/recv notes whose declared byte count differs from the bytes below them."""
        return [
            f"{item}: declared {item.declared}, found {len(item.data)}"
            for item in self.items
            if item.declared is not None and item.declared != len(item.data)
        ]


def parse(text: str, name: str = "", path: Path | None = None) -> Transcript:
    """Parse a transcript's text; unrecognised notes are kept as ``note`` items."""
    items: list[Item] = []
    current: Item | None = None  # the send/recv item that bytes lines attach to
    last_conn: str | None = None
    last_at: float | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith((">>> ", "<<< ")):
            data = ast.literal_eval(line[4:])
            if not isinstance(data, bytes):
                raise ValueError(f"{name}:{lineno}: not a bytes literal: {line!r}")
            kind: Kind = "send" if line.startswith(">>>") else "recv"
            if current is None or current.kind != kind:
                # bytes without a send/recv note (e.g. the HTTP scenario): an implicit block
                current = Item(kind, lineno, f"(implicit {kind})", last_conn, last_at)
                items.append(current)
            current.lines.append(data)
            continue
        if not line.strip():
            continue
        if not line.startswith("#"):
            raise ValueError(f"{name}:{lineno}: unexpected line {line!r}")
        item = _note(line, lineno)
        if item.conn is not None:
            last_conn, last_at = item.conn, item.at
        items.append(item)
        current = item if item.kind in ("send", "recv") else None
    return Transcript(name, path or Path(name), items)


def _note(line: str, lineno: int) -> Item:
    text = line[1:].strip()
    timed = _TIMED.match(line)
    if timed is None:
        return Item("note", lineno, text)
    conn, at, rest = timed["conn"], float(timed["at"]), timed["rest"]
    for kind, pattern in _NOTES:
        match = pattern.match(rest)
        if match is not None:
            size = match.groupdict().get("size")
            return Item(kind, lineno, text, conn, at, int(size) if size else None)
    return Item("note", lineno, text, conn, at)


def load(path: Path) -> Transcript:
    return parse(path.read_text("utf-8"), path.stem, path)


def load_all(directory: Path) -> list[Transcript]:
    return [load(path) for path in sorted(directory.glob("*.txt"))]


# --- messages ------------------------------------------------------------------------------


def split_messages(lines: list[bytes], banner: bool = False) -> list[bytes]:
    """Group server lines into units: the banner line (if ``banner``), then messages each
    ending with its empty line. A trailing incomplete message is returned as is."""
    units: list[bytes] = []
    pending: list[bytes] = []
    for index, line in enumerate(lines):
        if banner and index == 0 and line.startswith(b"Asterisk Call Manager/"):
            units.append(line)
            continue
        pending.append(line)
        if line in (b"\r\n", b"\n"):
            units.append(b"".join(pending))
            pending = []
    if pending:
        units.append(b"".join(pending))
    return units


def message_lines(message: bytes) -> list[bytes]:
    """The lines of a message, each with its line ending (only ``\\n`` ends a line)."""
    lines = [line + b"\n" for line in message.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return [line for line in lines if line]


def header(message: bytes, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive) in a message, or None."""
    wanted = name.lower().encode()
    for line in message_lines(message):
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == wanted:
            return value.strip(b"\r\n").lstrip(b" ").decode("utf-8", "replace")
    return None


def is_security_event(message: bytes) -> bool:
    """An event of class ``security`` (Asterisk may deliver these a little late)."""
    privilege = header(message, "Privilege")
    return (
        header(message, "Event") is not None
        and privilege is not None
        and ("security" in privilege.split(","))
    )


def md5_key(challenge: str, secret: str) -> str:
    return hashlib.md5((challenge + secret).encode()).hexdigest()


# --- normalising values that legitimately differ between runs ------------------------------

_ISO_TV = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}"
_DURATION = (
    rb"\d+ (?:year|week|day|hour|minute|second)s?(?:, \d+ (?:year|week|day|hour|minute|second)s?)*"
)
_PORT = rb"(?:IPV4|IPV6)/(?:TCP|TLS|UDP)/[^/\r\n]+/"

# (header pattern, value pattern, placeholder): applied to one line ``Header: value\r\n``
_VALUE_RULES: tuple[tuple[bytes, bytes, bytes], ...] = (
    (b"Timestamp", rb"\d+\.\d{6}", b"<timestamp>"),
    (b"EventTV|SessionTV", _ISO_TV, b"<tv>"),
    (b"SessionID", rb"0x[0-9a-f]+", b"<session-id>"),
    (b"Uptime|LastReload", rb"\d+", b"<seconds>"),
    (b"Challenge", rb"\d+", b"<challenge>"),
    (b"CoreStartupDate|CoreReloadDate", rb"\d{4}-\d\d-\d\d", b"<date>"),
    (b"CoreStartupTime|CoreReloadTime", rb"\d\d:\d\d:\d\d", b"<time>"),
    (b"CoreProcessedCalls|CoreMaxFilehandles", rb"\d+", b"<count>"),
    (b"Seconds", rb"\d+", b"<seconds>"),  # a channel's age (Status)
    (b"Duration", rb"\d\d:\d\d:\d\d", b"<hh:mm:ss>"),  # a channel's age (CoreShowChannel)
)
Rule = tuple[re.Pattern[bytes], Callable[[re.Match[bytes]], bytes]]


def _value_rule(name: bytes, value: bytes, placeholder: bytes) -> Rule:
    """``Name: <value matching the pattern>`` -> ``Name: <placeholder>``."""

    def replace(match: re.Match[bytes]) -> bytes:
        return match[1] + b": " + placeholder + match[2]

    return re.compile(rb"^(" + name + rb"): " + value + rb"(\r?\n)$"), replace


_LINE_RULES: tuple[Rule, ...] = (
    *(_value_rule(*rule) for rule in _VALUE_RULES),
    (
        re.compile(rb"^(LocalAddress|RemoteAddress): (" + _PORT + rb")\d+(\r?\n)$"),
        lambda m: m[1] + b": " + m[2] + b"<port>" + m[3],
    ),
    (  # core show version
        re.compile(rb"^Output: Asterisk 20\.20\.1 [^\r\n]*\bbuilt by [^\r\n]*(\r?\n)$"),
        lambda m: b"Output: Asterisk 20.20.1 <build details>" + m[1],
    ),
    (  # core show uptime
        re.compile(rb"^Output: (System uptime|Last reload): " + _DURATION + rb"(\r?\n)$"),
        lambda m: b"Output: " + m[1] + b": <duration>" + m[2],
    ),
    (  # core show channels: the count of calls since start-up depends on the run
        re.compile(rb"^Output: \d+ (calls? processed)(\r?\n)$"),
        lambda m: b"Output: <count> " + m[1] + m[2],
    ),
    (  # manager show connected: Start, Elapsed and FileDes columns, widths kept
        re.compile(rb"^(Output:   \S+ +\S+ +)(\d+ +)(\d+ +)(\d+ +)(\d+ +\d+ +\d+\r?\n)$"),
        lambda m: m[1] + b"".join(_blank(m[i]) for i in (2, 3, 4)) + m[5],
    ),
)


def _blank(field: bytes) -> bytes:
    """A fixed-width numeric column replaced by ``#``s of the same total width."""
    return b"#" * len(field)


def normalise_line(line: bytes) -> bytes:
    for pattern, replace in _LINE_RULES:
        match = pattern.match(line)
        if match is not None:
            return replace(match)
    return line


#: Getvar of a clock-valued variable: its value is masked (the line before names it).
_CLOCK_VALUE = re.compile(rb"(Variable: EPOCH\r?\nValue: )\d+(\r?\n)")


def normalise(message: bytes) -> bytes:
    """A message with run-specific values (times, ids, ports, challenges...) replaced."""
    message = b"".join(normalise_line(line) for line in message_lines(message))
    return _CLOCK_VALUE.sub(rb"\1<epoch>\2", message)


def iter_bytes_lines(transcript: Transcript) -> Iterator[tuple[Item, bytes]]:
    for item in transcript.items:
        for line in item.lines:
            yield item, line


# --- values that name run-specific things: mapped, not masked -----------------------------

#: A Local channel's sequence number (``Local/100@default-0000000d;1``): group 2.
LOCAL_SEQUENCE = re.compile(rb"(Local/[^;\s]*?-)([0-9a-f]{8})(?=;[12])")
#: Headers whose whole value is a run-specific id or epoch (channel/bridge ids, queue times).
_ID_LINE = re.compile(
    rb"^([A-Za-z]*(?:Uniqueid|Linkedid)|LastCall|LastPause|LoginTime): (?!<unknown>)([^\r\n]+)(\r?\n)$"
)


class TokenMap:
    """Recorded run-specific values paired with the server's, one to one, learned on the go.

    Local sequence numbers, Uniqueid/Linkedid-like values and queue epochs differ from run to
    run; within one scenario the same recorded value must always stand for the same value
    from the server (and vice versa). :meth:`match` compares two normalised messages under
    that rule and learns the new pairs of a match; :meth:`rewrite` turns recorded values in a
    client's message into the server's.
    """

    def __init__(self) -> None:
        self.forward: dict[bytes, bytes] = {}
        self.backward: dict[bytes, bytes] = {}

    @staticmethod
    def _split(line: bytes) -> tuple[list[bytes], list[bytes]]:
        """A line as literal parts and the tokens between them."""
        match = _ID_LINE.match(line)
        if match is not None:
            return [match[1] + b": ", match[3]], [match[2]]
        parts: list[bytes] = []
        tokens: list[bytes] = []
        last = 0
        for found in LOCAL_SEQUENCE.finditer(line):
            parts.append(line[last : found.start(2)])
            tokens.append(found[2])
            last = found.end(2)
        parts.append(line[last:])
        return parts, tokens

    def match(self, want: bytes, got: bytes) -> bool:
        """``want`` (recorded) and ``got`` (server) are the same message up to mapped tokens;
        on success the new pairs are learned."""
        want_lines, got_lines = message_lines(want), message_lines(got)
        if len(want_lines) != len(got_lines):
            return False
        forward: dict[bytes, bytes] = {}
        backward: dict[bytes, bytes] = {}
        for want_line, got_line in zip(want_lines, got_lines, strict=True):
            plain = not LOCAL_SEQUENCE.search(want_line) and _ID_LINE.match(want_line) is None
            if want_line == got_line and plain:
                continue
            want_parts, want_tokens = self._split(want_line)
            got_parts, got_tokens = self._split(got_line)
            if want_parts != got_parts or len(want_tokens) != len(got_tokens):
                return False
            for recorded, actual in zip(want_tokens, got_tokens, strict=True):
                bound = self.forward.get(recorded, forward.get(recorded))
                back = self.backward.get(actual, backward.get(actual))
                if bound not in (None, actual) or back not in (None, recorded):
                    return False
                forward[recorded], backward[actual] = actual, recorded
        self.forward.update(forward)
        self.backward.update(backward)
        return True

    def translate(self, message: bytes) -> bytes:
        """A recorded message with the values learned so far replaced by the server's."""
        out = []
        for line in message_lines(message):
            parts, tokens = self._split(line)
            mapped = [self.forward.get(token, token) for token in tokens] + [b""]
            out.append(b"".join(part + token for part, token in zip(parts, mapped, strict=True)))
        return b"".join(out)

    def rewrite(self, message: bytes) -> bytes:
        """A client's message with recorded channel names and ids replaced by the server's."""

        def local(found: re.Match[bytes]) -> bytes:
            return found[1] + self.forward.get(found[2], found[2])

        message = LOCAL_SEQUENCE.sub(local, message)
        for recorded, actual in self.forward.items():
            if b"." in recorded:  # a Uniqueid given as a channel
                message = re.sub(rb"(?<=: )" + re.escape(recorded) + rb"(?=\r?\n)", actual, message)
        return message
