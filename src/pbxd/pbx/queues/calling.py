"""A caller in a queue: join, wait for a turn, ring members by strategy (through the
channel technologies, as Dial does), connect the first who answers, leave.

Time (hold time, ring timeout, retry, wrapup) is the PBX clock's, so a virtual clock runs
a long queue scenario in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import causes
from ..applications.dial import (
    FAILURE_CAUSES,
    bridge_call,
    end_leg,
    first_answer,
    place_call,
    request_leg,
)
from ..channel import ChannelState
from ..events import CallerIdChanged, DialBegin, DialEnd, NewExten
from ..flag import wait_any
from . import events as qe
from .model import Caller
from .selection import choose, is_empty, is_turn
from .system import queues_of

if TYPE_CHECKING:
    from ..channel import Channel
    from .model import Member, Queue
    from .system import QueueSystem

log = logging.getLogger("pbxd.queues")

#: What a member's channel shows while the queue rings it.
RINGING_APP, RINGING_DATA = "AppQueue", "(Outgoing Line)"
#: Variables the Queue application clears when it starts (set again as the call goes).
CLEARED = ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT",
           "QUEUEWAIT_MS")  # fmt: skip
POLL = 1.0  # seconds between looks at the queue while waiting


@dataclass(frozen=True, slots=True)
class QueueRequest:
    """The Queue application's arguments."""

    name: str
    options: str = ""
    url: str = ""
    timeout: float | None = None  # seconds the caller may wait in all
    position: int = 0  # where to enter (1: the head)


@dataclass(slots=True)
class Outcome:
    """How the caller's time in the queue ended."""

    status: str  # QUEUESTATUS; "" when connected to a member
    ender: str = ""  # who hung up a connected call: caller or callee


async def enter_queue(channel: Channel, request: QueueRequest) -> Outcome:
    """The whole stay of ``channel`` in the queue, up to the end of its call with a member."""
    pbx = channel.pbx
    system = queues_of(pbx)
    for name in CLEARED:
        channel.set_variable(name, "")
    queue = system.get(request.name)
    if queue is None:
        log.warning("Unable to join queue '%s'", request.name)
        return Outcome("UNKNOWN")
    settings = queue.settings
    if settings.maxlen and len(queue.callers) >= settings.maxlen:
        log.warning("Unable to join queue '%s': it is full", queue.name)
        return Outcome("FULL")
    now = pbx.clock()
    if settings.joinempty and is_empty(system, queue, settings.joinempty, now):
        log.warning("Unable to join queue '%s': no member can take the call", queue.name)
        return Outcome("JOINEMPTY")
    caller = Caller(channel, now, _priority(channel))
    position = queue.insert(caller, request.position)
    _announce_callers(system, queue)
    pbx.bus.publish(qe.CallerJoined(queue.name, channel.snapshot(), position, len(queue.callers)))
    system.queue_log.write(
        queue.name, channel.uniqueid, "NONE", "ENTERQUEUE", request.url, channel.caller.number,
        position,
    )  # fmt: skip
    try:
        return await _wait_and_ring(system, queue, caller, request)
    finally:
        if caller in queue.callers:
            _leave(system, queue, caller)


def _announce_callers(system: QueueSystem, queue: Queue) -> None:
    """The ``Queue:<name>`` device: RINGING while callers wait, else NOT_INUSE (cached, so
    only a change is announced), as app_queue sets it."""
    state = "RINGING" if queue.callers else "NOT_INUSE"
    system.pbx.devices.changed(f"Queue:{queue.name}", state)


def _priority(channel: Channel) -> int:
    text = channel.get_variable("QUEUE_PRIO") or "0"
    try:
        return int(text)
    except ValueError:
        log.warning("%s: invalid QUEUE_PRIO '%s'", channel.name, text)
        return 0


def _leave(system: QueueSystem, queue: Queue, caller: Caller) -> None:
    position = queue.position(caller)
    queue.callers.remove(caller)
    channel = caller.channel
    _announce_callers(system, queue)
    system.pbx.bus.publish(
        qe.CallerLeft(queue.name, channel.snapshot(), position, len(queue.callers))
    )
    channel.set_variable("QUEUEPOSITION", str(position))
    queue.wake()


def _exit(system: QueueSystem, queue: Queue, caller: Caller, event: str) -> None:
    waited = int(system.pbx.clock() - caller.start)
    system.queue_log.write(
        queue.name, caller.channel.uniqueid, "NONE", event, queue.position(caller),
        caller.original_position, waited,
    )  # fmt: skip


def _abandon(system: QueueSystem, queue: Queue, caller: Caller) -> None:
    waited = int(system.pbx.clock() - caller.start)
    queue.record_abandoned(waited)
    position = queue.position(caller)
    system.pbx.bus.publish(
        qe.CallerAbandoned(
            queue.name, caller.channel.snapshot(), position, caller.original_position, waited
        )
    )
    _exit(system, queue, caller, "ABANDON")


async def _wait_and_ring(
    system: QueueSystem, queue: Queue, caller: Caller, request: QueueRequest
) -> Outcome:
    channel = caller.channel
    clock = system.pbx.clock
    expire = caller.start + request.timeout if request.timeout else None
    while True:
        if channel.hangup_requested:
            _abandon(system, queue, caller)
            return Outcome("")
        if channel.interrupted.is_set():
            return Outcome("")  # redirected: the dialplan goes on elsewhere
        now = clock()
        if expire is not None and now >= expire:
            _exit(system, queue, caller, "EXITWITHTIMEOUT")
            return Outcome("TIMEOUT")
        leave = queue.settings.leavewhenempty
        if leave and is_empty(system, queue, leave, now):
            _exit(system, queue, caller, "EXITEMPTY")
            return Outcome("LEAVEEMPTY")
        turn = is_turn(system, queue, caller, now)
        if turn:
            outcome = await _ring_round(system, queue, caller, request, expire)
            if isinstance(outcome, Outcome):
                return outcome
            if outcome:
                continue  # members rang (and the retry wait passed): look again at once
        # A caller whose turn it is looks again every second (a member's wrapup may end);
        # the others wait for the queue to change (a caller leaves, a member frees up).
        timeout = POLL if turn else None
        if expire is not None:
            timeout = min(timeout or expire - now, expire - now)
        await wait_any((channel.hung_up, channel.interrupted, queue.changed), timeout, clock)


async def _ring_round(
    system: QueueSystem, queue: Queue, caller: Caller, request: QueueRequest,
    expire: float | None,
) -> Outcome | bool:  # fmt: skip
    """Ring the members the strategy picks; an Outcome once connected (or told to stop),
    else whether any member rang."""
    clock = system.pbx.clock
    channel = caller.channel
    now = clock()
    members, positions = choose(system, queue, caller, now)
    if not members:
        return False
    ring_time = float(queue.settings.timeout) or None
    if expire is not None:
        ring_time = min(ring_time or expire - now, expire - now)
    legs = await _ring(system, queue, caller, members, ring_time or 3600.0)
    if not legs:
        return False
    started = clock()

    def failed(leg: Channel, status: str) -> None:
        if status == "ANSWER":
            return  # answered together with the one taken: cancelled below
        _no_answer(system, queue, caller, legs, leg, started)
        end_leg(channel, leg, status, FAILURE_CAUSES.get(status, causes.NORMAL_CLEARING))

    answered = await first_answer(channel, legs_calls(legs), failed)
    for leg, (member, _) in legs.items():
        member.ringing = False
        if leg is not answered and not leg.gone:
            end_leg(
                channel, leg, "CANCEL",
                causes.ANSWERED_ELSEWHERE if answered else causes.NORMAL_CLEARING,
            )  # fmt: skip
    queue.wake()
    strategy = queue.settings.strategy
    rung = [positions[id(member)] for member, _ in legs.values()]
    if strategy in ("rrmemory", "rrordered"):
        queue.rr_next = max(rung) + 1
    elif strategy == "linear":
        caller.linear_next = max(rung) + 1
    if answered is None:
        if channel.hangup_requested or channel.interrupted.is_set():
            return True  # the loop sees it
        if "n" in request.options:
            _exit(system, queue, caller, "EXITWITHTIMEOUT")
            return Outcome("TIMEOUT")
        retry = float(queue.settings.retry)
        if expire is not None:
            retry = min(retry, max(expire - clock(), 0.0))
        await wait_any((channel.hung_up, channel.interrupted), retry, clock)
        return True
    member = legs[answered][0]
    if answered.hangup_requested:  # the member answered and hung up at once
        _dump(system, queue, caller, answered, member)
        return True
    return await _connect(system, queue, caller, answered, member, started)


def _dump(system: QueueSystem, queue: Queue, caller: Caller, leg: Channel, member: Member) -> None:
    """A member who hangs up before being connected: the caller waits on."""
    channel = caller.channel
    system.pbx.bus.publish(
        qe.AgentDumped(channel.snapshot(), leg.snapshot(), queue.snapshot(member))
    )
    system.queue_log.write(queue.name, channel.uniqueid, member.name, "AGENTDUMP", "")
    end_leg(channel, leg, "CANCEL", causes.NORMAL_CLEARING)


def legs_calls(
    legs: dict[Channel, tuple[Member, asyncio.Future[str]]],
) -> dict[asyncio.Future[str], Channel]:
    return {future: leg for leg, (_, future) in legs.items()}


async def _ring(
    system: QueueSystem, queue: Queue, caller: Caller, members: list[Member], ring_time: float
) -> dict[Channel, tuple[Member, asyncio.Future[str]]]:
    """Call each member's interface; its channel shows AppQueue while it rings."""
    channel = caller.channel
    bus = system.pbx.bus
    legs: dict[Channel, tuple[Member, asyncio.Future[str]]] = {}
    for member in members:
        leg = request_leg(channel, member.interface)
        if leg is None:
            continue
        # A caller without a number lends the member its extension as caller ID.
        number = channel.caller.number or channel.exten
        cid_changed = leg.caller.number != number
        leg.caller = leg.caller._replace(number=number)
        leg.application, leg.data = RINGING_APP, RINGING_DATA
        leg.publish(NewExten(leg.snapshot(), RINGING_APP, RINGING_DATA))
        if cid_changed:
            leg.publish(CallerIdChanged(leg.snapshot()))
        leg.set_variable("DIALEDPEERNUMBER", member.interface.partition("/")[2])
        member.ringing = True
        future = place_call(leg, ring_time)
        await asyncio.sleep(0)  # the call is placed (a Local pair announces itself) ...
        dialed = leg.snapshot()
        leg.exten = channel.exten  # ... and the member's channel takes the caller's extension
        bus.publish(qe.AgentCalled(channel.snapshot(), leg.snapshot(), queue.snapshot(member)))
        leg.publish(DialBegin(channel.snapshot(), dialed, member.interface))
        legs[leg] = (member, future)
    return legs


def _no_answer(
    system: QueueSystem, queue: Queue, caller: Caller,
    legs: dict[Channel, tuple[Member, asyncio.Future[str]]], leg: Channel, started: float,
) -> None:  # fmt: skip
    member = legs[leg][0]
    member.ringing = False
    rang = system.pbx.clock() - started
    system.pbx.bus.publish(
        qe.AgentRingNoAnswer(caller.channel.snapshot(), leg.snapshot(), queue.snapshot(member),
                             int(rang))
    )  # fmt: skip
    system.queue_log.write(
        queue.name, caller.channel.uniqueid, member.name, "RINGNOANSWER", int(rang * 1000)
    )
    autopause = queue.settings.autopause
    if autopause != "no" and not member.paused:
        system.pause(member.interface, True, "" if autopause == "all" else queue.name,
                     "Auto-Pause")  # fmt: skip


async def _connect(
    system: QueueSystem, queue: Queue, caller: Caller, leg: Channel, member: Member,
    started: float,
) -> Outcome:  # fmt: skip
    """The member answered: the caller leaves the queue and both are bridged."""
    pbx = system.pbx
    channel = caller.channel
    leg.publish(NewExten(leg.snapshot(), RINGING_APP, RINGING_DATA))
    leg.publish(DialEnd(channel.snapshot(), leg.snapshot(), "ANSWER"))
    now = pbx.clock()
    holdtime = int(now - caller.start)
    in_sl = holdtime <= queue.settings.servicelevel
    original = caller.original_position
    _leave(system, queue, caller)
    channel.set_variable("QUEUEWAIT", str(holdtime))
    channel.set_variable("QUEUEWAIT_MS", str(holdtime * 1000))
    queue.record_holdtime(holdtime)
    system.refresh(member, queue)
    member.in_call = True
    pbx.bus.publish(
        qe.AgentConnected(channel.snapshot(), leg.snapshot(), queue.snapshot(member), holdtime,
                          int(now - started))
    )  # fmt: skip
    system.queue_log.write(
        queue.name, channel.uniqueid, member.name, "CONNECT", holdtime, leg.uniqueid,
        int(now - started),
    )  # fmt: skip
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.UP)

    def peers() -> None:
        leg.set_variable("BRIDGEPEER", channel.name)
        channel.set_variable("BRIDGEPEER", leg.name)

    talk_start = pbx.clock()
    leg_snapshot = leg.snapshot()
    ender = await bridge_call(channel, leg, callee_first=True, bridged=peers)
    end = pbx.clock()
    talktime = int(end - talk_start)
    member.in_call = False
    member.calls += 1
    member.lastcall = end
    queue.record_completed(talktime, in_sl)
    reason = {"caller": "caller", "callee": "agent"}.get(ender, "transfer")
    pbx.bus.publish(
        qe.AgentCompleted(channel.snapshot(), leg_snapshot, queue.snapshot(member), holdtime,
                          talktime, reason)
    )  # fmt: skip
    system.queue_log.write(
        queue.name, channel.uniqueid, member.name,
        "COMPLETEAGENT" if reason == "agent" else "COMPLETECALLER", holdtime, talktime, original,
    )  # fmt: skip
    system.refresh(member, queue)
    queue.wake()
    return Outcome("", ender)
