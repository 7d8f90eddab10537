"""A manager session driven in-process: a link that keeps what the session writes, and a
client that sends actions through the session and decodes its answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbxd.protocol import ClientConnection, Message

if TYPE_CHECKING:
    from pbxd.manager.server import Manager


class Link:
    """The transport side of a session: it keeps every byte written."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None: ...
    def abort(self) -> None: ...
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def buffered(self) -> int:
        return 0


class Client:
    """A session of ``manager`` on a :class:`Link`: ``action`` sends, ``read`` decodes."""

    def __init__(self, manager: Manager) -> None:
        self.link = Link()
        session = manager.open_session(self.link, ("127.0.0.1", 5038), ("127.0.0.1", 40000), 7)
        assert session is not None
        self.session = session
        self.conn = ClientConnection()
        self.seen = 0

    def action(self, name: str, *headers: tuple[str, str]) -> None:
        self.session.data_received(self.conn.send_action(name, headers))

    def read(self) -> list[Message]:
        data = bytes(self.link.data[self.seen :])
        self.seen = len(self.link.data)
        return self.conn.receive_data(data)
