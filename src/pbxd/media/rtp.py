"""RTP packets (RFC 3550) and telephone events (RFC 4733), without sockets or clocks.

``Packet.parse`` reads a datagram (None for anything that is not RTP version 2), ``Packet``
builds one; ``Sequencer`` numbers what one source sends; ``EventReceiver`` turns the
redundant event packets of a DTMF key press into one begin and one end.
"""

from __future__ import annotations

import random
import struct
from typing import NamedTuple

HEADER = struct.Struct("!BBHII")
EVENT = struct.Struct("!BBH")
#: RFC 4733 event codes 0-15 and the digits they stand for.
EVENT_DIGITS = "0123456789*#ABCD"
SAMPLE_RATE = 8000


class Packet(NamedTuple):
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    @classmethod
    def parse(cls, data: bytes) -> Packet | None:
        """The packet in ``data``; None if it is too short, not version 2 or inconsistent."""
        if len(data) < 12:
            return None
        first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
        if first >> 6 != 2:
            return None
        offset = 12 + 4 * (first & 0x0F)
        if first & 0x10:  # a header extension: 4 bytes, then its length in words
            if len(data) < offset + 4:
                return None
            offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
        end = len(data)
        if first & 0x20:  # padding: the last byte counts it
            end -= data[-1]
        if offset > end:
            return None
        return cls(second & 0x7F, sequence, timestamp, ssrc, data[offset:end], bool(second & 0x80))

    def build(self) -> bytes:
        return (
            HEADER.pack(
                0x80,
                (0x80 if self.marker else 0) | self.payload_type,
                self.sequence,
                self.timestamp,
                self.ssrc,
            )
            + self.payload
        )


class Sequencer:
    """One outgoing stream: a random SSRC, sequence number and timestamp origin."""

    __slots__ = ("ssrc", "sequence", "timestamp")

    def __init__(self, rng: random.Random | None = None) -> None:
        bits = rng.getrandbits(80) if rng is not None else random.getrandbits(80)
        self.ssrc = bits & 0xFFFFFFFF
        self.sequence = (bits >> 32) & 0xFFFF
        self.timestamp = bits >> 48

    def next(self, payload_type: int, payload: bytes, samples: int, marker: bool = False) -> bytes:
        """The next packet carrying ``samples`` samples of audio (or one event update)."""
        packet = Packet(payload_type, self.sequence, self.timestamp, self.ssrc, payload, marker)
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.timestamp = (self.timestamp + samples) & 0xFFFFFFFF
        return packet.build()

    def events(self, payload_type: int, digit: str, duration_ms: int) -> list[bytes]:
        """The packets of one key press: a marked start, updates each 50 ms, three ends.

        They all carry the event's start timestamp; the audio clock then moves past it.
        """
        code = EVENT_DIGITS.index(digit.upper())
        duration = max(duration_ms, 40) * SAMPLE_RATE // 1000
        start, packets = self.timestamp, []
        steps = list(range(400, duration, 400)) or [min(160, duration)]
        for index, elapsed in enumerate(steps):
            packets.append(self._event(payload_type, start, code, False, elapsed, index == 0))
        for _ in range(3):
            packets.append(self._event(payload_type, start, code, True, duration, False))
        self.timestamp = (start + duration) & 0xFFFFFFFF
        return packets

    def _event(
        self, payload_type: int, start: int, code: int, end: bool, duration: int, marker: bool
    ) -> bytes:
        payload = EVENT.pack(code, (0x80 if end else 0) | 10, min(duration, 0xFFFF))
        packet = Packet(payload_type, self.sequence, start, self.ssrc, payload, marker)
        self.sequence = (self.sequence + 1) & 0xFFFF
        return packet.build()


class DigitEvent(NamedTuple):
    digit: str
    begin: bool  # True: the key went down; False: it came up after ``duration_ms``
    duration_ms: int = 0


class EventReceiver:
    """Telephone-event packets in, one begin and one end per key press out.

    An event is known by its RTP timestamp; the end is reported once however many end
    packets repeat it, and a new event ends one whose end packets were all lost.
    """

    __slots__ = ("_current", "_digit", "_ended")

    def __init__(self) -> None:
        self._current: int | None = None  # timestamp of the event in progress or last ended
        self._digit = ""
        self._ended = False

    def receive(self, packet: Packet) -> list[DigitEvent]:
        if len(packet.payload) < 4:
            return []
        code, flags, duration = EVENT.unpack_from(packet.payload)
        if code >= len(EVENT_DIGITS):
            return []  # flash and tones other than the keypad's
        digit, end = EVENT_DIGITS[code], bool(flags & 0x80)
        found: list[DigitEvent] = []
        if packet.timestamp != self._current:
            if self._current is not None and not self._ended:
                found.append(DigitEvent(self._digit, False, 0))
            self._current, self._digit, self._ended = packet.timestamp, digit, False
            found.append(DigitEvent(digit, True))
        if end and not self._ended:
            self._ended = True
            found.append(DigitEvent(digit, False, duration * 1000 // SAMPLE_RATE))
        return found
