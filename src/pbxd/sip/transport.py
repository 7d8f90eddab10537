"""SIP over UDP and TCP with asyncio: bytes in and out, messages handed to the stack.

``SipTransport(on_message, on_bad_message)`` binds with ``start_udp(host, port)`` and
``start_tcp(host, port)`` (port 0 picks a free one; ``udp_address``/``tcp_address`` give the
real ones). Every parsed message goes to ``on_message(message, endpoint)``; bytes that do not
parse go to ``on_bad_message(data, endpoint, error)`` (a TCP connection that sent them is then
closed, its framing being lost). ``send(message, endpoint)`` writes to UDP, or to the TCP
connection the endpoint came on (opening one when there is none). Keep-alive CRLFs are
ignored. Nothing here raises on what the network sends.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import socket
from collections.abc import Callable, Coroutine
from typing import Any, cast

from .message import Message, SipParseError, StreamFramer, parse_message
from .transaction import Endpoint

log = logging.getLogger("pbxd.sip")

UDP_RECEIVE_BUFFER = 4 * 1024 * 1024  # bytes asked for; Linux caps it at net.core.rmem_max
UDP_BURST = 64  # datagrams read at a time before others get their turn
MAX_DATAGRAM = 65535

OnMessage = Callable[[Message, Endpoint], None]
OnBadMessage = Callable[[bytes, Endpoint, SipParseError], None]


class _TcpConnection(asyncio.Protocol):
    def __init__(self, owner: SipTransport) -> None:
        self.owner = owner
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.endpoint = Endpoint("tcp", "", 0)
        self.pending: list[bytes] = []  # written before the connection was made

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        host, port = transport.get_extra_info("peername")[:2]
        self.endpoint = Endpoint("tcp", str(host), int(port))
        self.owner.connections[(self.endpoint.host, self.endpoint.port)] = self
        for data in self.pending:
            self.transport.write(data)
        self.pending.clear()

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.framer.feed(data)
        except SipParseError as exc:
            self.owner.bad_message(data, self.endpoint, exc)
            if self.transport is not None:
                self.transport.close()
            return
        for message in messages:
            self.owner.on_message(message, self.endpoint)

    def write(self, data: bytes) -> None:
        if self.transport is None:
            self.pending.append(data)
        elif not self.transport.is_closing():
            self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        key = (self.endpoint.host, self.endpoint.port)
        if self.owner.connections.get(key) is self:
            del self.owner.connections[key]


@functools.lru_cache(maxsize=1024)
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class SipTransport:
    def __init__(self, on_message: OnMessage, on_bad_message: OnBadMessage) -> None:
        self.on_message = on_message
        self.bad_message = on_bad_message
        self.udp: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.tcp: asyncio.Server | None = None
        self.connections: dict[tuple[str, int], _TcpConnection] = {}
        self._connecting: set[asyncio.Task[None]] = set()

    async def start_udp(self, host: str, port: int) -> None:
        """Bind UDP with a large receive buffer (up to the system's limit), so a burst of
        requests while the loop is busy waits in the kernel instead of being dropped. The
        socket is read by a reader callback, and by ``poll`` from others (RTP) in between."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
            sock.bind((host, port))
            sock.setblocking(False)
            loop.add_reader(sock.fileno(), self.poll)
        except BaseException:
            sock.close()
            raise
        self.udp, self._loop = sock, loop

    def poll(self) -> None:
        """Read what has come on UDP (a burst at most): the loop calls it when the socket is
        readable, and RTP streams between their bursts while media keeps the loop busy, so
        signalling is not left waiting behind hundreds of media sockets."""
        sock = self.udp
        if sock is None:
            return
        for _ in range(UDP_BURST):
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # ICMP port unreachable and the like
                log.debug("SIP UDP error: %s", exc)
                return
            self.received(data, Endpoint("udp", str(addr[0]), int(addr[1])))
            if self.udp is None:
                return

    async def start_tcp(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self.tcp = await loop.create_server(lambda: _TcpConnection(self), host, port)

    @property
    def udp_address(self) -> tuple[str, int] | None:
        if self.udp is None:
            return None
        host, port = self.udp.getsockname()[:2]
        return str(host), int(port)

    @property
    def tcp_address(self) -> tuple[str, int] | None:
        if self.tcp is None or not self.tcp.sockets:
            return None
        host, port = self.tcp.sockets[0].getsockname()[:2]
        return str(host), int(port)

    def received(self, data: bytes, endpoint: Endpoint) -> None:
        if not data.strip(b"\r\n\t "):
            return  # a keep-alive
        try:
            message = parse_message(data)
        except SipParseError as exc:
            self.bad_message(data, endpoint, exc)
            return
        self.on_message(message, endpoint)

    def send(self, message: Message, endpoint: Endpoint) -> None:
        data = message.encode()
        if endpoint.protocol == "udp":
            if self.udp is None:
                return
            if _is_ip(endpoint.host):
                self._sendto(data, (endpoint.host.strip("[]"), endpoint.port))
            else:
                self._spawn(self._resolve_and_send(data, endpoint))
            return
        connection = self.connections.get((endpoint.host, endpoint.port))
        if connection is None:
            connection = _TcpConnection(self)
            self.connections[(endpoint.host, endpoint.port)] = connection
            self._spawn(self._connect(connection, endpoint))
        connection.write(data)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    def _sendto(self, data: bytes, address: tuple[str, int]) -> None:
        try:
            if self.udp is not None:
                self.udp.sendto(data, address)
        except (OSError, ValueError) as exc:
            log.warning("SIP UDP send to %s:%s failed: %s", address[0], address[1], exc)

    async def _resolve_and_send(self, data: bytes, endpoint: Endpoint) -> None:
        """A host name: looked up without blocking the loop, then sent to."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(endpoint.host, endpoint.port, type=socket.SOCK_DGRAM,
                                           family=socket.AF_INET)  # fmt: skip
        except OSError as exc:
            log.warning("SIP: cannot resolve %s: %s", endpoint.host, exc)
            return
        if infos:
            address = infos[0][4]
            self._sendto(data, (str(address[0]), int(address[1])))

    async def _connect(self, connection: _TcpConnection, endpoint: Endpoint) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: connection, endpoint.host, endpoint.port)
        except OSError as exc:
            log.warning("SIP TCP connection to %s failed: %s", endpoint, exc)
            key = (endpoint.host, endpoint.port)
            if self.connections.get(key) is connection:
                del self.connections[key]

    async def close(self) -> None:
        sock, self.udp = self.udp, None
        if sock is not None:
            if self._loop is not None:
                self._loop.remove_reader(sock.fileno())
            sock.close()
        for connection in list(self.connections.values()):
            if connection.transport is not None:
                connection.transport.close()
        for task in list(self._connecting):
            task.cancel()
        if self.tcp is not None:
            self.tcp.close()
            await self.tcp.wait_closed()
