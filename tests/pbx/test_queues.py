"""Queues on the virtual clock: queues.conf, strategies, ringing members through Local
channels, connecting, timeouts, abandon, wrapup, empty-queue rules, persistence, queue_log."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxd.config.conf import loads
from pbxd.pbx.astdb import AstDB
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import run_dialplan
from pbxd.pbx.queues import QueueSystem
from pbxd.pbx.queues import events as qe
from pbxd.pbx.queues.cli import register_cli
from pbxd.pbx.queues.config import read_queues_conf
from pbxd.pbx.queues.model import Caller, Member
from pbxd.pbx.queues.selection import choose
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(30)
exten => 101,1,Answer()
 same => n,Wait(30)
exten => 102,1,Answer()
 same => n,Wait(30)
exten => ring,1,Wait(1000)
exten => q,1,Answer()
 same => n,Queue(${QNAME},${QOPTS},,,${QTIMEOUT})
 same => n,Set(DONE=${QUEUESTATUS})
 same => n,Wait(1000)
"""

QUEUES = """
[general]
persistentmembers = yes

[support]
strategy = ringall
timeout = 15
retry = 5
member => Local/100@default,0,Alice
member => Local/101@default,0,Bob

[ringer]
timeout = 10
retry = 5
member => Local/ring@default,0,Nobody

[empty]
joinempty = no

[small]
maxlen = 1
member => Local/ring@default,0,Nobody
"""

Scenario = Callable[[PBX, QueueSystem, VirtualClock, list[object]], Awaitable[None]]


def run(scenario: Scenario, queues: str = QUEUES, log_dir: Path | None = None) -> None:
    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        system = QueueSystem(pbx, log_dir)
        pbx.queues = system
        system.load(read_queues_conf(loads(queues, "queues.conf")))
        register_cli(pbx, system)
        seen: list[object] = []
        pbx.bus.subscribe(seen.append)
        await scenario(pbx, system, clock, seen)
        pbx.hangup_all()
        await clock.advance(1)
        system.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def call(
    pbx: PBX, queue: str, name: str = "caller", options: str = "", timeout: str = ""
) -> Channel:
    channel = Channel(pbx, f"Test/{name}-00000001", "Test", exten="q", state=ChannelState.RING)
    for key, value in (("QNAME", queue), ("QOPTS", options), ("QTIMEOUT", timeout)):
        channel.variables[key] = value
    pbx.add_channel(channel)
    asyncio.ensure_future(run_dialplan(channel))
    return channel


def kinds(seen: list[object], *types: type) -> list[str]:
    return [type(e).__name__ for e in seen if isinstance(e, types)]


def test_conf_loads_queues_and_warns_about_bad_lines() -> None:
    config = read_queues_conf(
        loads(
            "[general]\npersistentmembers = no\n"
            "[a]\nstrategy = bogus\nmember => nointerface\nmember => SIP/1,x,One\n"
            "member => SIP/2,3,Two,Custom:two,no,7\nfrobnicate = 1\njoinempty = paused,inuse\n"
            "timeout = soon\n[b]\nstrategy = roundrobin\nleavewhenempty = strict\n",
            "queues.conf",
        )
    )
    assert not config.persistentmembers
    a, b = config.queues
    assert a.settings.strategy == "ringall" and a.settings.timeout == 15
    assert [(m.interface, m.penalty, m.name) for m in a.members] == [
        ("SIP/1", 0, "One"),
        ("SIP/2", 3, "Two"),
    ]
    two = a.members[1]
    assert (two.state_interface, two.ringinuse, two.wrapuptime) == ("Custom:two", False, 7)
    assert a.settings.joinempty == {"paused", "inuse"}
    assert b.settings.strategy == "rrmemory"
    assert b.settings.leavewhenempty == {"penalty", "invalid", "paused", "unavailable"}
    texts = " | ".join(p.message for p in config.problems)
    for fragment in ("isn't a valid strategy", "no interface", "Invalid penalty 'x'",
                     "Unknown option 'frobnicate'", "'soon'"):  # fmt: skip
        assert fragment in texts
    assert all(p.line for p in config.problems)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="[]=>,;/ abcSIPLoal0123456789-\n", max_size=200))
def test_any_queues_conf_text_loads_without_crashing(text: str) -> None:
    config = read_queues_conf(loads(text, "queues.conf"))
    for definition in config.queues:
        assert definition.settings.strategy in (
            "ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom",
            "rrordered",
        )  # fmt: skip


def test_ringall_connects_the_first_member_who_answers(tmp_path: Path) -> None:
    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        caller = call(pbx, "support")
        await clock.advance(1)
        queue = system.get("SUPPORT")
        assert queue is not None and not queue.callers  # connected: out of the queue
        called = [e for e in seen if isinstance(e, qe.AgentCalled)]
        assert sorted(e.member.name for e in called) == ["Alice", "Bob"]
        assert called[0].agent.caller.number == "q"  # the caller's extension as caller ID
        connected = [e for e in seen if isinstance(e, qe.AgentConnected)]
        assert len(connected) == 1 and connected[0].holdtime == 0
        member = queue.member(connected[0].member.interface)
        assert member is not None and member.in_call
        assert caller.get_variable("QUEUEWAIT") == "0"
        assert caller.get_variable("BRIDGEPEER") == connected[0].agent.name
        await clock.advance(40)  # the member's Wait(30) ends the call
        assert not member.in_call and member.calls == 1
        assert (queue.completed, queue.talktime, queue.abandoned) == (1, 30, 0)
        assert queue.service_levels() == (100.0, 100.0)
        complete = [e for e in seen if isinstance(e, qe.AgentCompleted)]
        assert [(e.reason, e.talktime) for e in complete] == [("agent", 30)]
        assert kinds(seen, qe.CallerJoined, qe.CallerLeft) == ["CallerJoined", "CallerLeft"]
        assert caller.hangup_requested  # no c option: the caller goes too

    run(scenario, log_dir=tmp_path)
    lines = [line.split("|") for line in (tmp_path / "queue_log").read_text().splitlines()]
    events = [(fields[2], fields[4]) for fields in lines]
    assert events == [
        ("support", "ENTERQUEUE"),
        ("support", "CONNECT"),
        ("support", "COMPLETEAGENT"),
    ]
    assert lines[0][5:] == ["", "", "1"]  # url, caller number, position
    assert lines[2][5:] == ["0", "30", "1"]  # holdtime, talktime, original position


def test_unanswered_members_time_out_and_the_caller_leaves(tmp_path: Path) -> None:
    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        caller = call(pbx, "ringer", timeout="32")
        await clock.advance(11)
        assert kinds(seen, qe.AgentRingNoAnswer) == ["AgentRingNoAnswer"]
        assert [e.ringtime for e in seen if isinstance(e, qe.AgentRingNoAnswer)] == [10]
        await clock.advance(3)  # retry: 5 s between rounds
        assert len(kinds(seen, qe.AgentCalled)) == 1
        await clock.advance(2)
        assert len(kinds(seen, qe.AgentCalled)) == 2
        await clock.advance(30)
        assert caller.get_variable("QUEUESTATUS") == "TIMEOUT"
        assert caller.get_variable("DONE") == "TIMEOUT"
        queue = system.get("ringer")
        assert queue is not None and not queue.callers and queue.abandoned == 0

    run(scenario, log_dir=tmp_path)
    events = [line.split("|")[4] for line in (tmp_path / "queue_log").read_text().splitlines()]
    assert events[0] == "ENTERQUEUE" and events[-1] == "EXITWITHTIMEOUT"
    assert events.count("RINGNOANSWER") == 3


def test_a_caller_who_hangs_up_while_waiting_abandons() -> None:
    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        assert system.pause("Local/100@default", True, "support", "lunch")
        assert system.pause("local/101@default", True)
        caller = call(pbx, "support")
        await clock.advance(3)
        queue = system.get("support")
        assert queue is not None and queue.callers[0].channel is caller
        assert not kinds(seen, qe.AgentCalled)  # everyone paused
        caller.request_hangup()
        await clock.advance(1)
        abandon = [e for e in seen if isinstance(e, qe.CallerAbandoned)]
        assert [(e.position, e.original_position, e.holdtime) for e in abandon] == [(1, 1, 3)]
        assert queue.abandoned == 1 and not queue.callers
        assert queue.service_levels() == (0.0, 0.0)
        paused = [e.member for e in seen if isinstance(e, qe.MemberPaused)]
        assert [(m.name, m.paused, m.reason) for m in paused] == [
            ("Alice", True, "lunch"),
            ("Bob", True, ""),
        ]

    run(scenario)


def test_full_and_empty_queues_turn_callers_away() -> None:
    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        first = call(pbx, "small", "first")
        await clock.advance(1)
        second = call(pbx, "small", "second")
        empty = call(pbx, "empty", "third")
        unknown = call(pbx, "nosuchqueue", "fourth")
        await clock.advance(1)
        assert first.get_variable("QUEUESTATUS") is None  # still waiting
        assert second.get_variable("QUEUESTATUS") == "FULL"
        assert empty.get_variable("QUEUESTATUS") == "JOINEMPTY"
        assert unknown.get_variable("QUEUESTATUS") == "UNKNOWN"

    run(scenario)


def test_leavewhenempty_and_continue_option() -> None:
    queues = QUEUES + "\n[leaving]\nleavewhenempty = yes\nmember => Local/100@default,0,Alice\n"

    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        system.pause("Local/100@default", True, "leaving")
        caller = call(pbx, "leaving")
        await clock.advance(2)
        assert caller.get_variable("QUEUESTATUS") == "LEAVEEMPTY"
        staying = call(pbx, "support", "stay", options="c")
        await clock.advance(35)  # the member hangs up after its Wait(30)
        assert staying.get_variable("QUEUESTATUS") == "CONTINUE"
        assert not staying.hangup_requested

    run(scenario, queues)


def test_wrapuptime_and_autopause() -> None:
    queues = (
        "[w]\nwrapuptime = 60\nmember => Local/100@default,0,Alice\n"
        "[auto]\nautopause = yes\ntimeout = 5\nmember => Local/ring@default,0,Nobody\n"
    )

    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        call(pbx, "w", "one")
        await clock.advance(35)  # first call: 30 s, then wrapup
        second = call(pbx, "w", "two")
        await clock.advance(30)
        assert len(kinds(seen, qe.AgentCalled)) == 1  # Alice rests
        await clock.advance(35)
        assert len(kinds(seen, qe.AgentCalled)) == 2 and second.bridge_id
        call(pbx, "auto", "three")
        await clock.advance(7)
        queue = system.get("auto")
        assert queue is not None
        member = queue.member("Local/ring@default")
        assert member is not None and member.paused and member.reason == "Auto-Pause"

    run(scenario, queues)


def _members(count: int) -> list[Member]:
    return [
        Member(f"Local/{100 + i}@default", f"m{i}", f"Local/{100 + i}@default", order=i)
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("linear", ["m0", "m1", "m2", "m0"]), ("rrmemory", ["m0", "m1", "m2", "m0"]),
     ("rrordered", ["m0", "m1", "m2", "m0"])],
)  # fmt: skip
def test_ordered_strategies_take_turns(strategy: str, expected: list[str]) -> None:
    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        queue = system.get("support")
        assert queue is not None
        queue.settings = type(queue.settings)("support", strategy)
        queue.members = {m.interface.lower(): m for m in _members(3)}
        caller = Caller(Channel(pbx, "Test/x-1", "Test"), clock())
        queue.callers.append(caller)
        picked = []
        for _ in range(4):
            chosen, positions = choose(system, queue, caller, clock())
            picked.append(chosen[0].name)
            nxt = positions[id(chosen[0])] + 1
            if strategy == "linear":
                caller.linear_next = nxt if nxt < 3 else 0
            else:
                queue.rr_next = nxt if nxt < 3 else 0
        assert picked == expected

    run(scenario)


def test_metric_strategies_and_penalties() -> None:
    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        queue = system.get("support")
        assert queue is not None
        members = _members(3)
        queue.members = {m.interface.lower(): m for m in members}
        caller = Caller(Channel(pbx, "Test/x-1", "Test"), clock())
        settings_type = type(queue.settings)
        members[0].calls, members[1].calls, members[2].calls = 5, 1, 3
        queue.settings = settings_type("support", "fewestcalls")
        assert [m.name for m in choose(system, queue, caller, clock())[0]] == ["m1"]
        members[0].lastcall, members[1].lastcall, members[2].lastcall = 300.0, 200.0, 100.0
        queue.settings = settings_type("support", "leastrecent")
        assert [m.name for m in choose(system, queue, caller, clock())[0]] == ["m2"]
        members[2].penalty = 1
        assert [m.name for m in choose(system, queue, caller, clock())[0]] == ["m1"]
        queue.settings = settings_type("support", "ringall")
        assert [m.name for m in choose(system, queue, caller, clock())[0]] == ["m0", "m1"]
        members[0].paused = True
        assert [m.name for m in choose(system, queue, caller, clock())[0]] == ["m1"]
        random.seed(4)
        for strategy in ("random", "wrandom"):
            queue.settings = settings_type("support", strategy)
            assert len(choose(system, queue, caller, clock())[0]) == 1

    run(scenario)


def test_a_heavier_queue_takes_shared_members_first() -> None:
    queues = (
        "[light]\nringinuse = no\nmember => Local/100@default,0,Alice\n"
        "[heavy]\nweight = 10\nmember => Local/100@default,0,Alice\n"
    )

    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        system.pause("Local/100@default", True, "heavy")
        call(pbx, "heavy", "vip")
        light = call(pbx, "light", "plain")
        await clock.advance(3)
        assert not light.bridge_id  # Alice is kept for the heavy queue's caller
        system.pause("Local/100@default", False, "heavy")
        await clock.advance(2)
        called = [e.caller.name for e in seen if isinstance(e, qe.AgentCalled)]
        assert called == ["Test/vip-00000001"]

    run(scenario, queues)


def test_dynamic_members_persist_in_the_astdb(tmp_path: Path) -> None:
    db = AstDB(tmp_path / "astdb.sqlite3")

    async def first(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        pbx.astdb = db
        assert system.add_member("support", "SIP/carol", penalty=2, name="Carol") == "ADDED"
        assert system.add_member("support", "SIP/carol") == "MEMBERALREADY"
        assert system.add_member("nosuch", "SIP/carol") == "NOSUCHQUEUE"
        assert system.add_member("support", "SIP/dave", paused=True, reason="new") == "ADDED"
        assert system.remove_member("support", "Local/100@default") == "NOTDYNAMIC"
        assert system.remove_member("support", "SIP/nobody") == "NOTINQUEUE"
        assert system.remove_member("nosuch", "SIP/dave") == "NOSUCHQUEUE"
        assert system.set_penalty("SIP/dave", 4, "support")
        assert not system.set_penalty("SIP/dave", -1)
        assert not system.pause("SIP/nobody", True)
        assert kinds(seen, qe.MemberAdded, qe.MemberPenaltyChanged) == [
            "MemberAdded", "MemberAdded", "MemberPenaltyChanged",
        ]  # fmt: skip

    run(first)
    assert db.get("Queue/PersistentMembers", "support") == (
        "SIP/carol;2;0;Carol;SIP/carol;;0|SIP/dave;4;1;SIP/dave;SIP/dave;new;0"
    )

    async def restarted(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        pbx.astdb = db
        system.restore()
        queue = system.get("support")
        assert queue is not None
        dave = queue.member("SIP/dave")
        assert dave is not None and dave.dynamic and dave.paused and dave.penalty == 4
        assert dave.reason == "new"
        assert system.remove_member("support", "SIP/carol") == "REMOVED"

    run(restarted)
    assert db.get("Queue/PersistentMembers", "support") == "SIP/dave;4;1;SIP/dave;SIP/dave;new;0"
    db.close()


def test_member_status_follows_its_device() -> None:
    queues = "[q]\nmember => SIP/alice,0,Alice,Custom:alice\n"

    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        pbx.set_custom_device_state("Custom:alice", "INUSE")
        pbx.set_custom_device_state("Custom:alice", "INUSE")
        pbx.set_custom_device_state("Custom:ALICE", "UNAVAILABLE")
        statuses = [e.member.status for e in seen if isinstance(e, qe.MemberStatusChanged)]
        assert statuses == [2, 5]
        assert system.set_ringinuse("SIP/alice", False)
        assert kinds(seen, qe.MemberRingInUseChanged) == ["MemberRingInUseChanged"]

    run(scenario, queues)


def test_queue_cli_commands() -> None:
    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        cli = pbx.cli
        lines = cli.run("queue show support").lines
        assert lines[0] == (
            "support has 0 calls (max unlimited) in 'ringall' strategy (0s holdtime, 0s "
            "talktime), W:0, C:0, A:0, SL:0.0%, SL2:0.0% within 0s"
        )
        assert lines[1:3] == [
            "   Members: ",
            "      Alice (Local/100@default) (ringinuse enabled) (Not in use) has taken no "
            "calls yet (login was 0 secs ago)",
        ]
        assert lines[-2:] == ["   No Callers", ""]
        assert cli.run("queue show nosuch").lines == ["No such queue: nosuch."]
        result = cli.run("queue add member SIP/eve to support penalty 3 as Eve")
        assert result.lines == ["Added interface 'SIP/eve' to queue 'support'"]
        assert "Eve (SIP/eve) with penalty 3 (ringinuse enabled) (dynamic)" in "\n".join(
            cli.run("queue show support").lines
        )
        assert not cli.run("queue add member SIP/eve to support").ok
        assert cli.run("queue add member SIP/eve to nosuch").lines == [
            "Unable to add interface to queue 'nosuch': No such queue"
        ]
        assert cli.run("queue pause member SIP/eve queue support reason tea").lines == [
            "paused interface 'SIP/eve' in queue 'support' for reason 'tea'"
        ]
        assert "(paused:tea was 0 secs ago)" in "\n".join(cli.run("queue show support").lines)
        assert cli.run("queue unpause member SIP/eve").lines == ["unpaused interface 'SIP/eve'"]
        assert cli.run("queue pause member SIP/zed").lines == [
            "Unable to pause interface 'SIP/zed'"
        ]
        assert cli.run("queue remove member SIP/eve from support").lines == [
            "Removed interface SIP/eve from queue 'support'"
        ]
        assert cli.run("queue remove member SIP/eve from support").lines == [
            "Unable to remove interface 'SIP/eve' from queue 'support': Not there"
        ]
        assert not cli.run("queue add member SIP/x").ok  # usage
        call(pbx, "ringer")
        await clock.advance(65)
        shown = cli.run("queue show ringer").lines
        assert shown[-3:] == [
            "   Callers: ",
            "      1. Test/caller-00000001 (wait: 1:05, prio: 0)",
            "",
        ]

    run(scenario)


def test_a_member_who_hangs_up_at_once_is_dumped(tmp_path: Path) -> None:
    extra = "[dumpq]\nmember => Local/dump@default,0,Quitter\n"

    async def scenario(pbx: PBX, system: QueueSystem, clock: VirtualClock, seen: list) -> None:
        assert pbx.dialplan is not None
        pbx.dialplan.add_extension("default", "dump", 1, "Answer", "")
        pbx.dialplan.add_extension("default", "dump", 2, "Hangup", "")
        caller = call(pbx, "dumpq")
        await clock.advance(1)
        dumped = [e.member.name for e in seen if isinstance(e, qe.AgentDumped)]
        assert dumped and set(dumped) == {"Quitter"}
        assert not kinds(seen, qe.AgentConnected)
        queue = system.get("dumpq")
        assert queue is not None and queue.callers[0].channel is caller  # still waiting

    run(scenario, QUEUES + extra, log_dir=tmp_path)
    assert "|dumpq|Quitter|AGENTDUMP|" in (tmp_path / "queue_log").read_text()


def test_check_config_reports_queue_problems(tmp_path: Path) -> None:
    from pbxd.configuration import load_configuration

    (tmp_path / "queues.conf").write_text("[q]\nmember => bad\nmember => SIP/1\n")
    problems = load_configuration(tmp_path).problems
    assert [(p.line, p.severity) for p in problems if "no interface" in p.message] == [
        (2, "warning")
    ]
