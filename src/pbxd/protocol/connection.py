"""Connection state for both ends of an AMI stream, with no I/O of its own.

The caller moves bytes: ``receive_data`` with what the socket read, and writes what
``send``/``initiate`` return.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from .codec import Decoder, encode_message, encode_pairs
from .errors import ProtocolError
from .message import Message

BANNER_PREFIX = "Asterisk Call Manager/"
CLIENT_MAX_LINE = 1 << 20  # a server's line longer than 1 MiB is dropped (bounded memory)
CLIENT_MAX_LINES = 1 << 20  # lines kept of one message (Command output can be long)


class ConnectionState(enum.Enum):
    GREETING = "greeting"  # banner not yet exchanged
    UNAUTH = "unauth"  # banner exchanged, not logged in
    AUTHED = "authed"
    CLOSED = "closed"


class ServerConnection:
    """The manager's end: sends the banner, reads actions within Asterisk's limits."""

    __slots__ = ("state", "decoder")

    def __init__(self) -> None:
        self.state = ConnectionState.GREETING
        self.decoder = Decoder()

    def initiate(self, version: str) -> bytes:
        """The banner line, sent at once on connect (no blank line after it)."""
        self.state = ConnectionState.UNAUTH
        return f"{BANNER_PREFIX}{version}\r\n".encode()

    def receive_data(self, data: bytes) -> list[Message]:
        if self.state is ConnectionState.CLOSED:
            return []
        return self.decoder.feed(data)

    def authenticated(self) -> None:
        if self.state is not ConnectionState.CLOSED:
            self.state = ConnectionState.AUTHED

    def close(self) -> None:
        self.state = ConnectionState.CLOSED

    @staticmethod
    def send(lines: Iterable[str]) -> bytes:
        return encode_message(lines)


class ClientConnection:
    """A program's end: reads the banner, then responses and events (UTF-8, or latin-1 for
    a message that is not UTF-8), within limits no real server reaches."""

    __slots__ = ("state", "decoder", "banner", "_head")

    def __init__(self) -> None:
        self.state = ConnectionState.GREETING
        self.decoder = Decoder(
            CLIENT_MAX_LINE,
            CLIENT_MAX_LINES,
            emit_empty=False,
            classic_output=True,
            latin1_fallback=True,
        )
        self.banner: str | None = None
        self._head = b""

    @property
    def version(self) -> str | None:
        """The AMI version the banner announced, e.g. ``9.0.0``."""
        if self.banner and self.banner.startswith(BANNER_PREFIX):
            return self.banner[len(BANNER_PREFIX) :]
        return None

    def receive_data(self, data: bytes) -> list[Message]:
        if self.state is ConnectionState.CLOSED:
            return []
        if self.state is ConnectionState.GREETING:
            self._head += data
            nl = self._head.find(b"\n")
            if nl < 0:
                if len(self._head) > 4096:
                    raise ProtocolError("no banner line from the server")
                return []
            line = self._head[:nl].rstrip(b"\r").decode("utf-8", "replace")
            data, self._head = self._head[nl + 1 :], b""
            if not line.startswith(BANNER_PREFIX.split("/")[0]):
                raise ProtocolError(f"not an AMI server: {line[:80]!r}")
            self.banner = line
            self.state = ConnectionState.UNAUTH
        return self.decoder.feed(data)

    @staticmethod
    def send_action(action: str, headers: Iterable[tuple[str, str]] = ()) -> bytes:
        """An action's wire bytes: ``Action:`` first, then the given headers in order."""
        return encode_pairs([("Action", action), *headers])

    def authenticated(self) -> None:
        if self.state is not ConnectionState.CLOSED:
            self.state = ConnectionState.AUTHED

    def close(self) -> None:
        self.state = ConnectionState.CLOSED
