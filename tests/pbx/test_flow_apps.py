"""Gosub/GosubIf/Return/StackPop, GotoIfTime and ExecIf on the virtual clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.applications import flow
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import run_dialplan

EXTENSIONS = """
[default]
exten => call,1,Set(ARG1=outer)
 same => n,Gosub(sub,s,1(a,b c))
 same => n,Set(AFTER=${GOSUB_RETVAL}|${ARG1}|${ARGC})
 same => n,Gosub(nested,1)
 same => n,Set(NESTED=${GOSUB_RETVAL})
 same => n,GosubIf($[1 = 2]?sub,s,1(x):sub,s,1(y,z))
 same => n,Set(IFRET=${GOSUB_RETVAL})
 same => n,Wait(100)

exten => nested,1,Gosub(sub,s,1(inner))
 same => n,Return(${GOSUB_RETVAL}+${ARG1}+${ARGC})

exten => mask,1,Gosub(masker,1(a,b))
 same => n,Wait(100)
exten => masker,1,Gosub(sub,s,1(only))
 same => n,Set(BACK=${ARG1}/${ARG2}/${ARGC})
 same => n,Return()

exten => badret,1,Return()
exten => badsub,1,Gosub(nowhere,s,1)
 same => n,Set(NOTREACHED=1)
exten => loop,1,Gosub(loop,1)

exten => timed,1,GotoIfTime(09:00-17:00,mon-fri,*,*,UTC?open,1:closed,1)
exten => open,1,Set(WHERE=open)
 same => n,Wait(100)
exten => closed,1,Set(WHERE=closed)
 same => n,Wait(100)

exten => pop,1,Gosub(popper,1)
 same => n,Set(POPPED=no)
exten => popper,1,StackPop()
 same => n,Set(POPPED=yes)
 same => n,Wait(100)

exten => execif,1,ExecIf($[1 = 1]?Set(T=yes):Set(F=yes))
 same => n,ExecIf(0?Set(T2=yes):Set(F2=yes))
 same => n,ExecIf(1?NoSuchApp(x))
 same => n,Set(NOTREACHED=1)

[sub]
exten => s,1,Set(SEEN=${ARG1}/${ARG2}/${ARGC})
 same => n,Return(got-${ARG1})
"""

Scenario = Callable[[PBX, VirtualClock, list[object]], Awaitable[None]]


def run(scenario: Scenario) -> None:
    async def main() -> None:
        clock = VirtualClock(datetime(2024, 5, 6, 10, 0, tzinfo=UTC).timestamp())  # a Monday
        pbx = PBX(clock)
        dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        assert not [p for p in dialplan.problems if p.severity == "error"]
        pbx.dialplan = dialplan
        seen: list[object] = []
        pbx.bus.subscribe(seen.append)
        await scenario(pbx, clock, seen)

    asyncio.run(asyncio.wait_for(main(), 10))


def start(pbx: PBX, exten: str, context: str = "default") -> Channel:
    channel = Channel(pbx, f"Test/{exten}-00000001", "Test", context=context, exten=exten,
                      state=ChannelState.UP)  # fmt: skip
    pbx.add_channel(channel)
    asyncio.ensure_future(run_dialplan(channel))
    return channel


def test_gosub_arguments_are_local_and_return_sets_retval() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        channel = start(pbx, "call")
        await clock.advance(0.1)
        assert channel.get_variable("SEEN") in ("y/z/2",)
        assert channel.get_variable("AFTER") == "got-a|outer|"
        # nested,1 had no arguments and no frame below it: ARG1 is the channel's own again
        assert channel.get_variable("NESTED") == "got-inner+outer+0"
        assert channel.get_variable("IFRET") == "got-y"
        assert flow.gosub_stack(channel) == []
        assert channel.get_variable("ARG1") == "outer" and channel.get_variable("ARGC") is None
        local = [e.variable for e in seen if isinstance(e, ev.VarSet) and "LOCAL" in e.variable]
        assert local[:3] == ["LOCAL(ARG1)", "LOCAL(ARG2)", "LOCAL(ARGC)"]
        retvals = [e.value for e in seen if isinstance(e, ev.VarSet) and e.variable == "GOSUB_RETVAL"]
        assert retvals == ["got-a", "got-inner", "got-inner+outer+0", "got-y"]
        channel.request_hangup()
        await clock.advance(1)
        assert pbx.channels == {}

    run(scenario)


def test_nested_gosub_masks_outer_arguments() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        channel = start(pbx, "mask")
        await clock.advance(0.1)
        assert channel.get_variable("SEEN") == "only//1"  # ARG2 of the caller's frame is masked
        assert channel.get_variable("BACK") == "a/b/2"  # and visible again after Return
        assert channel.get_variable("ARG1") is None and flow.gosub_stack(channel) == []
        channel.request_hangup()
        await clock.advance(1)

    run(scenario)


@pytest.mark.parametrize(
    ("exten", "message"),
    [
        ("badret", "Return without Gosub: stack is unallocated"),
        ("badsub", "Gosub attempted to reach non-existent destination 'nowhere,s,1' from "
                   "'default,badsub,1'"),
    ],
)  # fmt: skip
def test_errors_hang_up(exten: str, message: str, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        with caplog.at_level(logging.ERROR, "pbxd.dialplan"):
            channel = start(pbx, exten)
            await clock.advance(0.1)
        assert message in caplog.text
        assert channel.gone and channel.get_variable("NOTREACHED") is None

    run(scenario)


def test_runaway_recursion_is_stopped(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flow, "MAX_DEPTH", 50)

    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        with caplog.at_level(logging.ERROR, "pbxd.dialplan"):
            channel = start(pbx, "loop")
            await clock.advance(0.1)
        assert "Gosub stack depth limit of 50 reached" in caplog.text
        assert channel.gone and len(flow.gosub_stack(channel) or []) == 50

    run(scenario)


def test_stackpop_discards_the_return_address() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        channel = start(pbx, "pop")
        await clock.advance(0.1)
        assert channel.get_variable("POPPED") == "yes" and flow.gosub_stack(channel) == []
        channel.request_hangup()
        await clock.advance(1)

    run(scenario)


@pytest.mark.parametrize(
    ("when", "where"),
    [
        (datetime(2024, 5, 6, 10, 0), "open"),  # Monday 10:00
        (datetime(2024, 5, 6, 17, 0), "open"),  # the end minute is inclusive
        (datetime(2024, 5, 6, 17, 1), "closed"),
        (datetime(2024, 5, 5, 10, 0), "closed"),  # Sunday
        (datetime(2024, 5, 6, 8, 59), "closed"),
    ],
)
def test_goto_if_time(when: datetime, where: str) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        clock.now = when.replace(tzinfo=UTC).timestamp()
        channel = start(pbx, "timed")
        await clock.advance(0.1)
        assert channel.get_variable("WHERE") == where
        channel.request_hangup()
        await clock.advance(1)

    run(scenario)


@pytest.mark.parametrize(
    ("spec", "when", "expected"),
    [
        ("*,*,*,*", datetime(2024, 1, 1, 0, 0), True),
        ("22:00-06:00,*,*,*", datetime(2024, 1, 1, 23, 30), True),  # wraps at midnight
        ("22:00-06:00,*,*,*", datetime(2024, 1, 1, 12, 0), False),
        ("*,fri-mon,*,*", datetime(2024, 5, 5, 12, 0), True),  # Sunday, in a cyclic range
        ("*,*,25,dec", datetime(2024, 12, 25, 12, 0), True),
        ("*,*,1-15,*", datetime(2024, 12, 25, 12, 0), False),
        ("*,*,*,nov-feb", datetime(2024, 1, 25, 12, 0), True),
        ("*,*,*,3&5", datetime(2024, 5, 25, 12, 0), True),
        ("12:00,*,*,*", datetime(2024, 5, 25, 12, 0), True),
    ],
)
def test_timing_spec(spec: str, when: datetime, expected: bool) -> None:
    assert flow.Timing.parse(spec + ",UTC").matches(when.replace(tzinfo=UTC).timestamp()) is expected


def test_timing_timezone() -> None:
    timing = flow.Timing.parse("09:00-09:59,*,*,*,Europe/Paris")
    assert timing.timezone == "Europe/Paris"
    assert timing.matches(datetime(2024, 5, 25, 7, 30, tzinfo=UTC).timestamp())  # 09:30 CEST
    assert not timing.matches(datetime(2024, 5, 25, 9, 30, tzinfo=UTC).timestamp())


def test_exec_if(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        with caplog.at_level(logging.WARNING, "pbxd.dialplan"):
            channel = start(pbx, "execif")
            await clock.advance(0.1)
        assert channel.get_variable("T") == "yes" and channel.get_variable("F") is None
        assert channel.get_variable("F2") == "yes" and channel.get_variable("T2") is None
        assert "Could not find application! (NoSuchApp)" in caplog.text
        assert channel.gone and channel.get_variable("NOTREACHED") is None

    run(scenario)


# -- System and TrySystem (pbxd.pbx.applications.system) --------------------------------


async def _status(channel: Channel) -> str | None:
    for _ in range(500):  # the subprocess runs in real time
        value = channel.get_variable("SYSTEMSTATUS")
        if value is not None:
            return value
        await asyncio.sleep(0.01)
    return None


@pytest.mark.parametrize(
    ("app", "command", "allowed", "status", "hangs_up"),
    [
        ("System", "exit 0", True, "SUCCESS", False),
        ("System", "exit 3", True, "APPERROR", False),
        ("System", "pbxd-no-such-command-here", True, "FAILURE", True),
        ("TrySystem", "pbxd-no-such-command-here", True, "FAILURE", False),
        ("System", "touch {marker}", False, "FAILURE", True),
        ("TrySystem", "touch {marker}", False, "APPERROR", False),
    ],
)
def test_system(
    app: str, command: str, allowed: bool, status: str, hangs_up: bool, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"

    async def scenario(pbx: PBX, clock: VirtualClock, seen: list[object]) -> None:
        pbx.allow_system = allowed  # type: ignore[attr-defined]
        pbx.dialplan.add_extension(  # type: ignore[union-attr]
            "default", "sys", 1, app, command.format(marker=marker)
        )
        pbx.dialplan.add_extension("default", "sys", 2, "Wait", "100")  # type: ignore[union-attr]
        channel = start(pbx, "sys")
        assert await _status(channel) == status
        await clock.advance(0.1)
        assert channel.gone is hangs_up
        assert marker.exists() is False
        pbx.hangup_all()
        await clock.advance(1)

    run(scenario)


def test_system_is_off_by_default_and_times_out(tmp_path: Path) -> None:
    from pbxd.pbx.applications import system

    assert getattr(PBX(VirtualClock()), "allow_system", False) is False
    assert system.decode(r"a\tb\\c") == "a\tb\\c"

    async def slow() -> None:
        assert await system.run_command("sleep 5", 0.2) == "APPERROR"
        assert await system.run_command(f"touch {tmp_path / 'x'}", 5) == "SUCCESS"

    asyncio.run(slow())
    assert (tmp_path / "x").exists()
