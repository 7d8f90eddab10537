"""The CDR engine on the virtual clock: records, Master.csv rows, CDR() reads and writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from pbxd.config.conf import loads
from pbxd.pbx.cdr import Cdr, CdrEngine, CdrPosted, Settings, csv_row, format_time
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(60)

exten => 300,1,Busy(2)

exten => 400,1,Wait(30)

exten => 500,1,Set(CDR(userfield)=hello)
 same => n,Set(CDR(custom)=x)
 same => n,Dial(Local/100@default,10)
 same => n,Hangup()

exten => 600,1,Dial(Local/300@default,10)
 same => n,Hangup()

exten => 700,1,Dial(Local/400@default,5)
 same => n,Hangup()
"""
START = 1_700_000_000.0


def make(tmp_path: Path, **settings: bool) -> tuple[PBX, VirtualClock, CdrEngine, list[Cdr]]:
    clock = VirtualClock(START)
    pbx = PBX(clock)
    pbx.technologies["local"] = LocalTechnology(pbx)
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    engine = CdrEngine(pbx, tmp_path / "log", Settings(**settings))
    posted: list[Cdr] = []
    pbx.bus.subscribe(lambda e: posted.append(e.cdr) if isinstance(e, CdrPosted) else None)
    return pbx, clock, engine, posted


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


def rows(tmp_path: Path) -> list[str]:
    path = tmp_path / "log" / "cdr-csv" / "Master.csv"
    return path.read_text().splitlines() if path.exists() else []


def t(offset: float) -> str:
    return format_time(START + offset)


def test_answered_call_through_dial(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, _, posted = make(tmp_path)
        await originate(pbx, "Local/500@default", Target("Wait", "3"))
        await clock.advance(0.5)
        two = next(c for c in pbx.channels.values() if c.name.endswith(";2"))
        live = two.cdr  # type: ignore[attr-defined]
        assert (live["dst"], live["dcontext"], live["lastapp"]) == ("500", "default", "Dial")
        assert live["userfield"] == "hello" and live["custom"] == "x"
        assert live["dstchannel"].endswith(";1") and live["dstchannel"] != two.name
        await clock.advance(3)
        assert pbx.channels == {}
        by_channel = {cdr.channel: cdr for cdr in posted}
        assert len(posted) == 3  # ;1 of the originate, its ;2 (Dial), the callee's ;2
        dial = by_channel[two.name]
        assert (dial.lastapp, dial.lastdata) == ("Dial", "Local/100@default,10")
        assert (dial.disposition, dial.amaflags, dial.userfield) == ("ANSWERED", "DOCUMENTATION", "hello")
        assert (dial.start, dial.answer, dial.end) == (START, START, START + 3)
        assert (dial.duration, dial.billsec) == (3, 3)
        assert dial.dstchannel.startswith("Local/100@default-") and dial.dstchannel.endswith(";1")
        assert dial.dstchannel not in by_channel  # the dialed ;1 is Party B only
        originated = next(c for c in posted if c.channel.endswith(";1"))
        assert (originated.lastapp, originated.lastdata, originated.dst) == ("Wait", "3", "500")
        lines = rows(tmp_path)
        assert len(lines) == 3
        row = next(line for line in lines if f'"{two.name}"' in line)
        assert row == (
            f'"","","500","default","","{two.name}","{dial.dstchannel}","Dial",'
            f'"Local/100@default,10","{t(0)}","{t(0)}","{t(3)}",3,3,"ANSWERED",'
            f'"DOCUMENTATION","{two.uniqueid}","hello"'
        )

    run(scenario)


@pytest.mark.parametrize(
    ("exten", "disposition", "duration"),
    [("700", "NO ANSWER", 5), ("600", "BUSY", 2)],
)
def test_unanswered_dial(tmp_path: Path, exten: str, disposition: str, duration: int) -> None:
    async def scenario() -> None:
        pbx, clock, _, posted = make(tmp_path)
        task = asyncio.ensure_future(
            originate(pbx, f"Local/{exten}@default", Target("Wait", "1"), timeout=30)
        )
        await clock.advance(10)
        assert (await task).status != "ANSWER"
        assert pbx.channels == {}
        assert len(posted) == 1  # records with no Party B and no answer are not logged
        cdr = posted[0]
        assert cdr.channel.endswith(";2") and cdr.dstchannel.endswith(";1")
        assert (cdr.disposition, cdr.answer, cdr.billsec, cdr.duration) == (
            disposition,
            None,
            0,
            duration,
        )
        (row,) = rows(tmp_path)
        assert f',"{t(0)}",,"{t(duration)}",{duration},0,"{disposition}",' in row

    run(scenario)


def test_unanswered_yes_logs_every_record(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, _, posted = make(tmp_path, unanswered=True)
        task = asyncio.ensure_future(
            originate(pbx, "Local/600@default", Target("Wait", "1"), timeout=30)
        )
        await clock.advance(10)
        await task
        dispositions = sorted(c.disposition for c in posted)
        assert "BUSY" in dispositions and len(posted) >= 3

    run(scenario)


def test_csv_quoting_and_columns() -> None:
    cdr = Cdr(
        accountcode="acct",
        src="100",
        dst="200",
        dcontext="ctx",
        clid='"Al "The" Pal" <100>',
        channel="Local/a",
        dstchannel="",
        lastapp="Dial",
        lastdata="a,b",
        start=START,
        answer=None,
        end=START + 1,
        duration=1,
        billsec=0,
        disposition="NO ANSWER",
        amaflags="DOCUMENTATION",
        uniqueid="1.1",
        linkedid="1.1",
        userfield="",
    )
    row = csv_row(cdr, Settings(loguniqueid=False, loguserfield=False))
    assert row == (
        '"acct","100","200","ctx","""Al ""The"" Pal"" <100>","Local/a","","Dial","a,b",'
        f'"{t(0)}",,"{t(1)}",1,0,"NO ANSWER","DOCUMENTATION"\n'
    )


def test_account_file_and_unwritable_log_dir(tmp_path: Path) -> None:
    async def scenario() -> None:
        blocker = tmp_path / "file"
        blocker.write_text("x")
        clock = VirtualClock(START)
        pbx = PBX(clock)
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        broken = CdrEngine(pbx, blocker)  # cannot write: logged, the call goes on
        good = CdrEngine(pbx, tmp_path / "log")
        await originate(pbx, "Local/100@default", Target("Wait", "1"), account="acme")
        await clock.advance(2)
        assert pbx.channels == {}
        assert broken.posted and good.posted
        (line,) = (tmp_path / "log" / "cdr-csv" / "acme.csv").read_text().splitlines()
        assert line.startswith('"acme",')  # the ;1 only: the account was set on it

    run(scenario)
