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

from pbxd.config.conf import loads
from pbxd.media import g711
from pbxd.pbx import recording
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.events import Dtmf, HungUp, NewChannel, NewState, VarSet
from pbxd.sip.calls import CallPeer, SipTechnology
from pbxd.sip.stack import SipStack
from pbxd.sip.transaction import Endpoint
from pbxd.techs.rtp import PortAllocator, PortRange

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
exten => busy,1,Dial(SIP/bob,10)
 same => n,Set(AFTER=${{DIALSTATUS}})
 same => n,Busy()
exten => ring,1,Ringing()
 same => n,Wait(30)
"""


@dataclass
class Harness:
    pbx: PBX
    stack: SipStack
    tech: SipTechnology
    port: int
    monitor: Path
    peers: dict[str, CallPeer] = field(default_factory=dict)
    events: list[object] = field(default_factory=list)

    def add_peer(self, name: str, port: int) -> None:
        self.peers[name] = CallPeer(
            name, uri=f"sip:{name}@127.0.0.1:{port}", endpoint=Endpoint("udp", "127.0.0.1", port)
        )

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
    stack = SipStack(pbx.clock)
    await stack.start(udp=("127.0.0.1", 0))
    assert stack.transport.udp_address is not None
    peers: dict[str, CallPeer] = {}
    tech = SipTechnology(pbx, stack, peers.get, PortAllocator(PortRange(), "127.0.0.1"))
    pbx.technologies["sip"] = tech
    harness = Harness(pbx, stack, tech, stack.transport.udp_address[1], monitor, peers)
    pbx.bus.subscribe(harness.events.append)
    try:
        yield harness
    finally:
        pbx.hangup_all()
        await asyncio.sleep(0.05)
        await stack.close()


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
        caller = await h.uac("call_uac_bye.xml", "echo", duration_ms=1500).start()
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
