"""A Local pair bridged on both sides takes itself out of the call, as Asterisk's does."""

from __future__ import annotations

import asyncio

import pytest

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.channel import Channel
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalOptimizationBegan, LocalOptimizationEnded, LocalTechnology

EXTENSIONS = """
[default]
exten => a,1,Answer()
 same => n,Dial(Local/b@default{keep})
exten => b,1,Answer()
 same => n,Dial(Local/c@default)
exten => c,1,Answer()
 same => n,Set(REACHED=yes)
 same => n,Wait(100)
"""


def half(pbx: PBX, prefix: str, suffix: str) -> Channel | None:
    return next(
        (c for c in pbx.channels.values() if c.name.startswith(prefix) and c.name.endswith(suffix)),
        None,
    )


def run(keep: str) -> tuple[dict[str, object], list[object]]:
    found: dict[str, object] = {}
    seen: list[object] = []

    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS.format(keep=keep), "extensions.conf"))
        pbx.bus.subscribe(seen.append)
        await originate(pbx, "Local/a@default", Target("Wait", "50"))
        await clock.advance(1)
        a, c = half(pbx, "Local/a@", ";2"), half(pbx, "Local/c@", ";1")
        assert a is not None and c is not None
        found["a and c bridged"] = a.bridge_id != "" and a.bridge_id == c.bridge_id
        found["b halves"] = sorted(ch.name[-2:] for ch in pbx.channels.values() if "/b@" in ch.name)
        found["bridges"] = len(pbx.bridges)
        a.request_hangup()
        await clock.advance(1)
        found["c gone"] = c.gone
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {} and pbx.bridges == {}

    asyncio.run(asyncio.wait_for(main(), 10))
    return found, seen


def test_the_pair_between_two_bridges_optimizes_away() -> None:
    found, seen = run("")
    assert found == {"a and c bridged": True, "b halves": [], "bridges": 1, "c gone": True}
    (began,) = [e for e in seen if isinstance(e, LocalOptimizationBegan)]
    (ended,) = [e for e in seen if isinstance(e, LocalOptimizationEnded)]
    assert began.one.name.endswith(";1") and "/b@" in began.one.name
    assert began.source is not None and began.source.name.startswith("Local/c@")
    assert began.dest_uniqueid == began.one.uniqueid and ended.success and ended.id == began.id
    order = seen.index(began), seen.index(ended)
    swapped = [
        e
        for e in seen[order[0] : order[1]]
        if isinstance(e, ev.BridgeEntered) and e.swap == began.one.uniqueid
    ]
    assert [e.channel.name for e in swapped] == [began.source.name]


@pytest.mark.parametrize("keep", ["/n"])
def test_n_keeps_the_pair(keep: str) -> None:
    found, seen = run(keep)
    assert found["a and c bridged"] is False and found["b halves"] == [";1", ";2"]
    assert not any(isinstance(e, LocalOptimizationBegan) for e in seen)
