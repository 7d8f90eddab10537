"""RTP streams on real loopback sockets, wired by the PBX core: bridges, Echo, recordings,
Playback, DTMF, and packets from strangers."""

from __future__ import annotations

import asyncio
import functools
import socket
import struct
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from pbxd.media import g711, rtp
from pbxd.pbx import recording
from pbxd.pbx.applications import APPLICATIONS
from pbxd.pbx.bridge import Bridge
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.events import Dtmf
from pbxd.techs.rtp import PortAllocator, PortRange, RtpStream, load_port_range


class Phone:
    """The far end: a plain UDP socket that sends and reads RTP."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.address = self.sock.getsockname()
        self.seq = rtp.Sequencer()

    def send(self, stream: RtpStream, payload: bytes, pt: int = 0) -> None:
        self.sock.sendto(self.seq.next(pt, payload, len(payload)), stream.local)

    def send_raw(self, stream: RtpStream, data: bytes) -> None:
        self.sock.sendto(data, stream.local)

    async def receive(self, count: int = 1) -> list[rtp.Packet]:
        loop = asyncio.get_running_loop()
        found = []
        for _ in range(count):
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 2048), 2)
            packet = rtp.Packet.parse(data)
            assert packet is not None
            found.append(packet)
        return found

    def pending(self) -> bytes | None:
        try:
            return self.sock.recv(2048)
        except BlockingIOError:
            return None


async def leg(pbx: PBX, name: str, phone: Phone, codec: str = "PCMU") -> RtpStream:
    channel = Channel(pbx, name, "SIP", state=ChannelState.UP)
    pbx.add_channel(channel)
    ports = PortAllocator(PortRange(), "127.0.0.1")
    stream = RtpStream(channel, ports.bind(), ports.release)
    stream.open()
    stream.configure(codec, 0 if codec == "PCMU" else 8, 101, phone.address, True)
    channel.media = stream
    return stream


def synchronously(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test on a fresh loop, with a deadline."""

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 10))

    return run


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def tone(count: int = 160) -> bytes:
    return bytes((i * 7) & 0xFF for i in range(count))


@synchronously
async def test_bridged_legs_relay_each_others_audio(tmp_path: Path) -> None:
    clock = VirtualClock()
    pbx = PBX(clock)
    alice, bob = Phone(), Phone()
    a, b = await leg(pbx, "SIP/alice-00000001", alice), await leg(pbx, "SIP/bob-00000002", bob)
    bridge = Bridge(pbx)
    bridge.join(a.channel)
    bridge.join(b.channel)
    assert a.relay_to is b and b.relay_to is a  # same codec, nobody listening: packet relay
    alice.send(a, tone())
    (packet,) = await bob.receive()
    assert packet.payload == tone() and packet.ssrc == b.sequencer.ssrc
    bob.send(b, tone(80))
    (packet,) = await alice.receive()
    assert packet.payload == tone(80) and packet.ssrc == a.sequencer.ssrc
    # a recording on alice's leg takes the decoded path and hears both directions
    recorder = recording.configure(pbx, tmp_path)
    session = recorder.start_mixmonitor(
        a.channel, "call.wav", read_file="in.wav", write_file="out.wav"
    )
    assert a.relay_to is None and b.relay_to is None
    alice.send(a, tone())
    (packet,) = await bob.receive()
    assert packet.payload == tone()
    bob.send(b, bytes([0x80]) * 160)
    await alice.receive()
    await clock.advance(0.1)
    recorder.stop_mixmonitor(a.channel)
    assert session.stopped
    heard, said = read_pcm(tmp_path / "in.wav"), read_pcm(tmp_path / "out.wav")
    assert heard.startswith(g711.decode("PCMU", tone()))
    assert said.startswith(g711.decode("PCMU", bytes([0x80]) * 160))
    assert len(heard) == len(said) == 1600  # 0.1 s at 8 kHz, 16-bit
    assert a.relay_to is b  # the fast path is back
    bridge.leave(b.channel)
    assert a.sink is None and a.relay_to is None


@synchronously
async def test_codecs_differ_so_frames_are_transcoded() -> None:
    pbx = PBX()
    alice, bob = Phone(), Phone()
    a, b = await leg(pbx, "SIP/alice-1", alice), await leg(pbx, "SIP/bob-1", bob, "PCMA")
    bridge = Bridge(pbx)
    bridge.join(a.channel)
    bridge.join(b.channel)
    assert a.relay_to is None
    alice.send(a, tone())
    (packet,) = await bob.receive()
    assert packet.payload_type == 8
    assert packet.payload == g711.transcode("PCMU", "PCMA", tone())


@synchronously
async def test_echo_sends_the_audio_back() -> None:
    pbx = PBX()
    alice = Phone()
    a = await leg(pbx, "SIP/alice-2", alice)
    app = APPLICATIONS.get("Echo")
    assert app is not None
    running = asyncio.ensure_future(app.handler(a.channel, ""))
    await asyncio.sleep(0)
    for n in range(3):
        alice.send(a, tone(160 - n))
    packets = await alice.receive(3)
    assert [p.payload for p in packets] == [tone(160), tone(159), tone(158)]
    assert packets[1].sequence == (packets[0].sequence + 1) & 0xFFFF
    assert packets[1].timestamp == packets[0].timestamp + 160
    a.channel.request_hangup()
    await running
    assert a.sink is None


@synchronously
async def test_dtmf_becomes_events_and_reaches_the_peer_and_readers() -> None:
    pbx = PBX()
    seen: list[Dtmf] = []
    pbx.bus.subscribe(seen.append, (Dtmf,))
    alice, bob = Phone(), Phone()
    a, b = await leg(pbx, "SIP/alice-3", alice), await leg(pbx, "SIP/bob-3", bob)
    bridge = Bridge(pbx)
    bridge.join(a.channel)
    bridge.join(b.channel)
    for data in alice.seq.events(101, "7", 120):
        alice.send_raw(a, data)
    assert await a.read_digit(2.0) == "7"
    assert [(e.channel.name, e.digit, e.direction, e.begin, e.duration_ms) for e in seen] == [
        ("SIP/alice-3", "7", "Received", True, 0),
        ("SIP/bob-3", "7", "Sent", True, 0),
        ("SIP/alice-3", "7", "Received", False, 120),
        ("SIP/bob-3", "7", "Sent", False, 120),
    ]
    packets = await bob.receive(4)
    assert {p.payload_type for p in packets} == {101}
    assert packets[0].payload[0] == 7
    assert await a.read_digit(0.01) is None


@synchronously
async def test_packets_from_strangers_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    pbx = PBX()
    alice, stranger = Phone(), Phone()
    a = await leg(pbx, "SIP/alice-4", alice)
    heard: list[bytes] = []
    a.set_sink(lambda frame: heard.append(frame.payload))
    stranger.send(a, b"\x01" * 160)
    stranger.send_raw(a, b"junk")
    alice.send_raw(a, b"\x00\x01")  # not RTP: dropped, no crash
    alice.send(a, b"\x02" * 160)
    for _ in range(50):
        if heard:
            break
        await asyncio.sleep(0.01)
    assert heard == [b"\x02" * 160]
    assert a.dropped_packets == 3
    assert "from unexpected address" in caplog.text


@synchronously
async def test_the_first_source_is_learned_when_asked() -> None:
    pbx = PBX()
    alice, behind_nat = Phone(), Phone()
    a = await leg(pbx, "SIP/alice-5", alice)
    a.learn = True
    a.set_sink(a.write, a)
    behind_nat.send(a, tone())
    (packet,) = await behind_nat.receive()
    assert packet.payload == tone() and a.remote == behind_nat.address


@synchronously
async def test_playback_sends_the_files_audio(tmp_path: Path) -> None:
    pbx = PBX()
    pbx.sounds_dir = tmp_path
    samples = struct.pack("<400h", *range(-200, 200))
    with wave.open(str(tmp_path / "hello.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(samples)
    alice = Phone()
    a = await leg(pbx, "SIP/alice-6", alice)
    app = APPLICATIONS.get("Playback")
    assert app is not None
    await app.handler(a.channel, "hello")
    packets = await alice.receive(3)
    sent = b"".join(p.payload for p in packets)
    assert sent[:400] == g711.encode("PCMU", samples)
    assert sent[400:] == b"\xff" * 80  # the last frame is padded with silence
    assert a.channel.get_variable("PLAYBACKSTATUS") == "SUCCESS"


def test_port_range_from_rtp_conf(tmp_path: Path) -> None:
    assert load_port_range(tmp_path) == PortRange(10000, 20000)
    (tmp_path / "rtp.conf").write_text("[general]\nrtpstart=30001\nrtpend=30010\n")
    ports = load_port_range(tmp_path)
    assert ports == PortRange(30001, 30010)
    allocator = PortAllocator(ports, "127.0.0.1")
    socks = [allocator.bind() for _ in range(4)]
    try:
        assert sorted(s.getsockname()[1] for s in socks) == [30002, 30004, 30006, 30008]
        with pytest.raises(OSError, match="no free RTP port"):
            allocator.bind()
    finally:
        for sock in socks:
            sock.close()


@synchronously
async def test_play_digit_sends_rfc4733_or_feeds_the_reader() -> None:
    pbx = PBX()
    alice = Phone()
    a = await leg(pbx, "SIP/alice-7", alice)
    a.play_digit("9", 250, received=False)
    packets = await alice.receive(7)  # four updates (50 ms apart in RTP time), three ends
    assert {p.payload_type for p in packets} == {101}
    receiver = rtp.EventReceiver()
    found = [e for p in packets for e in receiver.receive(p)]
    assert found == [rtp.DigitEvent("9", True), rtp.DigitEvent("9", False, 250)]
    a.play_digit("5", 100, received=True)
    assert await a.read_digit(0.1) == "5"
