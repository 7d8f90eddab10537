"""SIP calls end to end: sipp phones calling through the SIP technology of an in-process PBX.

Each test starts a PBX with a SIP stack on a free port and runs sipp scenarios from
``scenarios/`` against it: Echo with RTP from a pcap (the recording of the call holds the
pcap's audio, decoded), Dial between two sipp phones, CANCEL, BYE from each side, busy.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbxd.config.conf import loads
from pbxd.media import g711
from pbxd.pbx import causes, recording
from pbxd.pbx.applications.chanspy import ChanSpyStarted, ChanSpyStopped
from pbxd.pbx.channel import ChannelState, Party
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.events import BridgeEntered, DialState, Dtmf, HungUp, NewChannel, NewState, VarSet
from pbxd.pbx.media import HoldChanged
from pbxd.pbx.technology import ChannelUnavailable
from pbxd.sip.calls import SipTechnology, attach_calls, info_digit
from pbxd.sip.config import load_sip_config
from pbxd.sip.service import SipService
from pbxd.sip.transaction import Timers
from pbxd.techs.local import LocalTechnology
from pbxd.techs.rtp import RtpStream

from .scenarios.make_tone_pcap import tone_payloads
from .sipp import Sipp, free_port

pytestmark = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed")

EXTENSIONS = """
[default]
exten => echo,1,Answer()
 same => n,MixMonitor({monitor}/echo.wav,r({monitor}/echo-in.wav)t({monitor}/echo-out.wav))
 same => n,Echo()
exten => bob,1,Dial(SIP/bob,10)
 same => n,Set(AFTER=${{DIALSTATUS}})
 same => n,Hangup(${{HANGUPCAUSE}})
exten => bobrec,1,MixMonitor({monitor}/dial.wav,r({monitor}/dial-in.wav)t({monitor}/dial-out.wav))
 same => n,Dial(SIP/bob,10)
exten => busy,1,Dial(SIP/bob,10)
 same => n,Set(AFTER=${{DIALSTATUS}})
 same => n,Busy()
exten => read,1,Answer()
 same => n,Read(DIGITS,,,,,3)
 same => n,Wait(10)
exten => spy,1,Answer()
 same => n,MixMonitor({monitor}/spy.wav,t({monitor}/spy-heard.wav))
 same => n,ChanSpy(SIP/carol)
exten => play,1,Answer()
 same => n,MixMonitor({monitor}/play.wav,t({monitor}/play-sent.wav))
 same => n,Playback(hello)
 same => n,Hangup()
exten => vialocal,1,MixMonitor({monitor}/local.wav,r({monitor}/local-in.wav)t({monitor}/local-out.wav))
 same => n,Dial(Local/bob@default)
exten => bye,1,Hangup()
exten => answerhang,1,Answer()
 same => n,Hangup()
exten => ring,1,Ringing()
 same => n,Wait(30)
exten => early,1,Progress()
 same => n,Playback(hello,noanswer)
 same => n,Answer()
 same => n,Wait(10)
exten => earlyplay,1,Playback(hello,noanswer)
 same => n,Answer()
 same => n,Wait(10)
"""


SIP_CONF = """
[general]
context = default
udpbindaddr = 127.0.0.1:{port}

[alice]
type = friend
host = dynamic
secret = alicepw

[carol]
type = friend
host = dynamic

[bob]
type = friend
host = 127.0.0.1
port = {bob}
remotesecret = bobpw
"""


@dataclass
class Harness:
    pbx: PBX
    service: SipService
    tech: SipTechnology
    port: int
    bob_port: int
    monitor: Path
    events: list[object] = field(default_factory=list)
    bridged: list[RtpStream] = field(default_factory=list)

    def on_bridge(self, event: BridgeEntered) -> None:
        media = self.pbx.channels[event.channel.name].media
        if isinstance(media, RtpStream):
            self.bridged.append(media)

    def uac(self, scenario: str, service: str, **options: object) -> Sipp:
        return Sipp(scenario, free_port(), f"127.0.0.1:{self.port}", service, **options)  # type: ignore[arg-type]

    def variable(self, name: str) -> list[str]:
        return [e.value for e in self.events if isinstance(e, VarSet) and e.variable == name]

    def hangups(self) -> dict[str, int]:
        return {e.channel.name: e.cause for e in self.events if isinstance(e, HungUp)}

    async def settle(self) -> None:
        for _ in range(100):
            if not self.pbx.channels:
                return
            await asyncio.sleep(0.02)


@asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Harness]:
    pbx = PBX()
    monitor = tmp_path / "monitor"
    monitor.mkdir()
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS.format(monitor=monitor), "extensions.conf"))
    recording.configure(pbx, monitor)
    pbx.technologies["local"] = LocalTechnology(pbx)
    port, bob_port = free_port(), free_port()
    conf = loads(SIP_CONF.format(port=port, bob=bob_port), "sip.conf")
    pbx.sip = SipService(pbx, load_sip_config(conf, []))
    await pbx.sip.start()
    tech = attach_calls(pbx, tmp_path)
    assert tech is not None and pbx.technologies["sip"] is tech
    harness = Harness(pbx, pbx.sip, tech, port, bob_port, monitor)
    pbx.bus.subscribe(harness.events.append)
    pbx.bus.subscribe(harness.on_bridge, (BridgeEntered,))
    try:
        yield harness
    finally:
        pbx.hangup_all()
        await asyncio.sleep(0.05)
        await pbx.sip.stop()


def synchronously(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 60))

    return run


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


@synchronously
async def test_echo_with_rtp_from_a_pcap(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        # dave is no peer: a guest, named after his address, in the general context
        caller = await h.uac("call_uac_bye.xml", "echo", duration_ms=1500, caller="dave").start()
        assert await caller.finish() == 0, caller.output.decode()
        await h.settle()
        name = next(e.channel.name for e in h.events if isinstance(e, NewChannel))
        assert name.startswith("SIP/127.0.0.1-") and len(name.split("-")[-1]) == 8
        assert h.hangups() == {name: 16}
        tone = g711.decode("PCMU", b"".join(tone_payloads()))
        heard, said = read_pcm(h.monitor / "echo-in.wav"), read_pcm(h.monitor / "echo-out.wav")
        # every 20 ms of the pcap's audio is in what the PBX heard and in what it echoed
        assert _overlap(tone, heard) == _overlap(tone, said) == len(tone)


def _overlap(expected: bytes, recorded: bytes) -> int:
    """How many bytes of ``expected``, frame by frame, appear in ``recorded`` after the
    first frame (silence may sit between frames: packets arrive on the network's time)."""
    start = recorded.find(expected[:320])
    if start < 0:
        return 0
    chunks = [expected[i : i + 320] for i in range(0, len(expected), 320)]
    return sum(len(chunk) for chunk in chunks if chunk in recorded[start:])


async def two_phones(
    h: Harness, caller_scenario: str, callee_scenario: str, service: str = "bob", **caller: object
) -> tuple[Sipp, Sipp]:
    callee = await Sipp(callee_scenario, h.bob_port, duration_ms=500, extra=("-rtp_echo",)).start()
    await asyncio.sleep(0.3)  # sipp is listening
    alice = await h.uac(caller_scenario, service, **caller).start()  # type: ignore[arg-type]
    return alice, callee


def dial_statuses(h: Harness) -> list[str]:
    return h.variable("DIALSTATUS")


@synchronously
async def test_dial_between_two_phones_caller_hangs_up(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice, bob = await two_phones(
            h, "call_uac_bye.xml", "call_uas_answer.xml", duration_ms=1200
        )
        assert await alice.finish() == 0, alice.output.decode()
        assert await bob.finish() == 0, bob.output.decode()
        await h.settle()
        names = [e.channel.name for e in h.events if isinstance(e, NewChannel)]
        assert [n.rsplit("-", 1)[0] for n in names] == ["SIP/carol", "SIP/bob"]
        assert dial_statuses(h) == ["ANSWER"]
        assert set(h.hangups()) == set(names)
        # alice's pcap went to bob's phone and bob's phone echoed it: relayed packet by
        # packet both ways (same codec, nobody listening), 50 packets each
        alice_leg, bob_leg = h.bridged
        assert alice_leg.relay_to is None  # (the bridge is gone)
        assert alice_leg.received_packets >= 50 and bob_leg.sent_packets >= 50
        assert bob_leg.received_packets >= 50 and alice_leg.sent_packets >= 50
        assert alice_leg.relayed_packets >= 50 and bob_leg.relayed_packets >= 50


@synchronously
async def test_recorded_dial_hears_both_directions(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice, bob = await two_phones(
            h, "call_uac_bye.xml", "call_uas_answer.xml", "bobrec", duration_ms=1200
        )
        assert await alice.finish() == 0, alice.output.decode()
        assert await bob.finish() == 0, bob.output.decode()
        await h.settle()
        tone = g711.decode("PCMU", b"".join(tone_payloads()))
        heard, said = read_pcm(h.monitor / "dial-in.wav"), read_pcm(h.monitor / "dial-out.wav")
        assert _overlap(tone, heard) == _overlap(tone, said) == len(tone)


@synchronously
async def test_dial_callee_hangs_up(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice, bob = await two_phones(h, "call_uac_wait_bye.xml", "call_uas_bye.xml")
        assert await bob.finish() == 0, bob.output.decode()
        assert await alice.finish() == 0, alice.output.decode()
        await h.settle()
        assert dial_statuses(h) == ["ANSWER"]
        assert sorted(h.hangups().values()) == [16, 16]


@synchronously
async def test_cancel_before_answer(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice, bob = await two_phones(h, "call_uac_cancel.xml", "call_uas_ring.xml")
        assert await alice.finish() == 0, alice.output.decode()
        assert await bob.finish() == 0, bob.output.decode()
        await h.settle()
        assert dial_statuses(h) == ["CANCEL"]


@synchronously
async def test_busy_callee(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice, bob = await two_phones(h, "call_uac_refused.xml", "call_uas_busy.xml", "busy")
        assert await bob.finish() == 0, bob.output.decode()
        assert await alice.finish() == 0, alice.output.decode()
        assert dial_statuses(h) == ["BUSY"]
        assert h.variable("AFTER") == ["BUSY"]
        hangups = h.hangups()
        assert [cause for name, cause in hangups.items() if name.startswith("SIP/bob-")] == [17]


@synchronously
async def test_a_peer_with_a_secret_is_challenged(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice = h.uac("call_uac_auth.xml", "echo", duration_ms=300, caller="alice")
        alice.extra = ("-au", "alice", "-ap", "alicepw")
        await alice.start()
        assert await alice.finish() == 0, alice.output.decode()
        await h.settle()
        (name,) = [e.channel.name for e in h.events if isinstance(e, NewChannel)]
        assert name.startswith("SIP/alice-")
        # a wrong password: 403, and no channel
        h.events.clear()
        intruder = h.uac("call_uac_auth.xml", "echo", duration_ms=300, caller="alice")
        intruder.extra = ("-au", "alice", "-ap", "guess")
        await intruder.start()
        assert await intruder.finish() != 0
        assert "403" in intruder.output.decode()
        assert not [e for e in h.events if isinstance(e, NewChannel)]


@synchronously
async def test_rfc4733_digits_reach_read_and_ami(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        caller = await h.uac("call_uac_dtmf.xml", "read", duration_ms=2000).start()
        assert await caller.finish() == 0, caller.output.decode()
        await h.settle()
        assert h.variable("DIGITS") == ["42"]
        assert h.variable("READSTATUS") == ["OK"]
        presses = [(e.digit, e.begin, e.direction) for e in h.events if isinstance(e, Dtmf)]
        assert presses == [(digit, begin, "Received") for digit in "42#" for begin in (True, False)]
        ends = [e.duration_ms for e in h.events if isinstance(e, Dtmf) and not e.begin]
        assert ends == [200, 200, 200]


@synchronously
async def test_sip_info_digits_reach_read_and_ami(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        caller = await h.uac("call_uac_info.xml", "read", duration_ms=500).start()
        assert await caller.finish() == 0, caller.output.decode()  # 200s, and 415 for text
        await h.settle()
        assert h.variable("DIGITS") == ["42"]
        presses = [(e.digit, e.begin, e.direction) for e in h.events if isinstance(e, Dtmf)]
        assert presses == [(digit, begin, "Received") for digit in "42#" for begin in (True, False)]
        ends = [e.duration_ms for e in h.events if isinstance(e, Dtmf) and not e.begin]
        assert ends == [160, 250, 160]


@pytest.mark.parametrize(
    ("kind", "body", "press"),
    [
        ("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n", ("5", 160)),
        ("application/dtmf-relay", b"signal = *\nduration=x", ("*", 100)),
        ("application/dtmf-relay", b"Signal=10", ("*", 100)),
        ("application/dtmf", b"#", ("#", 100)),
        ("application/dtmf-relay", b"Signal=16", None),
        ("application/dtmf-relay", b"Duration=100", None),
        ("text/plain", b"5", None),
    ],
)
def test_info_bodies(kind: str, body: bytes, press: tuple[str, int] | None) -> None:
    assert info_digit(kind, body) == press


@given(kind=st.sampled_from(["application/dtmf-relay", "application/dtmf", "x"]), body=st.binary())
def test_any_info_body_is_a_key_or_nothing(kind: str, body: bytes) -> None:
    press = info_digit(kind, body)
    assert press is None or (press[0] in "0123456789*#ABCD" and 0 <= press[1] <= 10_000)


@synchronously
async def test_reinvite_puts_the_call_on_hold_and_back(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        # the scenario checks our answers: recvonly to its sendonly, then sendrecv again
        caller = await h.uac("call_uac_reinvite.xml", "read").start()
        assert await caller.finish() == 0, caller.output.decode()
        await h.settle()
        assert [e.held for e in h.events if isinstance(e, HoldChanged)] == [True, False]
        assert h.hangups() and all(cause == 16 for cause in h.hangups().values())


def invite_text(port: int, call_id: str, body: str, user: str = "carol") -> bytes:
    head = (
        f"INVITE sip:echo@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-{call_id}\r\n"
        f"From: <sip:{user}@127.0.0.1>;tag=t-{call_id}\r\n"
        f"To: <sip:echo@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
        "Max-Forwards: 70\r\nContact: <sip:carol@127.0.0.1:9>\r\n"
        "Content-Type: application/sdp\r\n"
    )
    return (head + f"Content-Length: {len(body)}\r\n\r\n" + body).encode()


async def exchange(
    port: int, data: bytes, want: int, last: Callable[[bytes], bool] | None = None
) -> list[bytes]:
    """Send a datagram to pbxd; the first ``want`` answers (or up to the ``last`` one)."""
    loop = asyncio.get_running_loop()
    answers: asyncio.Queue[bytes] = asyncio.Queue()

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            answers.put_nowait(data)

    transport, _ = await loop.create_datagram_endpoint(
        Client, local_addr=("127.0.0.1", 0), remote_addr=("127.0.0.1", port)
    )
    try:
        transport.sendto(data)
        found = []
        while len(found) < want:
            found.append(await asyncio.wait_for(answers.get(), 5))
            if last is not None and last(found[-1]):
                break
        return found
    finally:
        transport.close()


@synchronously
async def test_unusable_sdp_gets_488_and_no_channel(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        body = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
        trying, refused = await exchange(h.port, invite_text(h.port, "g729", body), 2)
        assert trying.startswith(b"SIP/2.0 100 ")
        assert refused.startswith(b"SIP/2.0 488 Not Acceptable Here\r\n")
        assert not [e for e in h.events if isinstance(e, NewChannel)]


@synchronously
async def test_bye_outside_a_dialog_gets_481(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        bye = (
            f"BYE sip:echo@127.0.0.1:{h.port} SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-bye1\r\n"
            "From: <sip:carol@127.0.0.1>;tag=a\r\nTo: <sip:echo@127.0.0.1>;tag=nosuch\r\n"
            "Call-ID: nosuchcall\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        ).encode()
        (answer,) = await exchange(h.port, bye, 1)
        assert answer.startswith(b"SIP/2.0 481 ")


@synchronously
async def test_dialing_a_peer_that_cannot_be_reached(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        tech = h.tech
        for resource, cause in (("nosuch", 3), ("alice", 20)):  # alice never registered
            with pytest.raises(ChannelUnavailable) as failure:
                tech.request(resource, None, Party())
            assert failure.value.cause == cause
        assert not h.pbx.channels


@synchronously
async def test_chanspy_hears_the_spied_channels_audio(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        spy = await h.uac("call_uac_hold.xml", "spy", duration_ms=3500, caller="dave").start()
        await asyncio.sleep(0.5)  # ChanSpy is looking for a SIP/carol channel
        bob = await Sipp("call_uas_answer.xml", h.bob_port).start()  # bob sends no audio
        await asyncio.sleep(0.3)
        carol = await h.uac("call_uac_bye.xml", "bob", duration_ms=1500).start()
        for phone in (carol, bob, spy):
            assert await phone.finish() == 0, phone.output.decode()
        await h.settle()
        started = [e for e in h.events if isinstance(e, ChanSpyStarted)]
        stopped = [e for e in h.events if isinstance(e, ChanSpyStopped)]
        assert len(started) == len(stopped) == 1
        assert started[0].spyer.name.startswith("SIP/127.0.0.1-")
        assert started[0].spyee.name.startswith("SIP/carol-")
        # what the spy's phone was sent: carol's tone (bob said nothing), frame for frame
        tone = g711.decode("PCMU", b"".join(tone_payloads()))
        heard = read_pcm(h.monitor / "spy-heard.wav")
        assert _overlap(tone, heard) == len(tone)


@synchronously
async def test_late_offer_answered_in_the_ack(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        caller = await h.uac("call_uac_late_offer.xml", "echo", duration_ms=1500).start()
        assert await caller.finish() == 0, caller.output.decode()
        await h.settle()
        tone = g711.decode("PCMU", b"".join(tone_payloads()))
        heard, said = read_pcm(h.monitor / "echo-in.wav"), read_pcm(h.monitor / "echo-out.wav")
        assert _overlap(tone, heard) == _overlap(tone, said) == len(tone)


@synchronously
async def test_a_200_never_acknowledged_is_resent_then_the_call_ends(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        h.service.stack.transactions.timers = Timers(t1=0.02, t2=0.08)  # 64 x T1 = 1.28 s
        body = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n"
        answers = await exchange(
            h.port, invite_text(h.port, "noack", body), 50, lambda a: a.startswith(b"BYE")
        )
        statuses = [a.split(b"\r\n", 1)[0] for a in answers]
        assert statuses[0] == b"SIP/2.0 100 Trying"
        oks = answers[1:-1]  # the same 200, again and again, until 64 x T1
        assert len(oks) >= 5 and len(set(oks)) == 1 and oks[0].startswith(b"SIP/2.0 200 OK")
        assert answers[-1].startswith(b"BYE sip:carol@127.0.0.1:9 SIP/2.0\r\n")
        await h.settle()
        assert list(h.hangups().values()) == [causes.NO_USER_RESPONSE]


@synchronously
async def test_playback_sends_the_files_audio_as_rtp(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        tone = _hello(tmp_path, h)
        caller = await h.uac("call_uac_wait_bye.xml", "play").start()  # pbxd hangs up
        assert await caller.finish() == 0, caller.output.decode()
        await h.settle()
        assert h.variable("PLAYBACKSTATUS") == ["SUCCESS"]
        assert _overlap(tone, read_pcm(h.monitor / "play-sent.wav")) == len(tone)


def _hello(tmp_path: Path, h: Harness) -> bytes:
    """A 1 s tone as the sound ``hello`` (exact in G.711); its 16-bit samples."""
    h.pbx.sounds_dir = tmp_path / "sounds"
    (tmp_path / "sounds" / "en").mkdir(parents=True)
    tone = g711.decode("PCMU", b"".join(tone_payloads()))
    with wave.open(str(tmp_path / "sounds" / "en" / "hello.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(tone)
    return tone


@pytest.mark.parametrize("exten", ["early", "earlyplay"])
@synchronously
async def test_early_media_comes_after_a_183_with_sdp(tmp_path: Path, exten: str) -> None:
    """Progress() sends 183 with our SDP answer; audio played before Answer() goes out as
    early media (without Progress(), the first packet sends the 183, as chan_sip does)."""
    async with running(tmp_path) as h:
        _hello(tmp_path, h)
        sent_before_answer: list[int] = []

        def answered(event: NewState) -> None:
            if event.channel.state == ChannelState.UP:
                media = h.pbx.channels[event.channel.name].media
                assert isinstance(media, RtpStream)
                sent_before_answer.append(media.sent_packets)

        h.pbx.bus.subscribe(answered, (NewState,))
        caller = await h.uac("call_uac_early.xml", exten, duration_ms=300).start()
        assert await caller.finish() == 0, caller.output.decode()  # 183 with SDP, then 200
        await h.settle()
        assert h.variable("PLAYBACKSTATUS") == ["SUCCESS"]
        assert sent_before_answer and sent_before_answer[0] >= 45  # the 1 s tone, early


@synchronously
async def test_dial_passes_the_callees_early_media_to_the_caller(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        connected_early: list[bool] = []

        def answered(event: NewState) -> None:
            if event.channel.name.startswith("SIP/bob") and event.channel.state == ChannelState.UP:
                caller = next(c for c in h.pbx.channels.values() if c.name.startswith("SIP/carol"))
                callee = h.pbx.channels[event.channel.name]
                connected_early.append(caller.media is not None and caller.media.peer is callee.media)

        h.pbx.bus.subscribe(answered, (NewState,))
        alice, bob = await two_phones(h, "call_uac_early.xml", "call_uas_early.xml", duration_ms=300)
        assert await alice.finish() == 0, alice.output.decode()  # the caller got a 183 with SDP
        assert await bob.finish() == 0, bob.output.decode()
        await h.settle()
        states = [e.status for e in h.events if isinstance(e, DialState)]
        assert states == ["PROGRESS"]
        assert connected_early == [True]  # the early media flowed before the bridge
        assert dial_statuses(h) == ["ANSWER"]


SDP_LINES = st.sampled_from(
    [
        "v=0",
        "c=IN IP4 127.0.0.1",
        "c=IN IP4 0.0.0.0",
        "c=IN",
        "m=audio 4000 RTP/AVP 0 8 101",
        "m=audio 0 RTP/AVP 0",
        "m=audio x RTP/AVP",
        "m=video 5000 RTP/AVP 31",
        "a=rtpmap:101 telephone-event/8000",
        "a=rtpmap:0 PCMU/16000",
        "a=sendonly",
        "a=inactive",
        "a=ptime:x",
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    lines=st.lists(st.one_of(SDP_LINES, st.text(max_size=30)), max_size=8),
    user=st.sampled_from(["carol", "dave", ""]),
)
def test_any_offer_gets_an_answer_and_leaves_nothing_behind(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], user: str
) -> None:
    async def scenario() -> None:
        async with running(tmp_path_factory.mktemp("offer")) as h:
            body = "\r\n".join(line.replace("\r", " ").replace("\n", " ") for line in lines)
            invite = invite_text(h.port, "fuzz", body, user).replace(b"sip:echo@", b"sip:bye@")
            answers = await exchange(h.port, invite, 2, lambda a: not a.startswith(b"SIP/2.0 1"))
            final = answers[-1].split(b"\r\n", 1)[0]
            assert final in (
                b"SIP/2.0 488 Not Acceptable Here",
                b"SIP/2.0 400 Bad Request",
                b"SIP/2.0 603 Decline",
            ), final
            await h.settle()
            assert not h.pbx.channels and not h.tech.calls

    asyncio.run(asyncio.wait_for(scenario(), 30))


@synchronously
async def test_our_bye_follows_the_dialog(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        body = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n"
        invite = (
            invite_text(h.port, "routed", body)
            .replace(b"sip:echo@", b"sip:answerhang@")
            .replace(
                b"Content-Type:",
                b"Record-Route: <sip:proxy2.example:5070;lr>, <sip:proxy1.example;lr>\r\nContent-Type:",
            )
        )
        answers = await exchange(h.port, invite, 20, lambda a: a.startswith(b"BYE"))
        ok = next(a for a in answers if a.startswith(b"SIP/2.0 200"))
        bye = answers[-1].decode()
        (our_to,) = [line for line in ok.decode().split("\r\n") if line.startswith("To: ")]
        lines = bye.split("\r\n")
        assert lines[0] == "BYE sip:carol@127.0.0.1:9 SIP/2.0"  # their Contact
        assert "Route: <sip:proxy2.example:5070;lr>" in lines  # the route set, in order
        assert lines.index("Route: <sip:proxy2.example:5070;lr>") < lines.index(
            "Route: <sip:proxy1.example;lr>"
        )
        assert "From: " + our_to.removeprefix("To: ") in lines  # our tag, as in our 200
        assert "To: <sip:carol@127.0.0.1>;tag=t-routed" in lines
        assert "Call-ID: routed" in lines
        assert "CSeq: 1 BYE" in lines  # our first request in the dialog


@synchronously
async def test_audio_passes_through_a_local_channel(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice, bob = await two_phones(
            h, "call_uac_bye.xml", "call_uas_answer.xml", "vialocal", duration_ms=1500
        )
        assert await alice.finish() == 0, alice.output.decode()
        assert await bob.finish() == 0, bob.output.decode()
        await h.settle()
        names = [e.channel.name for e in h.events if isinstance(e, NewChannel)]
        assert [n.split("-")[0].split("@")[0] for n in names] == [
            "SIP/carol", "Local/bob", "Local/bob", "SIP/bob",
        ]  # fmt: skip
        # carol's tone went through Local/bob@default;1 and ;2 to bob's phone, which echoed
        # it back the same way: carol's leg heard and was sent the tone, frame for frame
        tone = g711.decode("PCMU", b"".join(tone_payloads()))
        heard, said = read_pcm(h.monitor / "local-in.wav"), read_pcm(h.monitor / "local-out.wav")
        assert _overlap(tone, heard) == _overlap(tone, said) == len(tone)


@synchronously
async def test_a_challenge_to_our_invite_is_answered(tmp_path: Path) -> None:
    async with running(tmp_path) as h:
        alice, bob = await two_phones(h, "call_uac_bye.xml", "call_uas_challenge.xml")
        assert await alice.finish() == 0, alice.output.decode()
        assert await bob.finish() == 0, bob.output.decode()
        await h.settle()
        # bob's sipp challenged (401), checked the digest for "bobpw" (else 403), answered
        assert dial_statuses(h) == ["ANSWER"]
