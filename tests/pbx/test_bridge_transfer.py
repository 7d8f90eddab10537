"""The Bridge and BlindTransfer actions' core: diverting running channels into a bridge."""

from __future__ import annotations

import asyncio

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.bridge import Bridge, stay_in
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import goto
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => park,1,Answer()
 same => n,Wait(100)
 same => n,Set(AFTER=yes)
 same => n,Wait(100)
exten => dial,1,Answer()
 same => n,Dial(Local/park@default)
exten => target,1,Answer()
 same => n,Set(ARRIVED=yes)
 same => n,Wait(100)
"""


def make_pbx() -> tuple[PBX, VirtualClock, list[object]]:
    clock = VirtualClock()
    pbx = PBX(clock)
    pbx.technologies["local"] = LocalTechnology(pbx)
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    seen: list[object] = []
    pbx.bus.subscribe(seen.append)
    return pbx, clock, seen


def half(pbx: PBX, prefix: str, suffix: str) -> object:
    return next(
        c for c in pbx.channels.values() if c.name.startswith(prefix) and c.name.endswith(suffix)
    )


def test_two_channels_in_the_dialplan_are_bridged_then_carry_on() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/park@default", Target("Wait", "500"))
        await originate(pbx, "Local/park@default", Target("Wait", "500"))
        await clock.advance(0.1)
        a, b = sorted(
            (c for c in pbx.channels.values() if c.name.endswith(";2")), key=lambda c: c.name
        )
        bridge = Bridge(pbx)
        for channel in (a, b):
            channel.divert(lambda ch: stay_in(bridge, ch))
        await clock.advance(0.1)
        assert len(bridge.channels) == 2 and a.bridge_id == b.bridge_id == bridge.uniqueid
        b.request_hangup()
        await clock.advance(0.1)
        assert a.bridge_id == "" and a.get_variable("AFTER") == "yes"  # a went on in the dialplan
        assert any(isinstance(e, ev.BridgeDestroyed) for e in seen)
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {}

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_blind_transfer_moves_the_dialed_peer() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/dial@default", Target("Wait", "500"))
        await clock.advance(0.1)
        caller = half(pbx, "Local/dial", ";2")
        bridge = pbx.bridges[caller.bridge_id]
        peer = next(c for c in bridge.channels if c is not caller)
        goto(peer, "default", "target", 1)
        peer.redirect()
        caller.request_hangup()
        await clock.advance(0.1)
        assert not peer.gone and peer.get_variable("ARRIVED") == "yes"
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {}

    asyncio.run(asyncio.wait_for(scenario(), 10))
