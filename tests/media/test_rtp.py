"""RTP packets and RFC 4733 telephone events."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from pbxd.media import rtp


def test_build_and_parse() -> None:
    packet = rtp.Packet(0, 65535, 4294967295, 0x11223344, b"\xff" * 160, True)
    data = packet.build()
    assert data[:2] == b"\x80\x80" and len(data) == 172
    assert rtp.Packet.parse(data) == packet


def test_csrc_extension_and_padding_are_skipped() -> None:
    header = bytes([0xB1, 8]) + (1).to_bytes(2, "big") + bytes(8)  # padding, ext, 1 CSRC
    data = header + bytes(4) + b"\xbe\xde\x00\x01" + bytes(4) + b"abc" + b"\x00\x02"
    assert rtp.Packet.parse(data).payload == b"abc"  # type: ignore[union-attr]


@given(st.binary(max_size=40))
def test_garbage_is_refused_or_parsed(data: bytes) -> None:
    packet = rtp.Packet.parse(data)
    assert packet is None or data[0] >> 6 == 2


def test_sequencer_counts_samples_and_wraps() -> None:
    seq = rtp.Sequencer(random.Random(1))
    seq.sequence, seq.timestamp = 0xFFFF, 0xFFFFFF00
    first = rtp.Packet.parse(seq.next(0, bytes(160), 160))
    second = rtp.Packet.parse(seq.next(0, bytes(160), 160))
    assert first and second
    assert (first.sequence, second.sequence) == (0xFFFF, 0)
    assert second.timestamp == (first.timestamp + 160) & 0xFFFFFFFF
    assert first.ssrc == second.ssrc


def test_a_key_press_round_trips_through_events() -> None:
    seq = rtp.Sequencer(random.Random(2))
    packets = [rtp.Packet.parse(p) for p in seq.events(101, "5", 200)]
    assert packets[0] and packets[0].marker
    assert len({p.timestamp for p in packets if p}) == 1
    receiver = rtp.EventReceiver()
    found = [e for p in packets if p for e in receiver.receive(p)]
    assert found == [rtp.DigitEvent("5", True), rtp.DigitEvent("5", False, 200)]
    # the next press has another timestamp
    again = [e for p in seq.events(101, "#", 100) for e in receiver.receive(rtp.Packet.parse(p))]  # type: ignore[arg-type]
    assert again == [rtp.DigitEvent("#", True), rtp.DigitEvent("#", False, 100)]


def test_lost_end_packets_end_the_digit_when_the_next_begins() -> None:
    receiver = rtp.EventReceiver()
    start = rtp.Packet(101, 1, 1000, 5, bytes([1, 10, 0, 160]))
    nxt = rtp.Packet(101, 2, 3000, 5, bytes([2, 10, 0, 160]))
    assert receiver.receive(start) == [rtp.DigitEvent("1", True)]
    assert receiver.receive(nxt) == [rtp.DigitEvent("1", False, 0), rtp.DigitEvent("2", True)]


def test_unknown_events_and_short_payloads_are_ignored() -> None:
    receiver = rtp.EventReceiver()
    assert receiver.receive(rtp.Packet(101, 1, 1, 5, bytes([16, 0x80, 0, 160]))) == []
    assert receiver.receive(rtp.Packet(101, 1, 1, 5, b"\x01")) == []
