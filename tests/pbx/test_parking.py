"""Park and ParkedCall on the virtual clock: spaces, retrieval, time-outs, giving up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pbxd.config.conf import loads
from pbxd.pbx import parking as pk
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import run_dialplan

EXTENSIONS = """
[default]
include => parkedcalls
exten => park,1,Park()
 same => n,Set(NOTREACHED=1)
exten => short,1,Park(,t(5)c(default,back,1))
exten => back,1,Set(CAMEBACK=${PARKING_SPACE}@${PARKEDLOT})
 same => n,Wait(100)
exten => get,1,ParkedCall(default,701)
exten => any,1,ParkedCall()
exten => nolot,1,ParkedCall(nolot)
"""

Scenario = Callable[[PBX, VirtualClock, list[object]], Awaitable[None]]


def run(scenario: Scenario) -> None:
    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        seen: list[object] = []
        pbx.bus.subscribe(seen.append)
        await scenario(pbx, clock, seen)

    asyncio.run(asyncio.wait_for(main(), 10))


def start(pbx: PBX, exten: str, name: str) -> Channel:
    channel = Channel(pbx, f"Test/{name}-00000001", "Test", exten=exten, state=ChannelState.RING)
    pbx.add_channel(channel)
    asyncio.ensure_future(run_dialplan(channel))
    return channel


def parking_events(seen: list[object]) -> list[tuple[str, int, str]]:
    return [
        (type(e).__name__, e.space, e.parkee.name)
        for e in seen
        if isinstance(e, pk.ParkingEvent)
    ]


def test_default_lot_and_its_extensions() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        parking = pk.parking_of(pbx)
        lot = parking.lot()
        assert lot is not None and (lot.config.start, lot.config.stop) == (701, 720)
        assert lot.config.parkingtime == 45 and lot.config.context == "parkedcalls"
        assert pbx.dialplan is not None
        step = pbx.dialplan.find("parkedcalls", "705", 1)
        assert step is not None and (step.app, step.data) == ("ParkedCall", "default,705")
        assert pbx.dialplan.find("parkedcalls", "700", 1).app == "Park"  # type: ignore[union-attr]
        assert pk.dial_string_of("SIP/100-0000000a") == "SIP/100"
        assert pk.flatten("SIP/100") == "SIP_100"

    run(scenario)


def test_park_and_retrieve() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        parkee = start(pbx, "park", "alice")
        other = start(pbx, "park", "bob")
        await clock.advance(1)
        assert parkee.state == ChannelState.UP  # Park answers
        assert parking_events(seen) == [
            ("CallParked", 701, "Test/alice-00000001"),
            ("CallParked", 702, "Test/bob-00000001"),
        ]
        parked = next(e for e in seen if isinstance(e, pk.CallParked))
        assert (parked.lot, parked.parker_dial_string, parked.timeout) == ("default", "Test/alice", 45)
        holding = pbx.bridges[parkee.bridge_id]
        assert (holding.type, holding.technology, holding.creator, holding.name) == (
            "parking", "holding_bridge", "Parking", "default"
        )
        retriever = start(pbx, "701", "carol")  # 701 in parkedcalls, included by default
        await clock.advance(1)
        unparked = [e for e in seen if isinstance(e, pk.CallUnparked)]
        assert len(unparked) == 1 and unparked[0].retriever is not None
        assert unparked[0].retriever.name == "Test/carol-00000001" and unparked[0].duration == 1
        assert parkee.bridge_id and parkee.bridge_id == retriever.bridge_id
        assert pk.parking_of(pbx).lot().parked.keys() == {702}  # type: ignore[union-attr]
        retriever.request_hangup()
        await clock.advance(1)
        assert parkee.gone and retriever.gone
        assert parkee.get_variable("NOTREACHED") is None
        anyone = start(pbx, "any", "dave")  # no space given: the longest parked call
        await clock.advance(1)
        assert anyone.bridge_id == other.bridge_id
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {} and pbx.bridges == {}

    run(scenario)


def test_timeout_comes_back_to_the_parker() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        parkee = start(pbx, "park", "alice")
        await clock.advance(44.9)
        assert not [e for e in seen if isinstance(e, pk.ParkedCallTimedOut)]
        await clock.advance(0.2)
        timed_out = [e for e in seen if isinstance(e, pk.ParkedCallTimedOut)]
        assert len(timed_out) == 1 and timed_out[0].duration == 45 and timed_out[0].timeout == 0
        assert parkee.get_variable("PARKER") == "Test/alice"
        assert parkee.get_variable("PARKER_FLAT") == "Test_alice"
        assert parkee.get_variable("PARKING_SPACE") == "701"
        assert pbx.dialplan is not None
        step = pbx.dialplan.find("park-dial", "Test_alice", 1)
        assert step is not None and (step.app, step.data) == ("Dial", "Test/alice,30")
        await clock.advance(1)
        assert parkee.gone  # no Test technology to dial back: the call ends
        assert pk.parking_of(pbx).lot().parked == {}  # type: ignore[union-attr]

    run(scenario)


def test_comeback_option_and_time_limit() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        parkee = start(pbx, "short", "alice")
        await clock.advance(5.1)
        assert parkee.get_variable("CAMEBACK") == "701@default"
        assert parkee.bridge_id == ""
        pbx.hangup_all()
        await clock.advance(1)

    run(scenario)


def test_parked_caller_gives_up() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        parkee = start(pbx, "park", "alice")
        await clock.advance(3)
        parkee.request_hangup()
        await clock.advance(1)
        assert parking_events(seen)[-1] == ("ParkedCallGaveUp", 701, "Test/alice-00000001")
        assert parkee.gone and pk.parking_of(pbx).lot().parked == {}  # type: ignore[union-attr]
        await clock.advance(60)
        assert len(parking_events(seen)) == 2  # no time-out after giving up

    run(scenario)


def test_retrieving_nothing_hangs_up() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        empty = start(pbx, "get", "carol")
        nolot = start(pbx, "nolot", "dave")
        await clock.advance(1)
        assert empty.gone and nolot.gone

    run(scenario)


def test_full_lot_goes_on_in_the_dialplan() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        channels = [start(pbx, "park", f"c{n}") for n in range(21)]
        await clock.advance(1)
        assert len(pk.parking_of(pbx).lot().parked) == 20  # type: ignore[union-attr]
        assert channels[-1].get_variable("NOTREACHED") == "1"
        pbx.hangup_all()
        await clock.advance(1)

    run(scenario)
