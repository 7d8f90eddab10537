"""Bad dialplans and bad requests: warnings and hangups, never a stuck engine."""

from __future__ import annotations

import asyncio
import time

from pbxd.config.conf import loads
from pbxd.pbx import events as ev
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => loop,1,Goto(loop,1)
exten => noapp,1,Answer()
 same => n,NoSuchApplication(x)
 same => n,Wait(100)
exten => badgoto,1,Answer()
 same => n,Goto(nowhere,1,1)
 same => n,Wait(100)
exten => badexpr,1,Answer()
 same => n,Set(X=$[ 1 + ])
 same => n,Set(Y=${UNCLOSED)
 same => n,Wait(1)
exten => ringforever,1,Ringing()
 same => n,Wait(1000)
"""


def make_pbx() -> tuple[PBX, VirtualClock, list[object]]:
    clock = VirtualClock()
    pbx = PBX(clock)
    pbx.technologies["local"] = LocalTechnology(pbx)
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    seen: list[object] = []
    pbx.bus.subscribe(seen.append)
    return pbx, clock, seen


def run(coro: object) -> None:
    asyncio.run(asyncio.wait_for(coro, 20))  # type: ignore[arg-type]


def test_goto_loop_is_stopped_without_starving_others() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        started = time.perf_counter()
        task = asyncio.ensure_future(
            originate(pbx, "Local/loop@default", Target("Wait", "1"), timeout=5)
        )
        ticks = 0
        while not task.done():
            await asyncio.sleep(0.001)  # another task on the same loop keeps getting turns
            ticks += 1
            if ticks % 50 == 0:
                await clock.advance(1)
        assert time.perf_counter() - started < 15
        assert ticks > 5
        await clock.advance(10)
        assert pbx.channels == {}

    run(scenario())


def test_unknown_application_hangs_up_with_events() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/noapp@default", Target("Wait", "100"))
        await clock.advance(1)
        assert pbx.channels == {}
        assert sum(isinstance(e, ev.HungUp) for e in seen) == 2

    run(scenario())


def test_goto_nowhere_and_bad_expressions() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        await originate(pbx, "Local/badgoto@default", Target("Wait", "100"))
        await clock.advance(1)
        assert pbx.channels == {}
        await originate(pbx, "Local/badexpr@default", Target("Wait", "100"))
        await clock.advance(0.5)
        two = next(c for c in pbx.channels.values() if c.name.endswith(";2"))
        assert two.get_variable("X") is not None  # a bad expression still yields a value
        await clock.advance(2)
        assert pbx.channels == {}

    run(scenario())


def test_originate_timeout_to_a_channel_that_never_answers() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        task = asyncio.ensure_future(
            originate(pbx, "Local/ringforever@default", Target("Wait", "1"), timeout=3)
        )
        await clock.advance(3.5)
        outcome = await task
        assert (outcome.status, outcome.reason) == ("NOANSWER", 3)
        await clock.advance(1)
        assert pbx.channels == {}

    run(scenario())


def test_originate_to_nothing() -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx()
        for dest in ("", "Local/", "Bogus/1", "Local/@"):
            outcome = await originate(pbx, dest, Target("Wait", "1"))
            assert outcome.status == "CHANUNAVAIL" and outcome.channel is None
        assert pbx.channels == {}

    run(scenario())
