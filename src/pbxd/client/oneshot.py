"""A small blocking AMI client: log in, send actions, collect responses and event lists."""

from __future__ import annotations

import hashlib
import itertools
import socket
from collections.abc import Iterator, Sequence

from ..protocol import ClientConnection, Message


class AmiError(Exception):
    """The server refused a login or closed the connection."""


class BlockingClient:
    """One connection; ``request`` returns the response and any list events that follow it."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.conn = ClientConnection()
        self.queue: list[Message] = []
        self._ids = itertools.count(1)
        while self.conn.banner is None:
            self._fill()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise AmiError("connection closed by the server")
        self.queue.extend(self.conn.receive_data(data))

    def next_message(self) -> Message:
        while not self.queue:
            self._fill()
        return self.queue.pop(0)

    def request(self, action: str, headers: Sequence[tuple[str, str]] = ()) -> list[Message]:
        """Send one action; the response, then list items up to ``EventList: Complete``."""
        action_id = f"ami-{next(self._ids)}"
        self.sock.sendall(self.conn.send_action(action, [*headers, ("ActionID", action_id)]))
        replies: list[Message] = []
        while True:
            message = self.next_message()
            if message.get("actionid") != action_id:
                continue
            replies.append(message)
            if "response" in message and message.get("eventlist").lower() != "start":
                return replies
            if message.get("eventlist").lower() == "complete":
                return replies

    def login(self, username: str, secret: str, events: str = "off") -> None:
        challenge = self.request("Challenge", [("AuthType", "md5")])[0]
        key = hashlib.md5((challenge.get("challenge") + secret).encode()).hexdigest()
        reply = self.request(
            "Login", [("AuthType", "md5"), ("Username", username), ("Key", key), ("Events", events)]
        )[0]
        if reply.get("response").lower() != "success":
            raise AmiError(reply.get("message") or "login refused")

    def events(self) -> Iterator[Message]:
        while True:
            message = self.next_message()
            if "event" in message:
                yield message

    def close(self) -> None:
        try:
            self.request("Logoff")
        except (OSError, AmiError):
            pass
        self.sock.close()


def render(message: Message) -> str:
    return "\n".join(message.lines) + "\n"
