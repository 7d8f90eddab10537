"""Calls through the PBX core on the virtual clock: Local channels, the dialplan, originate."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.channel import ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[globals]
COLOUR=blue

[default]
exten => 100,1,Answer()
 same => n,Wait(30)
 same => n,Hangup()

exten => 200,1,Answer()
 same => n,Set(X=${COLOUR})
 same => n,Set(_INHERITED=yes)
 same => n,GotoIf($[${X} = blue]?ok:bad)
 same => n(bad),Hangup(21)
 same => n(ok),Wait(5)
 same => n,Hangup()

exten => 300,1,Busy(2)

exten => 400,1,Goto(queues,500,1)

exten => 700,1,Dial(Local/100@default&Local/300@default,10)
 same => n,Hangup()

exten => 710,1,Answer()
 same => n,Dial(Local/300@default,10,g)
 same => n,Set(AFTER=${DIALSTATUS})
 same => n,Wait(100)

exten => 720,1,Dial(Local/100@default,10,S(2))

[queues]
exten => 500,1,Answer()
 same => n,UserEvent(Reached,Where: queues)
 same => n,Wait(1)
"""


def make_pbx() -> tuple[PBX, VirtualClock, list[object]]:
    clock = VirtualClock()
    pbx = PBX(clock)
    pbx.technologies["local"] = LocalTechnology(pbx)
    dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    assert not [p for p in dialplan.problems if p.severity == "error"]
    pbx.dialplan = dialplan
    pbx.globals.update(dialplan.globals)
    seen: list[object] = []
    pbx.bus.subscribe(seen.append)
    return pbx, clock, seen


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


def names(seen: list[object], kind: type) -> list[str]:
    return [e.channel.name for e in seen if isinstance(e, kind)]  # type: ignore[attr-defined]


def test_originate_application_on_local_channel() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        outcome = await originate(pbx, "Local/100@default", Target("Wait", "5"))
        assert (outcome.status, outcome.reason) == ("ANSWER", 4)
        one, two = sorted(pbx.channels)
        assert one.endswith(";1") and two.endswith(";2")
        assert pbx.channels[one].state == pbx.channels[two].state == ChannelState.UP
        assert pbx.channels[two].linkedid == pbx.channels[one].uniqueid
        kinds = [type(e).__name__ for e in seen]
        assert kinds[:3] == ["NewChannel", "NewChannel", "LocalBridge"] or "LocalBridge" in kinds
        await clock.advance(4.9)
        assert len(pbx.channels) == 2
        await clock.advance(0.2)  # Wait(5) on ;1 ends: both halves hang up
        assert pbx.channels == {}
        assert sorted(names(seen, ev.HungUp)) == [one, two]

    run(scenario)


def test_dialplan_variables_goto_and_inheritance() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        outcome = await originate(pbx, "Local/200@default", Target("Wait", "60"))
        assert outcome.status == "ANSWER"
        await clock.advance(0.1)
        two = next(c for c in pbx.channels.values() if c.name.endswith(";2"))
        assert two.get_variable("X") == "blue"
        assert two.priority == 6  # jumped to (ok) past (bad)
        await clock.advance(5)
        assert pbx.channels == {}
        hangups = [e for e in seen if isinstance(e, ev.HungUp)]
        assert all(e.cause != 21 for e in hangups)

    run(scenario)


def test_busy_destination() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        task = asyncio.ensure_future(
            originate(pbx, "Local/300@default", Target("Wait", "1"), timeout=10)
        )
        await clock.advance(3)
        outcome = await task
        assert outcome.status in ("BUSY", "NOANSWER")
        assert pbx.channels == {}

    run(scenario)


def test_goto_other_context_and_user_event() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/400@default", Target("Wait", "10"))
        await clock.advance(0.1)
        raised = [e for e in seen if isinstance(e, ev.UserEventRaised)]
        assert [(e.name, e.fields) for e in raised] == [("Reached", (("Where", "queues"),))]
        await clock.advance(2)
        assert pbx.channels == {}

    run(scenario)


def test_unknown_technology_and_extension() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        outcome = await originate(pbx, "Nope/123", Target("Wait", "1"))
        assert (outcome.status, outcome.reason, outcome.channel) == ("CHANUNAVAIL", 0, None)
        task = asyncio.ensure_future(
            originate(pbx, "Local/999@default", Target("Wait", "1"), timeout=5)
        )
        await clock.advance(6)
        outcome = await task
        assert outcome.status != "ANSWER"
        assert pbx.channels == {}

    run(scenario)


def test_dial_bridges_the_first_answer_and_cancels_the_rest() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/700@default", Target("Wait", "60"))
        await clock.advance(0.1)
        bridges = list(pbx.bridges.values())
        assert len(bridges) == 1 and len(bridges[0].channels) == 2
        caller = next(
            c
            for c in pbx.channels.values()
            if c.name.startswith("Local/700") and c.name.endswith(";2")
        )
        ends = [e for e in seen if isinstance(e, ev.DialEnd) and e.caller is not None]
        assert sorted(e.status for e in ends) == ["ANSWER", "CANCEL"]
        assert (
            caller.get_variable(
                "DIALEDPEERNAME",
            )
            and caller.bridge_id == bridges[0].uniqueid
        )
        kinds = [type(e).__name__ for e in seen]
        assert kinds.count("BridgeCreated") == 1 and kinds.count("BridgeEntered") == 2
        await clock.advance(31)  # Wait(30) at 100 ends: the callee hangs up, so does the caller
        assert pbx.channels == {} and pbx.bridges == {}
        assert [type(e).__name__ for e in seen].count("BridgeDestroyed") == 1

    run(scenario)


def test_dial_status_busy_and_going_on() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/710@default", Target("Wait", "200"))
        await clock.advance(3)
        caller = next(
            c
            for c in pbx.channels.values()
            if c.name.startswith("Local/710") and c.name.endswith(";2")
        )
        assert caller.get_variable("DIALSTATUS") in ("BUSY", "NOANSWER")
        assert caller.get_variable("AFTER") == caller.get_variable("DIALSTATUS")
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {}

    run(scenario)


def test_dial_time_limit() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/720@default", Target("Wait", "60"))
        await clock.advance(1)
        assert len(pbx.bridges) == 1
        await clock.advance(1.5)
        assert pbx.bridges == {} and pbx.channels == {}

    run(scenario)


def test_h_extension_runs_after_hangup() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        pbx.dialplan.add_extension("default", "h", 1, "Set", "GLOBAL(HDONE)=${EXTEN}")  # type: ignore[union-attr]
        pbx.dialplan.add_extension("default", "h", 2, "Wait", "100")  # type: ignore[union-attr]
        await originate(pbx, "Local/100@default", Target("Wait", "1"))
        await clock.advance(1.5)
        assert pbx.globals.get("HDONE") == "h"
        assert pbx.channels == {}

    run(scenario)


def test_originate_assigns_channel_ids() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        outcome = await originate(pbx, "Local/100@default", Target("Wait", "5"), channel_id="abc")
        assert outcome.status == "ANSWER"
        one, two = (pbx.channels[n] for n in sorted(pbx.channels))
        assert (one.uniqueid, two.uniqueid) == ("abc", "abc;2")
        assert one.linkedid == two.linkedid == "abc"
        again = await originate(pbx, "Local/100@default", Target("Wait", "5"), channel_id="abc")
        assert again.status == "CHANUNAVAIL" and len(pbx.channels) == 2  # the id is taken
        other = await originate(
            pbx, "Local/100@default", Target("Wait", "5"), channel_id="x", other_channel_id="y"
        )
        assert other.status == "ANSWER" and pbx.find_channel("y") is not None
        later = await originate(pbx, "Local/100@default", Target("Wait", "5"))
        assert later.channel is not None and later.channel.uniqueid not in ("abc", "x", "y")
        await clock.advance(6)
        assert pbx.channels == {}

    run(scenario)


def test_answer_can_wait_for_media_as_asterisk_does() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        pbx.answer_media_wait = 0.5
        outcome = await originate(pbx, "Local/100@default", Target("Wait", "5"))
        assert outcome.status == "ANSWER"  # the caller's side knows at once ...
        two = next(c for c in pbx.channels.values() if c.name.endswith(";2"))
        await clock.advance(0.4)
        assert two.application == "Answer"  # ... while the answered side waits for media
        await clock.advance(0.2)
        assert two.application == "Wait"
        kinds = [type(e).__name__ for e in seen]
        assert kinds.index("DialEnd") < len(kinds) - 1 - kinds[::-1].index("NewExten")
        await clock.advance(6)
        assert pbx.channels == {}

    run(scenario)
