"""AMI Park, ParkedCalls, Parkinglots and the parking events, through a real Manager."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from support import REFERENCE_CONF
from support.inprocess import Client

from pbxd.config.conf import loads
from pbxd.configuration import load_configuration
from pbxd.manager.actions import parking as parking_actions
from pbxd.manager.registry import ACTIONS, ActionRegistry
from pbxd.manager.server import Manager
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import run_dialplan
from pbxd.protocol import Message

REFERENCE = REFERENCE_CONF
EXTENSIONS = """
[default]
exten => wait,1,Answer()
 same => n,Wait(1000)
exten => park,1,Park()
"""


Scenario = Callable[[PBX, VirtualClock, Client], Awaitable[None]]


def run(scenario: Scenario) -> None:
    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        registry = ActionRegistry()
        for spec in ACTIONS:
            registry.add(spec)
        parking_actions.install(registry)
        manager = Manager(
            load_configuration(REFERENCE).manager, pbx, asyncio.get_running_loop(), registry
        )
        client = Client(manager)
        client.read()
        client.action("Login", ("Username", "admin"), ("Secret", "adminpass"), ("Events", "call"))
        await clock.advance(0.1)
        assert client.read()[0].get("message") == "Authentication accepted"
        await scenario(pbx, clock, client)

    asyncio.run(asyncio.wait_for(main(), 10))


def start(pbx: PBX, exten: str, name: str) -> Channel:
    channel = Channel(pbx, f"Test/{name}-00000001", "Test", exten=exten, state=ChannelState.RING)
    pbx.add_channel(channel)
    asyncio.ensure_future(run_dialplan(channel))
    return channel


def events(messages: list[Message], name: str) -> list[Message]:
    return [m for m in messages if m.get("event") == name]


def test_parking_actions_are_installed() -> None:
    assert ACTIONS.lookup("Park") is not None  # the server offers them
    registry = ActionRegistry()
    parking_actions.install(registry)
    parking_actions.install(registry)
    assert [spec.name for spec in registry] == ["Park", "ParkedCalls", "Parkinglots"]
    assert {spec.provided_by for spec in registry} == {"res_parking"}


def test_park_action_errors() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, client: Client) -> None:
        start(pbx, "wait", "alice")
        await clock.advance(0.1)
        client.read()
        cases = [
            ([], "Channel not specified"),
            ([("Channel", "Test/alice-00000001"), ("Timeout", "soon")], "Invalid Timeout value."),
            ([("Channel", "Nope/1")], "Channel does not exist: Nope/1"),
            ([("Channel", "Test/alice-00000001"), ("AnnounceChannel", "Nope/2")],
             "AnnounceChannel does not exist"),
            ([("Channel", "Test/alice-00000001"), ("Parkinglot", "nolot")], "Park action failed"),
        ]  # fmt: skip
        for headers, text in cases:
            client.action("Park", ("ActionID", "p"), *headers)
            await clock.advance(0.01)
            answer = client.read()[0]
            assert answer.lines == ["Response: Error", "ActionID: p", f"Message: {text}"]
        pbx.hangup_all()
        await clock.advance(1)

    run(scenario)


def test_park_action_list_and_events() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, client: Client) -> None:
        alice = start(pbx, "wait", "alice")
        await clock.advance(0.1)
        client.read()
        client.action("Park", ("ActionID", "p1"), ("Channel", "Test/alice-00000001"),
                      ("TimeoutChannel", "SIP/100-00000003"), ("Timeout", "20000"))  # fmt: skip
        await clock.advance(0.1)
        messages = client.read()
        assert messages[0].lines == [
            "Response: Success",
            "ActionID: p1",
            "Message: Park successful",
        ]
        parked = events(messages, "ParkedCall")
        assert len(parked) == 1
        fields = [name for name, _ in parked[0].items()]
        assert fields[:4] == ["Event", "Privilege", "ParkeeChannel", "ParkeeChannelState"]
        assert fields[-5:] == [
            "ParkerDialString",
            "Parkinglot",
            "ParkingSpace",
            "ParkingTimeout",
            "ParkingDuration",
        ]
        assert parked[0].get("ParkeeChannel") == "Test/alice-00000001"
        assert parked[0].get("ParkerDialString") == "SIP/100"
        assert (parked[0].get("ParkingSpace"), parked[0].get("ParkingTimeout")) == ("701", "20")
        assert "ActionID" not in parked[0]

        await clock.advance(5)
        client.action("ParkedCalls", ("ActionID", "l1"))
        await clock.advance(0.01)
        listing = client.read()
        assert listing[0].lines == [
            "Response: Success", "ActionID: l1", "EventList: start",
            "Message: Parked calls will follow",
        ]  # fmt: skip
        item = listing[1]
        assert item.get("event") == "ParkedCall" and item.lines[-1] == "ActionID: l1"
        assert "Privilege" not in item
        assert (item.get("ParkingTimeout"), item.get("ParkingDuration")) == ("15", "5")
        assert listing[2].lines == [
            "Event: ParkedCallsComplete", "ActionID: l1", "EventList: Complete", "ListItems: 1",
            "Total: 1",
        ]  # fmt: skip

        client.action("ParkedCalls", ("ParkingLot", "nolot"))
        await clock.advance(0.01)
        assert client.read()[0].get("message") == "Requested parking lot could not be found."

        client.action("Parkinglots", ("ActionID", "l2"))
        await clock.advance(0.01)
        lots = client.read()
        assert lots[0].get("message") == "Parking lots will follow"
        assert lots[1].lines == [
            "Event: Parkinglot", "ActionID: l2", "Name: default", "StartSpace: 701",
            "StopSpace: 720", "Timeout: 45",
        ]  # fmt: skip
        assert lots[2].lines[:4] == [
            "Event: ParkinglotsComplete",
            "ActionID: l2",
            "EventList: Complete",
            "ListItems: 1",
        ]

        await clock.advance(15)
        timed_out = events(client.read(), "ParkedCallTimeOut")
        assert len(timed_out) == 1 and timed_out[0].get("ParkingDuration") == "20"
        assert alice.get_variable("PARKER") == "SIP/100"
        pbx.hangup_all()
        await clock.advance(1)

    run(scenario)


def test_unparked_and_give_up_events() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, client: Client) -> None:
        start(pbx, "park", "alice")
        bob = start(pbx, "park", "bob")
        await clock.advance(0.1)
        carol = Channel(pbx, "Test/carol-00000001", "Test", state=ChannelState.UP)
        pbx.add_channel(carol)
        app = pbx.applications.get("ParkedCall")
        assert app is not None
        task = asyncio.ensure_future(app.handler(carol, "default,701"))
        await clock.advance(0.1)
        unparked = events(client.read(), "UnParkedCall")
        assert len(unparked) == 1
        assert unparked[0].get("RetrieverChannel") == "Test/carol-00000001"
        names = [name for name, _ in unparked[0].items()]
        assert names.index("RetrieverChannel") > names.index("ParkeeLinkedid")
        bob.request_hangup()
        await clock.advance(0.1)
        gave_up = events(client.read(), "ParkedCallGiveUp")
        assert [m.get("ParkeeChannel") for m in gave_up] == ["Test/bob-00000001"]
        carol.request_hangup()
        await task
        pbx.hangup_all()
        await clock.advance(1)

    run(scenario)
