"""The bus events of an originated Local call, in Asterisk's order and with its causes.

The reference recordings (transcripts 12, 13, 17) fix what each channel goes through:
``AppDial2`` while dialing, LocalBridge before DialBegin, no Newexten for an Originate
application, ``HangupRequest`` cause 0 on the half left behind, ``SoftHangupRequest`` 16
when a dialplan run ends, and Hangup cause 0 for channels nobody gave a cause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.channel import Party
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import ChannelScope
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(30)
 same => n,Hangup()

exten => 300,1,Answer()
 same => n,Wait(10)
 same => n,Hangup()
"""


def make_pbx() -> tuple[PBX, VirtualClock, list[object]]:
    clock = VirtualClock()
    pbx = PBX(clock)
    pbx.technologies["local"] = LocalTechnology(pbx)
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    seen: list[object] = []
    pbx.bus.subscribe(seen.append)
    return pbx, clock, seen


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


def describe(event: object) -> str:
    """``Kind half[:detail]`` for a channel event (half: 1 or 2)."""
    kind = type(event).__name__
    if isinstance(event, ev.LocalBridge):
        return kind
    if isinstance(event, ev.DeviceStateChanged):
        return f"{kind} {event.device}={event.state}"
    snapshot = getattr(event, "channel", None) or getattr(event, "dest", None)
    if snapshot is None:
        return kind
    half = snapshot.name[-1]
    if isinstance(event, ev.NewExten):
        return f"{kind} {half}:{snapshot.exten},{snapshot.priority},{event.application}"
    if isinstance(event, ev.HangupRequested):
        return f"{'Soft' if event.soft else ''}{kind} {half}:{event.cause}"
    if isinstance(event, ev.HungUp):
        return f"{kind} {half}:{event.cause}"
    if isinstance(event, ev.VarSet):
        return f"{kind} {half}:{event.variable}={event.value}"
    return f"{kind} {half}"


def test_async_application_call_from_dial_to_hangup() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        outcome = await originate(pbx, "Local/100@default", Target("Wait", "5"))
        assert (outcome.status, outcome.reason) == ("ANSWER", 4)
        await clock.advance(0)
        assert [describe(e) for e in seen] == [
            "NewChannel 1",
            "NewChannel 2",
            "NewExten 1:100,1,AppDial2",
            "LocalBridge",
            "DialBegin 1",
            "NewExten 2:100,1,Answer",
            "NewState 2",
            "DeviceStateChanged Local/100@default=INUSE",  # Local devices: every change
            "NewState 1",
            "DeviceStateChanged Local/100@default=INUSE",
            "NewExten 2:100,2,Wait",  # (Asterisk: ~0.5 s later, after waiting for media)
            "DialEnd 1",
        ]  # and no Newexten for Wait on ;1: it runs outside the dialplan
        one = next(c for c in pbx.channels.values() if c.name.endswith(";1"))
        assert (one.application, one.data, one.priority) == ("Wait", "5", 1)
        del seen[:]
        await clock.advance(5.1)
        assert [describe(e) for e in seen] == [
            "HangupRequested 2:0",  # queued by ;1 as it goes
            "HungUp 1:0",
            "DeviceStateChanged Local/100@default=NOT_INUSE",
            "SoftHangupRequested 2:16",  # the dialplan run on ;2 ended
            "HungUp 2:0",  # where Wait(30) was: priority 2 (checked below)
            "DeviceStateChanged Local/100@default=NOT_INUSE",
        ]
        assert seen[-2].channel.priority == 2  # type: ignore[attr-defined]
        assert pbx.channels == {}

    run(scenario)


def test_caller_id_and_variables_reach_both_halves() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        target = Target(context="default", exten="300", priority=1)
        caller = Party("555", "Test")
        await originate(pbx, "Local/100@default", target, caller=caller, variables=[("FOO", "bar")])
        await clock.advance(0)
        got = [describe(e) for e in seen]
        assert got[:11] == [
            "NewChannel 1",
            "NewChannel 2",
            "NewExten 1:100,1,AppDial2",
            "VarSet 1:FOO=bar",
            "CallerIdChanged 1",
            "ConnectedLineChanged 1",
            "VarSet 2:FOO=bar",
            "CallerIdChanged 2",
            "ConnectedLineChanged 2",
            "LocalBridge",
            "DialBegin 1",
        ]
        assert seen[0].channel.caller == Party()  # type: ignore[attr-defined]
        caller_2 = seen[7]
        assert isinstance(caller_2, ev.CallerIdChanged)
        assert caller_2.channel.caller == caller_2.channel.connected == caller
        assert "NewExten 1:300,1,Answer" in got and "NewExten 1:300,2,Wait" in got

    run(scenario)


def test_hangup_of_both_halves_announces_before_destroying() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/100@default", Target(context="default", exten="300"))
        await clock.advance(1)
        del seen[:]
        for channel in reversed(list(pbx.channels.values())):  # as the AMI Hangup /regex/
            channel.request_hangup(0)
        await clock.advance(0.1)
        assert [describe(e) for e in seen] == [
            "SoftHangupRequested 2:16",
            "SoftHangupRequested 1:16",
            "HangupRequested 1:0",
            "HungUp 2:0",
            "DeviceStateChanged Local/100@default=NOT_INUSE",  # as 13_originate_async shows
            "HungUp 1:0",
            "DeviceStateChanged Local/100@default=NOT_INUSE",
        ]

    run(scenario)


def test_epoch_without_a_channel() -> None:
    pbx, clock, _ = make_pbx()
    assert ChannelScope(pbx, None).get_variable("EPOCH") == str(int(clock()))
