"""Attended and blind transfers by feature codes in a call Dial bridged, on the virtual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.channel import Channel
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.features import FeatureConfig, Features, load_features, receive_dtmf
from pbxd.pbx.originate import Target, originate
from pbxd.pbx.transfer_events import AttendedTransferred, BlindTransferred, Held, Unheld
from pbxd.techs.local import LocalOptimizationBegan, LocalTechnology

EXTENSIONS = """
[default]
exten => alice,1,Answer()
 same => n,Dial(Local/bob@default,,{options})
exten => bob,1,Answer()
 same => n,Wait(1000)
exten => carol,1,Answer()
 same => n,Set(REACHED=yes)
 same => n,Wait(1000)
exten => slow,1,Ringing()
 same => n,Wait(1000)
exten => _55X,1,Answer()
 same => n,Wait(1000)
exten => gone,1,Hangup(17)
exten => relay,1,Answer()
 same => n,Dial(Local/dave@default)
exten => dave,1,Answer()
 same => n,Wait(1000)
"""

Scenario = Callable[[PBX, VirtualClock, list[object]], Awaitable[None]]


def run(scenario: Scenario, options: str = "T", config: FeatureConfig | None = None) -> None:
    errors: list[object] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: errors.append(context)
        )
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS.format(options=options), "extensions.conf"))
        pbx.features = Features(pbx, config or FeatureConfig(atxfer="*2", atxferabort="*1"))
        seen: list[object] = []
        pbx.bus.subscribe(seen.append)
        await originate(pbx, "Local/alice@default", Target("Wait", "1000"))
        await clock.advance(0.1)
        await scenario(pbx, clock, seen)
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {} and pbx.bridges == {}

    asyncio.run(asyncio.wait_for(main(), 10))
    assert errors == []


def named(pbx: PBX, prefix: str, suffix: str) -> Channel:
    return next(
        c for c in pbx.channels.values() if c.name.startswith(prefix) and c.name.endswith(suffix)
    )


def dial(channel: Channel, digits: str) -> None:
    for digit in digits:
        receive_dtmf(channel, digit)


def of(seen: list[object], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in seen if isinstance(e, kind)]


def test_the_transferee_meets_the_target_when_the_transferer_hangs_up() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        call = pbx.bridges[alice.bridge_id]
        dial(alice, "*2carol")
        await clock.advance(0.1)
        carol = named(pbx, "Local/carol", ";1")
        assert of(seen, Held)[0].channel.name == alice.name
        assert alice.bridge_id == carol.bridge_id != call.uniqueid
        assert bob.bridge_id == call.uniqueid and call.channels == [bob]  # Dial's bridge holds
        assert carol.get_variable("TRANSFERERNAME") == alice.name
        assert named(pbx, "Local/carol", ";2").get_variable("REACHED") == "yes"
        alice.request_hangup()
        await clock.advance(0.1)
        assert alice.gone and call.channels == [bob, carol] and carol.bridge_id == call.uniqueid
        (done,) = of(seen, AttendedTransferred)
        assert (done.result, done.dest_type, done.dest_bridge) == (
            "Success",
            "Bridge",
            call.uniqueid,
        )
        assert done.transferee.name == bob.name and done.target.name == carol.name
        assert done.orig_transferer.name == done.second_transferer.name == alice.name
        assert done.orig_bridge.uniqueid == call.uniqueid
        await clock.advance(30)
        assert not bob.gone and not carol.gone  # they talk on
        entered = [e.channel.name for e in of(seen, ev.BridgeEntered)]
        assert entered[-1] == carol.name
        carol.request_hangup()
        await clock.advance(0.1)
        assert bob.gone and pbx.bridges == {}

    run(scenario)


def test_an_unanswered_target_gives_the_transferer_back_the_transferee() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        call = alice.bridge_id
        dial(alice, "*2slow")
        await clock.advance(5)
        assert alice.bridge_id != call
        await clock.advance(15)
        assert alice.bridge_id == bob.bridge_id == call
        assert not any(c.name.startswith("Local/slow") for c in pbx.channels.values())
        assert of(seen, Unheld)[0].channel.name == alice.name
        assert not of(seen, AttendedTransferred)
        bob.request_hangup()  # the call goes on as before: a hangup ends it
        await clock.advance(0.1)
        assert alice.gone

    run(scenario)


@pytest.mark.parametrize("target", ["gone", "carol"])
def test_the_abort_code_or_a_target_hangup_rebridges(target: str) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        call = alice.bridge_id
        dial(alice, "*2" + target)
        await clock.advance(0.1)
        if target == "carol":
            dial(alice, "*1")
            await clock.advance(0.1)
        assert alice.bridge_id == bob.bridge_id == call
        assert pbx.bridges[call].dissolves
        assert not any(c.name.startswith("Local/" + target) for c in pbx.channels.values())

    run(scenario)


def test_the_transferee_hanging_up_fails_the_transfer() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        dial(alice, "*2slow")
        await clock.advance(0.1)
        bob.request_hangup()
        await clock.advance(0.1)
        (failed,) = of(seen, AttendedTransferred)
        assert (failed.result, failed.dest_type) == ("Fail", "Fail")
        assert alice.gone  # out of every bridge, Dial ends the call

    run(scenario)


def test_threeway_puts_all_three_together() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        call = pbx.bridges[alice.bridge_id]
        dial(alice, "*2carol")
        await clock.advance(0.1)
        dial(alice, "*3")
        await clock.advance(0.1)
        carol = named(pbx, "Local/carol", ";1")
        assert set(call.channels) == {alice, bob, carol}
        (done,) = of(seen, AttendedTransferred)
        assert (done.dest_type, done.dest_transferer) == ("Threeway", alice.name)
        alice.request_hangup()  # one of three leaves: the other two stay
        await clock.advance(0.1)
        assert set(call.channels) == {bob, carol}

    run(scenario, config=FeatureConfig(atxfer="*2"))


def test_swap_goes_back_and_forth() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        call = alice.bridge_id
        dial(alice, "*2carol")
        await clock.advance(0.1)
        dial(alice, "*4")
        await clock.advance(0.1)
        assert alice.bridge_id == bob.bridge_id == call
        dial(alice, "*4")
        await clock.advance(0.1)
        assert alice.bridge_id == named(pbx, "Local/carol", ";1").bridge_id != call

    run(scenario)


def test_digits_collect_until_the_extension_cannot_match_more() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice = named(pbx, "Local/alice", ";2")
        dial(alice, "*255")
        await clock.advance(1)
        assert not any(c.name.startswith("Local/55") for c in pbx.channels.values())
        dial(alice, "7")
        await clock.advance(0.1)
        assert named(pbx, "Local/557@default", ";1").bridge_id == alice.bridge_id

    run(scenario)


@pytest.mark.parametrize("digits", ["*2nowhere", "*2"])
def test_an_invalid_or_missing_extension_takes_the_hold_off(digits: str) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        dial(alice, digits)
        await clock.advance(20)
        assert alice.bridge_id == bob.bridge_id
        assert len(of(seen, Held)) == len(of(seen, Unheld)) == 1

    run(scenario, config=FeatureConfig(atxfer="*2", transferdialattempts=1))


def test_without_the_dial_option_the_codes_do_nothing() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        dial(bob, "*2carol")  # T lets the caller transfer, not the callee
        await clock.advance(0.1)
        assert not of(seen, Held) and alice.bridge_id == bob.bridge_id
        assert [e.digit for e in of(seen, ev.Dtmf) if e.begin] == list("*2carol")

    run(scenario)


def test_bridge_features_variable_allows_the_callee() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        bob = named(pbx, "Local/bob", ";1")
        bob.set_variable("BRIDGE_FEATURES", "T")
        dial(bob, "*2carol")
        await clock.advance(0.1)
        assert of(seen, Held)[0].channel.name == bob.name

    run(scenario, options="")


def test_blind_transfer_code_sends_the_peer_away() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        dial(alice, "#carol")
        await clock.advance(0.1)
        (done,) = of(seen, BlindTransferred)
        assert (done.transferee.name, done.exten, done.external) == (bob.name, "carol", False)
        assert alice.gone and not bob.gone and bob.get_variable("REACHED") == "yes"

    run(scenario, options="Tt")


def test_features_conf(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "features.conf").write_text(
        "[general]\natxfernoanswertimeout = 5\ntransferdigittimeout = nope\natxferabort = *9\n"
        "[featuremap]\natxfer => *2\nblindxfer => #1\n"
    )
    config = load_features(tmp_path)
    assert (config.atxfer, config.blindxfer, config.atxferabort) == ("*2", "#1", "*9")
    assert (config.atxfernoanswertimeout, config.transferdigittimeout) == (5.0, 3.0)
    assert load_features(tmp_path / "missing") == FeatureConfig()


def test_dial_reports_a_ringing_callee() -> None:
    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(
            loads("[default]\nexten => a,1,Dial(Local/slow@default,5)\n" + EXTENSIONS, "x")
        )
        seen: list[object] = []
        pbx.bus.subscribe(seen.append)
        calling = asyncio.ensure_future(originate(pbx, "Local/a@default", Target("Wait", "1")))
        await clock.advance(10)
        await calling
        (state,) = of(seen, ev.DialState)
        assert state.status == "RINGING" and state.dest.name.startswith("Local/slow@default-")
        assert state.caller.name.startswith("Local/a@default-")
        kinds = [type(e).__name__ for e in seen]
        assert kinds.index("DialState") > kinds.index("DialBegin")
        assert of(seen, ev.DialEnd)[0].status == "NOANSWER"

    asyncio.run(asyncio.wait_for(main(), 10))


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=0, max_size=12))
def test_any_digits_leave_the_call_whole(digits: str) -> None:
    """Whatever a transferer dials, nothing breaks and every channel ends cleanly."""

    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice = named(pbx, "Local/alice", ";2")
        dial(alice, "*2" + digits)
        await clock.advance(20)
        dial(alice, "*1")
        await clock.advance(1)

    run(scenario)


def test_the_callee_transfers_the_caller() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        call = pbx.bridges[alice.bridge_id]
        dial(bob, "*2carol")
        await clock.advance(1)
        carol = named(pbx, "Local/carol", ";1")
        assert bob.bridge_id == carol.bridge_id and call.channels == [alice]
        bob.request_hangup()
        await clock.advance(0.1)
        assert bob.gone and set(call.channels) == {alice, carol}
        (done,) = of(seen, AttendedTransferred)
        assert done.transferee.name == alice.name and done.result == "Success"
        await clock.advance(50)
        assert not alice.gone and not carol.gone  # Dial's caller talks on with the target
        alice.request_hangup()
        await clock.advance(0.1)
        assert carol.gone and pbx.bridges == {}

    run(scenario, options="t")


def test_a_target_reached_through_dial_optimizes_after_the_transfer() -> None:
    """carol's extension dials dave: once the transfer merged carol's half into the
    transferee's bridge, the carol pair optimizes away and bob talks to dave directly."""

    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        alice, bob = named(pbx, "Local/alice", ";2"), named(pbx, "Local/bob", ";1")
        call = pbx.bridges[alice.bridge_id]
        dial(alice, "*2relay")
        await clock.advance(1)
        assert not of(seen, LocalOptimizationBegan)  # the transfer holds its bridges
        alice.request_hangup()
        await clock.advance(1)
        dave = named(pbx, "Local/dave", ";1")
        assert set(call.channels) == {bob, dave}
        assert not any(c.name.startswith("Local/relay") for c in pbx.channels.values())
        (began,) = of(seen, LocalOptimizationBegan)
        assert began.one.name.startswith("Local/relay") and began.source.name == dave.name

    run(scenario)
