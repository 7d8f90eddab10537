"""The Bridge application: the running channel joins another channel of the PBX."""

from __future__ import annotations

import asyncio

import pytest

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => waiter,1,Answer()
 same => n,Wait(100)
 same => n,Set(AFTER=yes)
 same => n,Wait(100)
exten => bridger,1,Bridge(${IF($["${PEER}" = "SELF"]?${CHANNEL}:${PEER})}${OPTIONS})
 same => n,Set(RESULT=${BRIDGERESULT})
 same => n,Wait(100)
exten => elsewhere,1,Set(SENT=yes)
 same => n,Wait(100)
"""


def run_bridge(peer: str, options: str = "") -> tuple[PBX, list[object], dict[str, str]]:
    """A waiter, then a bridger bridging to ``peer`` ("WAITER": the waiter's ;2)."""
    state: dict[str, str] = {}
    seen: list[object] = []
    clock = VirtualClock()
    pbx = PBX(clock)

    async def main() -> None:
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        pbx.bus.subscribe(seen.append)
        await originate(pbx, "Local/waiter@default", Target("Wait", "500"))
        await clock.advance(0.1)
        waiter = next(c for c in pbx.channels.values() if c.name.endswith(";2"))
        name = {"WAITER": waiter.name}.get(peer, peer)
        asyncio.ensure_future(
            originate(
                pbx,
                "Local/bridger@default",
                Target("Wait", "500"),
                variables=(("PEER", name), ("OPTIONS", options)),
            )
        )
        await clock.advance(0.1)
        bridger = next(
            (
                c
                for c in pbx.channels.values()
                if c.name.startswith("Local/bridger") and c.name.endswith(";2")
            ),
            None,
        )
        state["same_bridge"] = state["a_half"] = "False"
        if bridger is not None:
            same = bool(waiter.bridge_id) and waiter.bridge_id == bridger.bridge_id
            halves = [c for c in pbx.channels.values() if c.name.startswith("Local/waiter")]
            state["same_bridge"] = str(same)
            state["a_half"] = str(any(c.bridge_id == bridger.bridge_id != "" for c in halves))
            bridger.request_hangup()
            await clock.advance(0.1)
            state["result"] = bridger.get_variable("BRIDGERESULT") or ""
        for key in ("AFTER", "SENT"):
            state[key] = waiter.get_variable(key) or ""
        state["waiter_gone"] = str(waiter.gone)
        pbx.hangup_all()
        await clock.advance(40)
        assert pbx.channels == {} and pbx.bridges == {}

    asyncio.run(asyncio.wait_for(main(), 10))
    return pbx, seen, state


def test_bridge_joins_the_named_channel_which_then_carries_on() -> None:
    _, seen, state = run_bridge("WAITER")
    assert state["same_bridge"] == "True" and state["result"] == "SUCCESS"
    assert state["AFTER"] == "yes" and state["waiter_gone"] == "False"
    assert any(isinstance(e, ev.BridgeCreated) for e in seen)


def test_a_name_prefix_finds_the_channel() -> None:
    _, _, state = run_bridge("Local/waiter@default-")  # the first match, as in Asterisk
    assert state["a_half"] == "True" and state["result"] == "SUCCESS"


@pytest.mark.parametrize(
    ("options", "key", "value"),
    [(",x", "waiter_gone", "True"), (",F(default^elsewhere^1)", "SENT", "yes")],
)
def test_options_decide_where_the_other_channel_goes(options: str, key: str, value: str) -> None:
    _, _, state = run_bridge("WAITER", options)
    assert state[key] == value


@pytest.mark.parametrize(("peer", "result"), [("Local/nobody", "NONEXISTENT"), ("SELF", "LOOP")])
def test_a_missing_or_same_channel_is_not_bridged(peer: str, result: str) -> None:
    _, _, state = run_bridge(peer)
    assert state["same_bridge"] == "False" and state["result"] == result


def test_no_argument_hangs_up() -> None:
    _, seen, state = run_bridge("")
    assert "result" not in state  # the bridger is gone at once
    hangups = [e.channel.name for e in seen if isinstance(e, ev.HungUp)]
    assert any(n.startswith("Local/bridger") for n in hangups)
