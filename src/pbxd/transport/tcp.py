"""The AMI listener over TCP and TLS: asyncio.Protocol (not streams) on the hot path."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..manager.server import Manager
    from ..manager.session import Session

log = logging.getLogger("pbxd.transport")

WRITE_HIGH_WATER = 64 * 1024  # bytes the transport buffers above the socket before pausing
SEND_BUFFER = 128 * 1024  # the kernel's share: small enough that a stalled reader shows soon
BACKLOG = 4096


class AmiProtocol(asyncio.Protocol):
    """Moves bytes between one socket and its manager session."""

    __slots__ = ("manager", "transport", "session", "tls")

    def __init__(self, manager: Manager, tls: bool) -> None:
        self.manager = manager
        self.tls = tls
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)  # type: ignore[attr-defined]
        sock = transport.get_extra_info("socket")
        peer = transport.get_extra_info("peername") or ("", 0)
        local = transport.get_extra_info("sockname") or ("", 0)
        fd = sock.fileno() if sock is not None else -1
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self.session = self.manager.open_session(
            self, (local[0], local[1]), (peer[0], peer[1]), fd, "TLS" if self.tls else "TCP"
        )
        if self.session is None:
            transport.abort()  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.session.data_received(data)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None:
            self.session.connection_lost()
            self.session = None

    def pause_writing(self) -> None:
        if self.session is not None:
            self.session.pause_writing()

    def resume_writing(self) -> None:
        if self.session is not None:
            self.session.resume_writing()

    # -- the session's Link --------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection now: a reset, not a FIN queued behind unread data."""
        if self.transport is not None:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    def pause_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()


async def listen(
    manager: Manager, host: str, port: int, tls: ssl.SSLContext | None = None
) -> asyncio.Server:
    """Start accepting manager connections on ``host:port``."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: AmiProtocol(manager, tls is not None),
        host,
        port,
        ssl=tls,
        backlog=BACKLOG,
        reuse_address=True,
    )
    bound = server.sockets[0].getsockname()
    log.info("AMI %slistening on %s:%d", "TLS " if tls else "", bound[0], bound[1])
    return server


def tls_context(certfile: str, keyfile: str | None, ciphers: str = "") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile or None)
    if ciphers:
        context.set_ciphers(ciphers)
    return context
