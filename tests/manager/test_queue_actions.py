"""The queue actions and events through a real Manager: registration, list framing, bad
input of any kind answered in Asterisk's words, and the classic dialect's Join/Leave."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from support import REFERENCE_CONF
from support.inprocess import Client

from pbxd.config.conf import loads
from pbxd.configuration import load_configuration
from pbxd.manager.actions import queues as queue_actions
from pbxd.manager.registry import ACTIONS
from pbxd.manager.server import Manager
from pbxd.pbx.channel import Channel
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.queues import QueueSystem
from pbxd.pbx.queues import events as qe
from pbxd.pbx.queues.config import read_queues_conf

REFERENCE = REFERENCE_CONF
QUEUES = "[support]\nmember => Local/100@default,0,Alice\n"
ACTION_NAMES = [
    "QueueStatus", "QueueSummary", "QueueAdd", "QueueRemove", "QueuePause", "QueuePenalty",
    "QueueMemberRingInUse", "QueueLog", "QueueReload", "QueueReset",
]  # fmt: skip
HEADERS = ["Queue", "Interface", "Penalty", "Paused", "MemberName", "StateInterface", "Reason",
           "Member", "RingInUse", "Event", "Uniqueid", "Message", "Members", "Parameters"]  # fmt: skip


async def _manager(classic: bool = False) -> tuple[PBX, VirtualClock, Client]:
    clock = VirtualClock()
    pbx = PBX(clock)
    system = QueueSystem(pbx)
    pbx.queues = system
    system.load(read_queues_conf(loads(QUEUES, "queues.conf")))
    settings_ = load_configuration(REFERENCE).manager
    manager = Manager(replace(settings_, classic=classic), pbx, asyncio.get_running_loop())
    client = Client(manager)
    client.read()
    client.action("Login", ("Username", "admin"), ("Secret", "adminpass"), ("Events", "on"))
    await clock.advance(0.1)
    client.read()
    return pbx, clock, client


def test_queue_actions_are_installed() -> None:
    for name in ACTION_NAMES:
        spec = ACTIONS.lookup(name)
        assert spec is not None and spec.provided_by == "app_queue", name
    assert ACTIONS.lookup("Queues") is None  # Asterisk 20 has none
    classic = queue_actions.with_classic(ACTIONS)
    assert classic.lookup("Queues") is not None and len(classic) == len(ACTIONS) + 1


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ACTION_NAMES),
    st.lists(
        st.tuples(st.sampled_from(HEADERS), st.text(alphabet="abc/@;|-1 0SIPLocal\\", max_size=12)),
        max_size=6,
    ),
)
def test_any_input_gets_an_answer_in_asterisks_words(
    name: str, headers: list[tuple[str, str]]
) -> None:
    async def main() -> None:
        pbx, clock, client = await _manager()
        client.action(name, ("ActionID", "x"), *headers)
        await clock.advance(0.01)
        answer = client.read()[0]
        assert answer.get("response") in ("Success", "Error")
        assert not answer.get("message").startswith("Internal error")

    asyncio.run(asyncio.wait_for(main(), 10))


def test_classic_dialect_callers_join_and_leave() -> None:
    async def main() -> None:
        pbx, clock, client = await _manager(classic=True)
        caller = Channel(pbx, "SIP/100-00000001", "SIP")
        caller.caller = caller.caller._replace(number="100")
        pbx.bus.publish(qe.CallerJoined("support", caller.snapshot(), 1, 1))
        pbx.bus.publish(qe.CallerLeft("support", caller.snapshot(), 1, 0))
        await clock.advance(0.01)
        lines = [m.lines for m in client.read() if m.get("event") in ("Join", "Leave")]
        uniqueid = caller.uniqueid
        assert lines == [
            ["Event: Join", "Privilege: call,all", "Channel: SIP/100-00000001",
             "CallerID: 100", "CallerIDName: unknown", "Queue: support", "Position: 1",
             "Count: 1", f"Uniqueid: {uniqueid}"],
            ["Event: Leave", "Privilege: call,all", "Channel: SIP/100-00000001",
             "Queue: support", "Count: 0", f"Uniqueid: {uniqueid}"],
        ]  # fmt: skip

    asyncio.run(asyncio.wait_for(main(), 10))


def test_queue_status_filters_and_framing() -> None:
    async def main() -> None:
        pbx, clock, client = await _manager()
        client.action("QueueStatus", ("ActionID", "a"), ("Member", "Alice"))
        await clock.advance(0.01)
        messages = client.read()
        assert [m.get("event") or m.get("response") for m in messages] == [
            "Success", "QueueParams", "QueueMember", "QueueStatusComplete",
        ]  # fmt: skip
        assert messages[2].lines[-1] == "ActionID: a"  # app_queue puts it last
        assert messages[3].lines[:2] == ["Event: QueueStatusComplete", "ActionID: a"]
        client.action("QueueStatus", ("Member", "nobody"))
        await clock.advance(0.01)
        assert [m.get("event") for m in client.read()[1:]] == ["QueueParams",
                                                               "QueueStatusComplete"]  # fmt: skip

    asyncio.run(asyncio.wait_for(main(), 10))
