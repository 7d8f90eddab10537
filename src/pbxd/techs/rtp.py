"""RTP streams: one UDP socket per call leg, on an even port of the ``rtp.conf`` range.

A ``RtpStream`` is the channel's ``MediaPort`` for SIP: it sends frames as RTP with its
own SSRC, sequence numbers and timestamps, and hands received audio and RFC 4733 digits
to the PBX. RTP is symmetric: packets go back to where the far end's come from. Packets
from an address other than the one the SDP gave are dropped with a log line, unless the
stream learns its source (``nat``), which it does from the first packet only.

Two streams bridged with the same codec, and nothing listening (no recording, no spy),
relay the far end's packets as they are, without decoding them.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import conf
from ..media import rtp
from ..media.g711 import LAWS
from ..media.sdp import CODEC_PT
from ..pbx.media import Frame, MediaPort

if TYPE_CHECKING:
    from ..pbx.channel import Channel

log = logging.getLogger("pbxd.rtp")

Address = tuple[str, int]


@dataclass(frozen=True)
class PortRange:
    start: int = 10000
    end: int = 20000


def load_port_range(directory: Path) -> PortRange:
    """``rtpstart``/``rtpend`` of ``rtp.conf``'s ``[general]``, else 10000-20000."""
    path = directory / "rtp.conf"
    if not path.is_file():
        return PortRange()
    general = conf.load(path).get_category("general")
    if general is None:
        return PortRange()
    start, end = general.get("rtpstart", ""), general.get("rtpend", "")
    ports = PortRange(
        int(start) if start.isdigit() else 10000, int(end) if end.isdigit() else 20000
    )
    if not 1024 <= ports.start < ports.end <= 65535:
        log.warning("rtp.conf: bad range %d-%d, using 10000-20000", ports.start, ports.end)
        return PortRange()
    return ports


class PortAllocator:
    """Even ports of a range, handed out in turn; a port in use is skipped.

    Sockets given back are kept (up to ``keep``) and handed out again, oldest first, after
    the packets queued on them are thrown away: a busy PBX does not open and close two
    sockets per call.
    """

    def __init__(self, ports: PortRange, host: str, keep: int = 256) -> None:
        self.ports, self.host = ports, host
        first = ports.start + (ports.start & 1)
        self._cycle = itertools.cycle(range(first, ports.end, 2))
        self._count = len(range(first, ports.end, 2))
        self._free: collections.deque[socket.socket] = collections.deque()
        self._keep = keep
        self._closed = False

    def release(self, sock: socket.socket) -> None:
        """``sock`` is no longer used: kept for another call, or closed."""
        if len(self._free) < self._keep and sock.fileno() != -1 and not self._closed:
            self._free.append(sock)
        else:
            sock.close()

    def close(self) -> None:
        """Close the kept sockets; later ones are closed as they come back."""
        self._closed = True
        while self._free:
            self._free.popleft().close()

    def bind(self) -> socket.socket:
        """A UDP socket bound on the next free even port; OSError when all are taken."""
        while self._free:
            sock = self._free.popleft()
            try:
                while True:  # what came after its last call ended
                    sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return sock
            except OSError:
                sock.close()
        for _ in range(self._count):
            port = next(self._cycle)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((self.host, port))
            except OSError:
                sock.close()
                continue
            sock.setblocking(False)
            return sock
        raise OSError(f"no free RTP port in {self.ports.start}-{self.ports.end}")


BURST = 64  # packets read from one socket at a time


class Interleave:
    """``poll`` (the SIP socket's reader) run between media bursts, at most every
    ``interval`` seconds: while hundreds of RTP sockets keep the loop busy, a loop turn can
    take long, and signalling must not wait for it to end (the far end would retransmit)."""

    def __init__(self, poll: Callable[[], None], interval: float = 0.005) -> None:
        self.poll = poll
        self.interval = interval
        self._last = 0.0

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.poll()


class RtpStream(MediaPort):
    """A SIP channel's media: RTP in and out on one UDP socket."""

    def __init__(
        self,
        channel: Channel,
        sock: socket.socket,
        release: Callable[[socket.socket], None],
        between_bursts: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(channel, "PCMU")
        self.sock = sock
        self._release = release  # takes the socket back when the stream closes
        self.between_bursts = between_bursts  # after each read of the socket (an Interleave)
        self.closed = False
        self.local: Address = sock.getsockname()[:2]
        self.loop: asyncio.AbstractEventLoop | None = None  # set while the socket is read
        self.remote: Address | None = None
        self.learn = False  # take the first packet's source as the far end (nat)
        self.heard = False  # a packet came from the far end
        self.payload_type = CODEC_PT["PCMU"]
        self.event_pt: int | None = None
        self.sending = True  # False while the far end holds the call
        self.sequencer = rtp.Sequencer()
        self.events = rtp.EventReceiver()
        self.relay_to: RtpStream | None = None  # the fast path, when planned
        self.received_packets = self.sent_packets = self.dropped_packets = 0
        self.relayed_packets = 0  # sent by the fast path, undecoded
        #: run once before the first packet goes out (a SIP caller not yet answered is sent
        #: 183 Session Progress first, as chan_sip does for early media)
        self.before_sending: Callable[[], None] | None = None
        self._warned: set[Address] = set()

    def open(self) -> None:
        """Start reading the socket (a reader callback on the loop: no transport object)."""
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.sock.fileno(), self._readable)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.peer is not None and self.peer.peer is self:
            self.peer.set_sink(None)
        self.set_sink(None)
        self.taps.clear()
        if self.loop is not None:
            self.loop.remove_reader(self.sock.fileno())
            self.loop = None
        self._release(self.sock)

    def _readable(self) -> None:
        recvfrom = self.sock.recvfrom
        for _ in range(BURST):  # at most, then other sockets get their turn
            try:
                data, addr = recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # ICMP port unreachable and the like
                log.debug("RTP on %s: %s", self.channel.name, exc)
                break
            self.datagram_received(data, addr)
            if self.loop is None:  # closed meanwhile
                return
        if self.between_bursts is not None:
            self.between_bursts()

    def _send(self, data: bytes) -> None:
        try:
            self.sock.sendto(data, self.remote)  # type: ignore[arg-type]
        except OSError as exc:  # a full buffer or an unreachable far end: the packet is lost
            self.dropped_packets += 1
            log.debug("RTP on %s not sent: %s", self.channel.name, exc)

    def configure(
        self, codec: str, payload_type: int, event_pt: int | None, remote: Address, sending: bool
    ) -> None:
        """What offer/answer settled: codec, payload types, where to send, hold or not."""
        if codec not in LAWS:
            raise ValueError(f"unsupported codec {codec}")
        self.codec, self.payload_type, self.event_pt = codec, payload_type, event_pt
        if remote != self.remote:
            self.remote, self.heard = remote, False
        self.sending = sending and remote[0] != "0.0.0.0"
        self.path_changed()
        if self.peer is not None:
            self.peer.path_changed()

    # -- receiving ------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if addr != self.remote and not self._accept_from(addr):
            return
        self.heard = True
        self.received_packets += 1
        relay = self.relay_to
        if relay is not None and (data[1] & 0x7F) == self.payload_type and len(data) > 12:
            relay.forward(data)
            return
        packet = rtp.Packet.parse(data)
        if packet is None:
            self.dropped_packets += 1
            return
        if packet.payload_type == self.payload_type:
            self.received(Frame(self.codec, packet.payload))
        elif packet.payload_type == self.event_pt:
            for event in self.events.receive(packet):
                self.digit_received(event.digit, event.begin, event.duration_ms)
        elif packet.payload_type in (0, 8):  # the other law, sent without renegotiation
            self.received(Frame("PCMU" if packet.payload_type == 0 else "PCMA", packet.payload))

    def _accept_from(self, addr: Address) -> bool:
        if self.learn and not self.heard:
            log.info("RTP on %s: learned the far end's address %s:%d", self.channel.name, *addr)
            self.remote = addr
            return True
        self.dropped_packets += 1
        if addr not in self._warned and len(self._warned) < 16:
            self._warned.add(addr)
            log.warning(
                "RTP on %s from unexpected address %s:%d (expected %s): dropped",
                self.channel.name,
                addr[0],
                addr[1],
                "%s:%d" % self.remote if self.remote else "nothing yet",
            )
        return False

    # -- sending --------------------------------------------------------------------------

    def transmit(self, frame: Frame) -> None:
        if self.loop is None or self.remote is None or not self.sending:
            return
        if self.before_sending is not None:
            self._first_send()
        self.sent_packets += 1
        self._send(self.sequencer.next(self.payload_type, frame.payload, len(frame.payload)))

    def forward(self, data: bytes) -> None:
        """A packet of the bridged peer's, relayed with our own header."""
        if self.loop is None or self.remote is None or not self.sending:
            return
        if self.before_sending is not None:
            self._first_send()
        self.sent_packets += 1
        self.relayed_packets += 1
        sequencer = self.sequencer
        header = rtp.HEADER.pack(
            0x80,
            (data[1] & 0x80) | self.payload_type,
            sequencer.sequence,
            sequencer.timestamp,
            sequencer.ssrc,
        )
        sequencer.sequence = (sequencer.sequence + 1) & 0xFFFF
        size = len(data) - 12 - 4 * (data[0] & 0x0F)
        sequencer.timestamp = (sequencer.timestamp + size) & 0xFFFFFFFF
        if data[0] & 0x30:  # padding or an extension: let the parser find the payload
            packet = rtp.Packet.parse(data)
            if packet is None:
                return
            self._send(header + packet.payload)
            return
        self._send(header + data[12 + 4 * (data[0] & 0x0F) :])

    def _first_send(self) -> None:
        hook, self.before_sending = self.before_sending, None
        if hook is not None:
            hook()

    def send_digit(self, digit: str, duration_ms: int) -> None:
        if self.loop is None or self.remote is None or self.event_pt is None:
            return
        if not self.sending:
            return
        for packet in self.sequencer.events(self.event_pt, digit, duration_ms):
            self._send(packet)

    def path_changed(self) -> None:
        peer = self.peer
        fast = (
            isinstance(peer, RtpStream)
            and peer is not self
            and peer.codec == self.codec
            and not self.taps
            and not peer.taps
            and self.sink is not None
        )
        self.relay_to = peer if fast else None  # type: ignore[assignment]
