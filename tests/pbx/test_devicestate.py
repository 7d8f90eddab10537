"""Device states and hints: Asterisk's aggregation, Local devices through a call, Custom:
devices kept in the ASTdb, ExtensionStateChanged events and the CLI commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbxd.config.conf import loads
from pbxd.pbx import devicestate as ds
from pbxd.pbx import hints
from pbxd.pbx.astdb import AstDB
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import PRIORITY_HINT, Dialplan
from pbxd.pbx.events import DeviceStateChanged
from pbxd.pbx.hints import ExtensionStateChanged
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(30)
exten => 300,hint,Custom:foo&Custom:bar
exten => 300,1,NoOp()
exten => 301,hint,Local/100@default
exten => 302,hint,Custom:foo
"""


@pytest.fixture
def pbx(tmp_path: Path) -> PBX:
    pbx = PBX(VirtualClock())
    pbx.technologies["local"] = LocalTechnology(pbx)
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    pbx.astdb = AstDB(tmp_path / "astdb.sqlite3")
    pbx.devices.load_custom()
    yield pbx
    pbx.astdb.close()


def recorder(pbx: PBX) -> list[object]:
    seen: list[object] = []
    pbx.bus.subscribe(seen.append, (DeviceStateChanged, ExtensionStateChanged))
    return seen


@pytest.mark.parametrize(
    ("states", "result"),
    [
        ([], "INVALID"),
        (["NOT_INUSE"], "NOT_INUSE"),
        (["UNKNOWN", "INVALID"], "UNKNOWN"),
        (["UNAVAILABLE", "NOT_INUSE"], "NOT_INUSE"),
        (["NOT_INUSE", "INUSE"], "INUSE"),
        (["INUSE", "BUSY"], "BUSY"),
        (["RINGING", "NOT_INUSE"], "RINGING"),
        (["RINGING", "INUSE"], "RINGINUSE"),
        (["ONHOLD", "RINGING"], "RINGINUSE"),
        (["BUSY", "RINGING"], "RINGINUSE"),
        (["ONHOLD", "NOT_INUSE"], "ONHOLD"),
        (["ONHOLD", "INUSE"], "INUSE"),
    ],
)
def test_aggregate_as_asterisk(states: list[str], result: str) -> None:
    assert ds.aggregate(states) == result


@pytest.mark.parametrize(
    ("device", "status", "text"),
    [
        ("NOT_INUSE", 0, "Idle"),
        ("UNKNOWN", 0, "Idle"),
        ("INUSE", 1, "InUse"),
        ("BUSY", 2, "Busy"),
        ("UNAVAILABLE", 4, "Unavailable"),
        ("INVALID", 4, "Unavailable"),
        ("RINGING", 8, "Ringing"),
        ("RINGINUSE", 9, "InUse&Ringing"),
        ("ONHOLD", 16, "Hold"),
    ],
)
def test_extension_states(pbx: PBX, device: str, status: int, text: str) -> None:
    pbx.devices.hints.aggregate = lambda devices: device
    assert pbx.devices.hints.state("default", "302") == ("Custom:foo", status)
    assert hints.status_text(status) == text


def test_status_texts_of_the_rest() -> None:
    assert hints.status_text(17) == "InUse&Hold"
    assert hints.status_text(-1) == "Unknown"
    assert hints.status_text(-2) == "Unknown"


def test_parse_state_and_devices() -> None:
    assert ds.parse_state(" inuse ") == "INUSE"
    assert ds.parse_state("UNKNOWN") == "UNKNOWN"
    assert ds.parse_state("nonsense") == "UNKNOWN"
    assert ds.channel_device("Local/100@default-0000000d;1") == "Local/100@default"
    assert ds.channel_device("SIP/alice-00000001") == "SIP/alice"
    assert ds.normalise("custom:x") == "Custom:x"


def test_states_of_devices_nobody_set(pbx: PBX) -> None:
    assert pbx.device_state("Custom:never") == "UNKNOWN"
    assert pbx.device_state("SIP/alice") == "INVALID"  # no such technology
    assert pbx.device_state("Queue:support") == "INVALID"  # no provider, nothing cached
    assert pbx.device_state("nonsense") == "INVALID"
    assert pbx.device_state("Local/100@default") == "NOT_INUSE"
    assert pbx.device_state("Local/999@default") == "INVALID"  # no such extension


def test_custom_states_change_hints_and_persist(pbx: PBX, tmp_path: Path) -> None:
    seen = recorder(pbx)
    pbx.set_custom_device_state("Custom:foo", "inuse")
    pbx.set_custom_device_state("custom:foo", "INUSE")  # cached and unchanged: no events
    pbx.set_custom_device_state("Custom:bar", "RINGING")
    assert seen == [
        ExtensionStateChanged("default", "300", "Custom:foo&Custom:bar", 1),
        ExtensionStateChanged("default", "302", "Custom:foo", 1),
        DeviceStateChanged("Custom:foo", "INUSE"),
        ExtensionStateChanged("default", "300", "Custom:foo&Custom:bar", 9),
        DeviceStateChanged("Custom:bar", "RINGING"),
    ]
    assert pbx.astdb.get("CustomDevstate", "foo") == "INUSE"  # the value as last given
    assert pbx.extension_state("300", "default") == "RINGINUSE"
    # a restart: the states come back from the ASTdb
    again = PBX(VirtualClock())
    again.dialplan = pbx.dialplan
    again.astdb = pbx.astdb
    again.devices.load_custom()
    assert again.devices.cache == {"Custom:bar": "RINGING", "Custom:foo": "INUSE"}
    assert again.devices.hints.listing()[0] == ("default", "300", "Custom:foo&Custom:bar", 9)


def test_local_device_follows_its_call(pbx: PBX) -> None:
    seen = recorder(pbx)

    async def call() -> None:
        await originate(pbx, "Local/100@default", Target("Wait", "5"))
        assert pbx.device_state("Local/100@default") == "INUSE"
        await pbx.clock.advance(6)  # type: ignore[attr-defined]

    asyncio.run(asyncio.wait_for(call(), 10))
    states = [(type(e).__name__, getattr(e, "state", getattr(e, "status", None))) for e in seen]
    assert states == [
        ("ExtensionStateChanged", 1),  # hint 301 watches Local/100@default
        ("DeviceStateChanged", "INUSE"),  # ;2 answered
        ("DeviceStateChanged", "INUSE"),  # ;1 up: uncached devices repeat
        ("ExtensionStateChanged", 0),
        ("DeviceStateChanged", "NOT_INUSE"),  # each half going away
        ("DeviceStateChanged", "NOT_INUSE"),
    ]
    assert pbx.devices.cache == {}  # Local devices are not cached (DeviceStateList)
    assert pbx.device_state("Local/100@default") == "NOT_INUSE"


def test_hint_removed_and_added(pbx: PBX) -> None:
    assert [h[1] for h in pbx.devices.hints.listing()] == ["300", "301", "302"]
    seen = recorder(pbx)
    pbx.dialplan.remove_extension("default", "302")
    pbx.dialplan.remove_extension("default", "300", PRIORITY_HINT)
    pbx.dialplan.add_extension("default", "303", "hint", "Custom:baz")
    pbx.set_custom_device_state("Custom:baz", "BUSY")
    assert seen == [
        ExtensionStateChanged("default", "300", "", -1),  # the hint went, the extension stays
        ExtensionStateChanged("default", "302", "", -2),  # the extension went
        ExtensionStateChanged("default", "303", "Custom:baz", 2),
        DeviceStateChanged("Custom:baz", "BUSY"),
    ]


def test_cli(pbx: PBX) -> None:
    assert pbx.cli.run("devstate change Custom:foo ONHOLD").lines == ["Changing foo to ONHOLD"]
    refused = pbx.cli.run("devstate change SIP/alice INUSE")
    assert refused.lines == ["The devstate command can only be used to set 'Custom:' device state!"]
    assert (
        pbx.cli.run("devstate change Custom:foo WHATEVER")
        .lines[0]
        .startswith("Usage: devstate change <device> <state>")
    )
    assert pbx.cli.run("devstate list").lines == [
        "",
        "-" * 69,
        "--- Custom Device States --------------------------------------------",
        "-" * 69,
        "---",
        "--- Name: 'Custom:foo'  State: 'ONHOLD'",
        "---",
        "-" * 69,
        "-" * 69,
        "",
    ]
    shown = pbx.cli.run("core show hints").lines
    assert shown[:2] == ["", "    -= Registered Asterisk Dial Plan Hints =-"]
    assert shown[2] == (
        f"{'300@default':<30}: {'Custom:foo&Custom:bar':<60}  State:{'Hold':<15} "
        f"Presence:{'not_set':<15} Watchers  0"
    )
    assert shown[-2:] == ["----------------", "- 3 hints registered"]
    empty = PBX()
    assert empty.cli.run("core show hints").lines == ["There are no registered dialplan hints"]


@given(st.lists(st.sampled_from(ds.STATES), max_size=6))
def test_aggregate_properties(states: list[str]) -> None:
    result = ds.aggregate(states)
    ringing = "RINGING" in states
    in_use = any(state in ("INUSE", "BUSY", "ONHOLD") for state in states)
    if ringing and in_use or "RINGINUSE" in states:
        assert result == "RINGINUSE"
    else:
        assert result == (max(states, key=ds._RANK.__getitem__) if states else "INVALID")
    assert ds.aggregate([*states, "INVALID"]) == result or not states


def test_core_show_hint(pbx: PBX) -> None:
    lines = pbx.cli.run("core show hint 30").lines
    assert [line[:12] for line in lines[:3]] == ["300@default ", "301@default ", "302@default "]
    assert lines[-1] == "3 hints matching extension 30"
    assert pbx.cli.run("core show hint 301").lines[-1] == "1 hint matching extension 301"
    assert pbx.cli.run("core show hint 9").lines == ["No hints matching extension 9"]
    assert pbx.cli.run("core show hint").lines[0] == "Usage: core show hint <exten>"
