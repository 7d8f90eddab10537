"""Hints and device states through a real Manager: ExtensionStatus and DeviceStateChange
events as a call comes and goes, the list actions, and the classic (AMI 1.0) forms."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pbxd.manager.actions  # noqa: F401  (registers the actions)
from pbxd.config.conf import loads
from pbxd.configuration import load_configuration
from pbxd.manager.server import Manager
from pbxd.pbx.astdb import AstDB
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.protocol import Message
from pbxd.techs.local import LocalTechnology

from .test_session import REFERENCE, Client, settle

EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(60)
exten => 300,hint,Local/100@default&Custom:lamp
"""


async def world(tmp_path: Path, classic: bool = False) -> tuple[PBX, Client]:
    pbx = PBX(VirtualClock(1_700_000_000.0))
    pbx.technologies["local"] = LocalTechnology(pbx)
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    pbx.astdb = AstDB(tmp_path / "astdb.sqlite3")
    pbx.devices.load_custom()
    configuration = load_configuration(REFERENCE)
    configuration.manager.classic = classic
    manager = Manager(configuration.manager, pbx, asyncio.get_running_loop())
    client = Client(manager)
    client.read()
    await client.login(events="on")
    client.read()
    return pbx, client


def run(scenario: Callable[[Path], Awaitable[None]], tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(scenario(tmp_path), 10))


def events(messages: list[Message], *names: str) -> list[list[str]]:
    return [m.lines for m in messages if m.get("event") in names]


def test_a_call_lights_the_hint(tmp_path: Path) -> None:
    async def scenario(tmp_path: Path) -> None:
        pbx, client = await world(tmp_path)
        await originate(pbx, "Local/100@default", Target("Wait", "60"))
        await settle()
        seen = events(client.read(), "ExtensionStatus", "DeviceStateChange")
        assert seen == [
            [
                "Event: ExtensionStatus",
                "Privilege: call,all",
                "Exten: 300",
                "Context: default",
                "Hint: Local/100@default&Custom:lamp",
                "Status: 1",
                "StatusText: InUse",
            ],  # fmt: skip
            [
                "Event: DeviceStateChange",
                "Privilege: call,all",
                "Device: Local/100@default",
                "State: INUSE",
            ],  # fmt: skip
            [
                "Event: DeviceStateChange",
                "Privilege: call,all",
                "Device: Local/100@default",
                "State: INUSE",
            ],  # fmt: skip
        ]
        client.action("Setvar", ("Variable", "DEVICE_STATE(Custom:lamp)"), ("Value", "RINGING"))
        await settle()
        (status,) = [m for m in client.read() if m.get("event") == "ExtensionStatus"]
        assert (status.get("status"), status.get("statustext")) == ("9", "InUse&Ringing")
        pbx.hangup_all()
        await settle(20)
        after = [m for m in client.read() if m.get("event") == "ExtensionStatus"]
        assert [m.get("statustext") for m in after] == ["Ringing"]
        client.action("ExtensionStateList", ("ActionID", "l"))
        client.action("DeviceStateList", ("ActionID", "d"))
        await settle()
        answers = client.read()
        assert [m.get("event") or m.get("response") for m in answers] == [
            "Success", "ExtensionStatus", "ExtensionStateListComplete",
            "Success", "DeviceStateChange", "DeviceStateListComplete",
        ]  # fmt: skip
        assert answers[1].lines[1:] == [
            "ActionID: l", "Exten: 300", "Context: default",
            "Hint: Local/100@default&Custom:lamp", "Status: 8", "StatusText: Ringing",
        ]  # fmt: skip
        assert answers[4].lines[1:] == ["ActionID: d", "Device: Custom:lamp", "State: RINGING"]
        pbx.astdb.close()

    run(scenario, tmp_path)


def test_classic_forms(tmp_path: Path) -> None:
    async def scenario(tmp_path: Path) -> None:
        pbx, client = await world(tmp_path, classic=True)
        pbx.cli.run("devstate change Custom:lamp BUSY")
        await settle()
        (status,) = [m for m in client.read() if m.get("event") == "ExtensionStatus"]
        assert status.lines[2:] == ["Exten: 300", "Context: default", "Status: 2"]
        client.action("ExtensionState", ("Exten", "300"))
        pbx.astdb.put("fam", "key", "v")
        client.action("DBGet", ("Family", "fam"), ("Key", "key"), ("ActionID", "g"))
        await settle()
        state, ack, item = client.read()
        assert state.lines[-1] == "Status: 2"  # no StatusText in AMI 1.0
        assert ack.lines == ["Response: Success", "ActionID: g", "Message: Result will follow"]
        assert item.lines == [
            "Event: DBGetResponse", "Family: fam", "Key: key", "Val: v", "ActionID: g",
        ]  # fmt: skip
        pbx.astdb.close()

    run(scenario, tmp_path)


def test_hints_added_and_removed_over_ami(tmp_path: Path) -> None:
    async def scenario(tmp_path: Path) -> None:
        pbx, client = await world(tmp_path)
        added = (("Context", "default"), ("Extension", "400"), ("Priority", "hint"))
        client.action("DialplanExtensionAdd", *added, ("Application", "Local/100@default"))
        await settle()
        assert [m.get("response") for m in client.read()] == ["Success"]
        await originate(pbx, "Local/100@default", Target("Wait", "60"))  # the hint knew Idle
        await settle()
        statuses = [m for m in client.read() if m.get("event") == "ExtensionStatus"]
        assert [(m.get("exten"), m.get("status")) for m in statuses] == [("300", "1"), ("400", "1")]
        client.action("DialplanExtensionRemove", ("Context", "default"), ("Extension", "400"))
        await settle()
        answer, removed = client.read()
        assert answer.get("message") == "Removed the requested extension"
        assert removed.lines[2:] == [
            "Exten: 400", "Context: default", "Hint: ", "Status: -2", "StatusText: Unknown",
        ]  # fmt: skip
        pbx.astdb.close()

    run(scenario, tmp_path)
