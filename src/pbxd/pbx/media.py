"""Audio on channels: a channel whose technology carries media has a ``MediaPort``.

Channels without media (Local) have ``channel.media = None`` and pay nothing. A port moves
G.711 frames: what the far end sends arrives through ``received`` and goes to the port's
``sink`` (the other party of a bridge, Echo) and to its ``taps`` (recordings, spies);
``write`` sends a frame to the far end. Technologies subclass it and implement
``transmit``; they may also short-cut a two-party bridge (``path_changed``), relaying
packets without decoding them while nothing else listens.

Directions, as Asterisk's audiohooks name them: ``read`` is what the channel receives from
its far end, ``write`` what goes to it.
"""

from __future__ import annotations

import abc
import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ..media import g711
from .events import Dtmf
from .flag import Flag, wait_any

if TYPE_CHECKING:
    from .channel import Channel, ChannelSnapshot

READ, WRITE = "read", "write"
FRAME_SAMPLES = 160  # 20 ms at 8 kHz
FRAME_SECONDS = FRAME_SAMPLES / 8000


class HoldChanged(NamedTuple):
    """The far end put the call on hold (``held``) or took it off (AMI Hold/Unhold)."""

    channel: ChannelSnapshot
    held: bool
    music_class: str = ""


class Frame(NamedTuple):
    codec: str  # "PCMU" or "PCMA"
    payload: bytes  # one byte a sample, 8 kHz

    def pcm(self) -> bytes:
        """16-bit signed little-endian samples."""
        return g711.decode(self.codec, self.payload)


Sink = Callable[[Frame], None]
Tap = Callable[[str, Frame], None]


class MediaPort(abc.ABC):
    """One channel's audio, owned by its technology (which says how it transmits)."""

    def __init__(self, channel: Channel, codec: str) -> None:
        self.channel = channel
        self.codec = codec
        self.sink: Sink | None = None
        self.peer: MediaPort | None = None  # the other party of a two-party bridge
        self.taps: list[Tap] = []
        self.digits: collections.deque[str] = collections.deque(maxlen=64)
        self.digit_arrived = Flag()

    # -- the technology's side ----------------------------------------------------------

    @abc.abstractmethod
    def transmit(self, frame: Frame) -> None:
        """Send ``frame`` (already in ``self.codec``) to the far end."""

    def send_digit(self, digit: str, duration_ms: int) -> None:  # noqa: B027 (optional hook)
        """Send a DTMF key press to the far end (technologies that can, override)."""

    def path_changed(self) -> None:  # noqa: B027 (optional hook)
        """``sink``, ``peer`` or ``taps`` changed (a technology may re-plan its fast path)."""

    def received(self, frame: Frame) -> None:
        """Audio from the far end."""
        for tap in self.taps:
            tap(READ, frame)
        if self.sink is not None:
            self.sink(frame)

    def digit_received(self, digit: str, begin: bool, duration_ms: int = 0) -> None:
        """A DTMF key press from the far end: DTMFBegin/DTMFEnd, and a digit for the
        application that reads them; a bridged peer is told it sent the digit."""
        channel = self.channel
        channel.publish(Dtmf(channel.snapshot(), digit, "Received", begin, duration_ms))
        if not begin:
            self.digits.append(digit)
            self.digit_arrived.set()
        peer = self.peer
        if peer is not None:
            peer.channel.publish(Dtmf(peer.channel.snapshot(), digit, "Sent", begin, duration_ms))
            if not begin:
                peer.send_digit(digit, duration_ms)

    # -- the PBX's side -----------------------------------------------------------------

    def play_digit(self, digit: str, duration_ms: int, received: bool) -> None:
        """PlayDTMF: send a key press to the far end, or (``received``) hand it to the
        application reading digits as if the far end had pressed it."""
        if received:
            self.digits.append(digit)
            self.digit_arrived.set()
        else:
            self.send_digit(digit, duration_ms)

    def write(self, frame: Frame) -> None:
        """Send audio to the far end, converted to the port's codec."""
        if frame.codec != self.codec:
            frame = Frame(self.codec, g711.transcode(frame.codec, self.codec, frame.payload))
        for tap in self.taps:
            tap(WRITE, frame)
        self.transmit(frame)

    def set_sink(self, sink: Sink | None, peer: MediaPort | None = None) -> None:
        self.sink, self.peer = sink, peer
        self.path_changed()

    def add_tap(self, tap: Tap) -> None:
        self.taps.append(tap)
        self.path_changed()
        if self.peer is not None:
            self.peer.path_changed()

    def remove_tap(self, tap: Tap) -> None:
        if tap in self.taps:
            self.taps.remove(tap)
            self.path_changed()
            if self.peer is not None:
                self.peer.path_changed()

    async def read_digit(self, seconds: float | None) -> str | None:
        """The next digit the far end pressed; None on timeout or hangup."""
        channel = self.channel
        while not self.digits:
            if channel.hangup_requested:
                return None
            self.digit_arrived.clear()
            before = channel.pbx.clock()
            await wait_any((self.digit_arrived, channel.hung_up), seconds, channel.pbx.clock)
            if seconds is not None:
                seconds -= channel.pbx.clock() - before
                if not self.digits and seconds <= 0:
                    return None
        return self.digits.popleft()


class PassThrough(MediaPort):
    """One of two ports joined back to back (the halves of a Local channel): what is sent
    to one half's far end is what the other half receives. Made only when a Local channel
    is bridged with a channel that has media."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel, "PCMU")
        self.partner: PassThrough | None = None

    def write(self, frame: Frame) -> None:  # no conversion: the last hop converts
        for tap in self.taps:
            tap(WRITE, frame)
        self.transmit(frame)

    def transmit(self, frame: Frame) -> None:
        if self.partner is not None:
            self.partner.received(frame)

    def send_digit(self, digit: str, duration_ms: int) -> None:  # noqa: B027 (optional hook)
        if self.partner is not None:
            self.partner.digit_received(digit, True)
            self.partner.digit_received(digit, False, duration_ms)


def connect_bridge(channels: list[Channel]) -> None:
    """Wire the audio of a bridge's channels: two with media hear each other (a channel
    without media whose technology can pass audio through, a Local half, is given ports
    first); otherwise (one alone, three or more) nobody's audio goes anywhere."""
    if len(channels) == 2:
        for channel in channels:
            if channel.media is None:
                provide = getattr(channel.driver, "provide_media", None)
                if provide is not None:
                    provide()
    ports = [c.media for c in channels if c.media is not None]
    if len(channels) == 2 and len(ports) == 2:
        one, two = ports
        one.set_sink(two.write, two)
        two.set_sink(one.write, one)
        return
    for port in ports:
        if port.sink is not None:
            port.set_sink(None)


def disconnect(channel: Channel) -> None:
    """The channel left its bridge: its audio goes nowhere."""
    port = channel.media
    if port is not None and port.peer is not None:
        port.set_sink(None)


def frames_of(codec: str, pcm: bytes) -> list[Frame]:
    """16-bit PCM cut into 20 ms frames of ``codec`` (the last one padded with silence)."""
    payload = g711.encode(codec, pcm)
    if len(payload) % FRAME_SAMPLES:
        pad = FRAME_SAMPLES - len(payload) % FRAME_SAMPLES
        payload += bytes([g711.SILENCE[codec]]) * pad
    return [
        Frame(codec, payload[i : i + FRAME_SAMPLES]) for i in range(0, len(payload), FRAME_SAMPLES)
    ]


async def stream(channel: Channel, frames: list[Frame], stop: Flag | None = None) -> bool:
    """Send frames at 20 ms intervals on the PBX clock; False if the channel hung up, was
    interrupted or ``stop`` was set (a digit pressed) first."""
    port = channel.media
    if port is None:
        return False
    clock = channel.pbx.clock
    flags = (channel.hung_up, channel.interrupted) + ((stop,) if stop is not None else ())
    start = clock()
    for index, frame in enumerate(frames):
        if any(flag.is_set() for flag in flags):
            return False
        port.write(frame)
        delay = start + (index + 1) * FRAME_SECONDS - clock()
        if delay > 0:
            await wait_any(flags, delay, clock)
    return not any(flag.is_set() for flag in flags)
