"""A call center on the virtual clock, watched and driven by panoramisk: members added and
paused over AMI, callers queued by Originate, answered by Local-channel members, abandoned;
the statistics, the queue_log, persistent members across a restart, the error texts, and
the classic dialect's ``Queues`` listing."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import REFERENCE_CONF

from pbxd.pbx.clock import VirtualClock
from pbxd.testing import running_pbxd

REFERENCE = REFERENCE_CONF
TIMEOUT = 5.0
EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(30)
exten => 101,1,Answer()
 same => n,Wait(30)

[queues]
exten => 500,1,Answer()
 same => n,Queue(support)
 same => n,Hangup()
"""
QUEUES = """
[general]
persistentmembers = yes

[support]
strategy = rrmemory
timeout = 15
retry = 5
member => Local/100@default,0,Alice
member => Local/broken   ; no context: still a member, it just cannot be reached
bogus = 1
"""


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    if not REFERENCE.is_dir():
        pytest.skip("reference configuration not found")
    target = tmp_path / "conf"
    target.mkdir()
    shutil.copy(REFERENCE / "manager.conf", target / "manager.conf")
    (target / "extensions.conf").write_text(EXTENSIONS)
    (target / "queues.conf").write_text(QUEUES)
    return target


async def _manager(address: tuple[str, int], **config: Any) -> Any:
    from panoramisk import Manager

    manager = Manager(
        loop=asyncio.get_running_loop(), host=address[0], port=address[1], username="admin",
        secret="adminpass", ping_delay=3600, ping_interval=3600, reconnect_timeout=3600,
        **config,
    )  # fmt: skip
    await asyncio.wait_for(manager.connect(), TIMEOUT)
    for _ in range(500):
        if manager.authenticated:
            return manager
        await asyncio.sleep(0.01)
    raise AssertionError("panoramisk did not log in")


async def _advance(clock: VirtualClock, seconds: float) -> None:
    """Virtual time for the PBX, a little real time for the sockets."""
    await clock.advance(seconds)
    await asyncio.sleep(0.05)


async def _send(manager: Any, **headers: str) -> Any:
    # panoramisk takes "Added interface to queue" for the start of a list (as some old
    # Asterisk sent one); Asterisk 20 sends a plain answer, as pbxd does.
    as_list = False if headers["Action"] == "QueueAdd" else None
    return await asyncio.wait_for(manager.send_action(headers, as_list=as_list), TIMEOUT)


async def _call_center(conf_dir: Path, data_dir: Path) -> None:
    clock = VirtualClock()
    async with running_pbxd(conf_dir, data_dir, clock) as app:
        assert app.ami_address is not None
        manager = await _manager(app.ami_address)
        seen: list[Any] = []
        manager.register_event("*", lambda _manager, event: seen.append(event))

        def names() -> list[str]:
            return [e.event for e in seen if e.event.startswith(("Queue", "Agent"))]

        added = await _send(manager, Action="QueueAdd", Queue="support",
                            Interface="Local/101@default", MemberName="Bob", Penalty="1")  # fmt: skip
        assert added.message == "Added interface to queue"
        paused = await _send(manager, Action="QueuePause", Interface="Local/101@default",
                             Paused="true", Reason="coffee")  # fmt: skip
        assert paused.message == "Interface paused successfully"
        await _advance(clock, 0.1)
        pause_event = next(e for e in seen if e.event == "QueueMemberPause")
        assert (pause_event.membername, pause_event.paused) == ("Bob", "1")
        assert pause_event.pausedreason == "coffee" and pause_event.membership == "dynamic"

        originated = await _send(manager, Action="Originate", Channel="Local/500@queues",
                                 Application="Wait", Data="100", Async="yes")  # fmt: skip
        assert originated[0].message == "Originate successfully queued"
        await _advance(clock, 1)
        assert [n for n in names() if n.startswith(("QueueCaller", "Agent"))] == [
            "QueueCallerJoin", "AgentCalled", "QueueCallerLeave", "AgentConnect",
        ]  # fmt: skip
        connect = next(e for e in seen if e.event == "AgentConnect")
        assert (connect.queue, connect.membername, connect.interface) == (
            "support", "Alice", "Local/100@default",
        )  # fmt: skip
        assert connect.channel.startswith("Local/500@queues-")
        assert connect.destchannel.startswith("Local/100@default-")
        await _advance(clock, 31)  # Alice's Wait(30) ends the call
        complete = next(e for e in seen if e.event == "AgentComplete")
        assert (complete.talktime, complete.reason) == ("30", "agent")

        status = await _send(manager, Action="QueueStatus", Queue="support")
        assert isinstance(status, list) and status[0].message == "Queue status will follow"
        params = next(e for e in status if e.event == "QueueParams")
        assert (params.completed, params.talktime, params.abandoned) == ("1", "30", "0")
        assert params.strategy == "rrmemory"
        members = {e.name: e for e in status if e.event == "QueueMember"}
        assert set(members) == {"Alice", "Local/broken", "Bob"}
        assert members["Alice"].callstaken == "1" and members["Bob"].paused == "1"
        assert status[-1].event == "QueueStatusComplete" and status[-1].listitems == "4"
        only_bob = await _send(manager, Action="QueueStatus", Member="Bob")
        assert [e.event for e in only_bob[1:]] == ["QueueParams", "QueueMember",
                                                   "QueueStatusComplete"]  # fmt: skip

        await _send(manager, Action="QueuePause", Interface="Local/100@default", Paused="1")
        await _send(manager, Action="Originate", Channel="Local/500@queues",
                    Application="Wait", Data="100", Async="yes")  # fmt: skip
        await _advance(clock, 4)
        summary = await _send(manager, Action="QueueSummary")
        item = next(e for e in summary if e.event == "QueueSummary")
        # Local/broken has no extension: INVALID, so not available (Asterisk counts NOT_INUSE/UNKNOWN)
        assert (item.callers, item.available, item.longestholdtime) == ("1", "0", "4")
        await _send(manager, Action="Hangup", Channel="/^Local/500/")
        await _advance(clock, 1)
        abandon = next(e for e in seen if e.event == "QueueCallerAbandon")
        assert (abandon.position, abandon.originalposition, abandon.holdtime) == ("1", "1", "4")

        errors = [
            ({"Action": "QueueAdd", "Queue": "nosuch", "Interface": "SIP/x"},
             "Unable to add interface to queue: No such queue"),
            ({"Action": "QueueAdd", "Queue": "support", "Interface": "Local/101@default"},
             "Unable to add interface: Already there"),
            ({"Action": "QueueAdd", "Interface": "SIP/x"}, "'Queue' not specified."),
            ({"Action": "QueueRemove", "Queue": "support", "Interface": "SIP/x"},
             "Unable to remove interface: Not there"),
            ({"Action": "QueueRemove", "Queue": "support", "Interface": "Local/100@default"},
             "Member not dynamic"),
            ({"Action": "QueueRemove", "Queue": "support"},
             "Need 'Queue' and 'Interface' parameters."),
            ({"Action": "QueuePause", "Interface": "SIP/x", "Paused": "yes"},
             "Interface not found"),
            ({"Action": "QueuePenalty", "Interface": "SIP/x", "Penalty": "2"},
             "Invalid interface, queuename or penalty"),
            ({"Action": "QueueMemberRingInUse", "Interface": "Local/101@default",
              "RingInUse": "maybe"}, "Invalid interface, queuename, or ringinuse value"),
            ({"Action": "QueueLog", "Queue": "support"}, "Need 'Queue' and 'Event' parameters."),
            ({"Action": "QueueReload", "Queue": "nosuch"},
             "Error encountered while reloading queue"),
        ]  # fmt: skip
        for headers, text in errors:
            answer = await _send(manager, **headers)
            assert (answer.response, answer.message) == ("Error", text), headers
        for headers, text in [
            ({"Action": "QueuePenalty", "Interface": "Local/101@default", "Penalty": "3"},
             "Interface penalty set successfully"),
            ({"Action": "QueueMemberRingInUse", "Interface": "Local/101@default",
              "RingInUse": "no"}, "Interface ringinuse set successfully"),
            ({"Action": "QueueLog", "Queue": "support", "Event": "WENTONBREAK",
              "Interface": "Bob", "Message": "600"}, "Event added successfully"),
            ({"Action": "QueueReload"}, "Queue reloaded successfully"),
            ({"Action": "QueueReset", "Queue": "support"}, "Queue stats reset successfully"),
        ]:  # fmt: skip
            answer = await _send(manager, **headers)
            assert (answer.response, answer.message) == ("Success", text), headers
        await _advance(clock, 0.1)
        assert {"QueueMemberPenalty", "QueueMemberRingInUse"} <= set(names())
        after_reset = await _send(manager, Action="QueueStatus", Queue="support")
        assert next(e for e in after_reset if e.event == "QueueParams").completed == "0"
        shown = await asyncio.wait_for(manager.send_command("queue show support"), TIMEOUT)
        assert "Bob (Local/101@default) with penalty 3 (ringinuse disabled) (dynamic)" in str(
            shown.output
        )
        manager.close()
        log_dir = app.configuration.directories.astlogdir
    events = [line.split("|")[4] for line in (log_dir / "queue_log").read_text().splitlines()]
    assert events[:4] == ["QUEUESTART", "ADDMEMBER", "PAUSE", "ENTERQUEUE"]
    for expected in ("CONNECT", "COMPLETEAGENT", "ABANDON", "PENALTY", "WENTONBREAK"):
        assert expected in events


def test_call_center_through_panoramisk(conf_dir: Path, tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(_call_center(conf_dir, tmp_path / "data"), 60))


async def _restart(conf_dir: Path, data_dir: Path) -> None:
    async with running_pbxd(conf_dir, data_dir, VirtualClock()) as app:
        assert app.ami_address is not None
        manager = await _manager(app.ami_address, events="off")
        await _send(manager, Action="QueueAdd", Queue="support", Interface="SIP/carol",
                    MemberName="Carol", Paused="true", Reason="training")  # fmt: skip
        manager.close()
    async with running_pbxd(conf_dir, data_dir, VirtualClock()) as app:
        assert app.ami_address is not None
        manager = await _manager(app.ami_address, events="off")
        status = await _send(manager, Action="QueueStatus", Member="SIP/carol")
        carol = next(e for e in status if e.event == "QueueMember")
        assert (carol.name, carol.membership, carol.paused, carol.pausedreason) == (
            "Carol", "dynamic", "1", "training",
        )  # fmt: skip
        manager.close()


def test_dynamic_members_survive_a_restart(conf_dir: Path, tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(_restart(conf_dir, tmp_path / "data"), 30))


async def _classic_queues(conf_dir: Path, data_dir: Path) -> None:
    async with running_pbxd(conf_dir, data_dir, VirtualClock()) as app:
        assert app.ami_address is not None
        reader, writer = await asyncio.open_connection(*app.ami_address)
        assert await reader.readline() == b"Asterisk Call Manager/1.0\r\n"
        writer.write(b"Action: Login\r\nUsername: admin\r\nSecret: adminpass\r\n"
                     b"Events: off\r\n\r\nAction: Queues\r\n\r\n")  # fmt: skip
        await reader.readuntil(b"\r\n\r\n")  # the login answer
        text = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n\r\n"), TIMEOUT)
        lines = text.decode().split("\r\n")
        assert lines[0].startswith("support has 0 calls (max unlimited) in 'rrmemory' strategy")
        assert lines[1] == "   Members: "
        assert lines[2].startswith("      Alice (Local/100@default) (ringinuse enabled)")
        writer.close()


def test_queues_action_in_the_classic_dialect(conf_dir: Path, tmp_path: Path) -> None:
    manager_conf = conf_dir / "manager.conf"
    manager_conf.write_text(
        manager_conf.read_text().replace("[general]\n", "[general]\ndialect = classic\n", 1)
    )
    asyncio.run(asyncio.wait_for(_classic_queues(conf_dir, tmp_path / "data"), 30))
