"""A tiny blocking AMI client over a raw socket: exact bytes out, exact messages in."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable

CRLF = b"\r\n"


class AmiTimeout(AssertionError):
    """The server did not send what was awaited in time (the partial data is in the text)."""


def action(name: str, *headers: tuple[str, str], action_id: str | None = None) -> bytes:
    """Serialise one action: ``action("Ping", action_id="1")`` -> ``b"Action: Ping\\r\\n..."``."""
    lines = [f"Action: {name}"]
    if action_id is not None:
        lines.append(f"ActionID: {action_id}")
    lines.extend(f"{key}: {value}" for key, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def headers(message: bytes) -> dict[str, str]:
    """The headers of one message, names lower-cased (the last repeat wins)."""
    result: dict[str, str] = {}
    for line in message.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            result[name.strip().lower()] = value.lstrip(" ")
    return result


class AmiSocket:
    """A raw TCP connection to an AMI server.

    The first unit read is the banner line; every later unit is one message: the lines up
    to and including the empty ``\\r\\n`` line.
    """

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.eof = False
        self.banner_read = False

    def __enter__(self) -> AmiSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> bool:
        """Receive more bytes; False on EOF or when the deadline passed."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _take_unit(self) -> bytes | None:
        """One complete banner line or message from the buffer, if there is one."""
        if not self.banner_read:
            end = self.buffer.find(b"\n")
            if end < 0:
                return None
            self.banner_read = True
            unit, self.buffer = self.buffer[: end + 1], self.buffer[end + 1 :]
            return unit
        start = 0
        while True:
            end = self.buffer.find(b"\n", start)
            if end < 0:
                return None
            if self.buffer[start : end + 1] in (CRLF, b"\n"):
                unit, self.buffer = self.buffer[: end + 1], self.buffer[end + 1 :]
                return unit
            start = end + 1

    def read_unit(self, timeout: float | None = None) -> bytes:
        """The next banner line or message; raises AmiTimeout (with the partial bytes)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            unit = self._take_unit()
            if unit is not None:
                return unit
            if not self._fill(deadline):
                what = "connection closed" if self.eof else "timed out"
                raise AmiTimeout(
                    f"{what} waiting for a complete message; got so far: {self.buffer!r}"
                )

    def read_banner(self, timeout: float | None = None) -> bytes:
        if self.banner_read:
            raise ValueError("banner already read")
        return self.read_unit(timeout)

    def read_message(self, timeout: float | None = None) -> bytes:
        if not self.banner_read:
            self.read_banner(timeout)
        return self.read_unit(timeout)

    def read_messages(self, count: int, timeout: float | None = None) -> list[bytes]:
        """Exactly ``count`` messages, all within ``timeout`` seconds in total."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        return [self.read_message(max(0.0, deadline - time.monotonic())) for _ in range(count)]

    def read_available(self, wait: float = 0.05) -> list[bytes]:
        """Whatever complete units arrive within ``wait`` seconds (possibly none)."""
        deadline = time.monotonic() + wait
        while self._fill(deadline):
            pass
        units = []
        while (unit := self._take_unit()) is not None:
            units.append(unit)
        return units

    def wait_eof(self, timeout: float = 2.0) -> bool:
        """True once the server has closed the connection (data still unread stays buffered)."""
        deadline = time.monotonic() + timeout
        while not self.eof and self._fill(deadline):
            pass
        return self.eof

    def request(self, data: bytes, timeout: float | None = None) -> bytes:
        """Send one action and return the next message (the response, if no event interleaves)."""
        self.send(data)
        return self.read_message(timeout)

    def login(
        self, username: str = "admin", secret: str = "adminpass", events: str | None = "off"
    ) -> bytes:
        """Plain login; with events on, the events that follow are left unread."""
        extra: Iterable[tuple[str, str]] = [("Username", username), ("Secret", secret)]
        if events is not None:
            extra = [*extra, ("Events", events)]
        response = self.request(action("Login", *extra))
        if b"Message: Authentication accepted\r\n" not in response:
            raise AssertionError(f"login as {username} failed: {response!r}")
        return response

    def read_event(self, name: str, timeout: float | None = None) -> bytes:
        """Skip messages until ``Event: name`` arrives (bounded by ``timeout``)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        wanted = f"Event: {name}\r\n".encode()
        while True:
            message = self.read_message(max(0.0, deadline - time.monotonic()))
            if message.startswith(wanted):
                return message
