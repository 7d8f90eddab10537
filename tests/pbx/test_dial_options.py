"""Dial's F() and G() options: where the parties go once the call is answered or over."""

from __future__ import annotations

import asyncio

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.channel import Channel
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => bob,1,Answer()
 same => n,Wait(100)
exten => f,1,Answer()
 same => n,Dial(Local/bob@default,,F(default^after^1))
exten => fnext,1,Answer()
 same => n,Dial(Local/bob@default,,F)
 same => n,Set(NEXT=yes)
 same => n,Wait(100)
exten => after,1,Set(AFTER=yes)
 same => n,Wait(100)
exten => plain,1,Answer()
 same => n,Dial(Local/bob@default)
exten => g,1,Answer()
 same => n,Dial(Local/bob@default,,G(default^gee^1))
exten => gee,1,Goto(caller)
 same => n(callee),Set(SIDE=callee)
 same => n,Wait(100)
 same => n(caller),Set(SIDE=caller)
 same => n,Wait(100)
"""


def call(exten: str, then: str) -> dict[str, str]:
    """Originate ``exten``; once bridged, hang up the caller (``then`` = "hangup") or not."""
    found: dict[str, str] = {}

    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        await originate(pbx, f"Local/{exten}@default", Target("Wait", "50"))
        await clock.advance(0.1)
        caller = half(pbx, f"Local/{exten}@", ";2")
        callee = half(pbx, "Local/bob@", ";1")
        if then == "hangup":
            caller.request_hangup()
            await clock.advance(0.1)
        for name in ("AFTER", "NEXT", "SIDE"):
            found[f"caller {name}"] = caller.get_variable(name) or ""
            found[f"callee {name}"] = callee.get_variable(name) or ""
        found["bridged"] = str(bool(callee.bridge_id))
        found["callee gone"] = str(callee.gone)
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {} and pbx.bridges == {}

    asyncio.run(asyncio.wait_for(main(), 10))
    return found


def half(pbx: PBX, prefix: str, suffix: str) -> Channel:
    return next(
        c for c in pbx.channels.values() if c.name.startswith(prefix) and c.name.endswith(suffix)
    )


def test_f_sends_the_callee_on_when_the_caller_hangs_up() -> None:
    found = call("f", "hangup")
    assert found["callee AFTER"] == "yes" and found["callee gone"] == "False"


def test_f_without_a_place_is_the_callers_next_priority() -> None:
    found = call("fnext", "hangup")
    assert found["callee NEXT"] == "yes" and found["caller NEXT"] == ""


def test_without_f_the_callee_is_hung_up() -> None:
    found = call("plain", "hangup")
    assert found["callee gone"] == "True" and found["callee AFTER"] == ""


def test_g_sends_both_parties_on_unbridged() -> None:
    found = call("g", "stay")
    assert found["bridged"] == "False"
    assert (found["caller SIDE"], found["callee SIDE"]) == ("caller", "callee")


SUBROUTINES = """
exten => u,1,Answer()
 same => n,Set(WHO=${ARG})
 same => n,Dial(Local/bob@default,,U(screen^${WHO}))
 same => n,Set(AFTER=yes)
 same => n,Wait(100)
exten => cont,1,Set(HERE=yes)
 same => n,Wait(100)
[screen]
exten => s,1,Set(SCREENED=${ARG1})
 same => n,GotoIf($["${ARG1}" = "bridge"]?done)
 same => n,Set(GOSUB_RESULT=${ARG1})
 same => n,GotoIf($["${ARG1}" != "goto"]?done)
 same => n,Set(GOSUB_RESULT=GOTO:default^cont^1)
 same => n(done),Return()
"""


def screened(result: str) -> dict[str, str]:
    found: dict[str, str] = {}

    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.technologies["local"] = LocalTechnology(pbx)
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS + SUBROUTINES, "extensions.conf"))
        seen: list[Channel] = []
        pbx.bus.subscribe(lambda e: seen.append(pbx.channels[e.channel.name]), (ev.NewChannel,))
        await originate(pbx, "Local/u@default", Target("Wait", "50"), variables=(("ARG", result),))
        await clock.advance(1)
        caller = next(c for c in seen if c.name.startswith("Local/u@") and c.name[-2:] == ";2")
        callee = next(c for c in seen if c.name.startswith("Local/bob@") and c.name[-2:] == ";1")
        found["screened"] = callee.get_variable("SCREENED") or ""
        found["bridged"] = str(caller.bridge_id != "" and caller.bridge_id == callee.bridge_id)
        found["callee gone"] = str(callee.gone)
        found["caller gone"] = str(caller.gone)
        found["caller here"] = caller.get_variable("HERE") or ""
        found["caller after"] = caller.get_variable("AFTER") or ""
        pbx.hangup_all()
        await clock.advance(1)
        assert pbx.channels == {} and pbx.bridges == {}

    asyncio.run(asyncio.wait_for(main(), 10))
    return found


def test_u_runs_a_subroutine_on_the_callee_then_bridges() -> None:
    found = screened("bridge")
    assert (found["screened"], found["bridged"]) == ("bridge", "True")


def test_u_results_end_the_call_or_move_the_caller() -> None:
    found = screened("CONTINUE")
    assert found["callee gone"] == "True" and found["caller after"] == "yes"
    found = screened("goto")
    assert found["callee gone"] == "True" and found["caller here"] == "yes"
    found = screened("ABORT")
    assert found["callee gone"] == found["caller gone"] == "True"
