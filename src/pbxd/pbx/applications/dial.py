"""Dial: ring one or more destinations at once, bridge the first that answers."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from .. import causes, media
from ..bridge import Bridge, run_imparted, stay_bridged
from ..channel import ChannelState
from ..engine import execute, goto, wait_for_hangup
from ..events import DialBegin, DialEnd, DialState, NewState, Progressed
from ..features import features_of
from ..technology import ChannelUnavailable
from . import application, split_args
from .flow import gosub, gosub_stack

if TYPE_CHECKING:
    from ..channel import Channel
    from ..core import PBX

log = logging.getLogger("pbxd.dialplan")

#: The hangup cause a caller gets for each outcome when Dial gives up.
FAILURE_CAUSES = {
    "BUSY": causes.USER_BUSY,
    "NOANSWER": causes.NO_ANSWER,
    "CONGESTION": causes.CONGESTION,
    "CHANUNAVAIL": causes.CHAN_NOT_IMPLEMENTED,
}
_OPTION = re.compile(r"([A-Za-z])(?:\(([^)]*)\))?")


@dataclass
class DialOptions:
    go_on: bool = False  # g: continue in the dialplan when the callee hangs up
    ringing: bool = False  # r: indicate ringing to the caller
    limit: float | None = None  # L(x[:...]) / S(x): seconds the bridged call may last
    caller_features: str = ""  # T: the caller may transfer (features.conf codes)
    callee_features: str = ""  # t: the callee may transfer
    callee_after: str | None = None  # F([context^exten^]priority): where the callee goes on
    both_to: str | None = None  # G([context^exten^]priority): caller there, callee at +1
    subroutine: str = ""  # U(x[^arg[^...]]): Gosub the callee runs once it answered

    @classmethod
    def parse(cls, text: str) -> DialOptions:
        options = cls()
        for letter, argument in _OPTION.findall(text):
            if letter == "g":
                options.go_on = True
            elif letter == "r":
                options.ringing = True
            elif letter == "L" and argument:
                options.limit = _number(argument.split(":")[0]) / 1000
            elif letter == "S" and argument:
                options.limit = _number(argument)
            elif letter == "T":
                options.caller_features += "T"
            elif letter == "t":
                options.callee_features += "T"
            elif letter == "F":
                options.callee_after = argument
            elif letter == "G" and argument:
                options.both_to = argument
            elif letter == "U" and argument:
                options.subroutine = argument
        return options


def _place(text: str, channel: Channel, step: int = 0) -> tuple[str, str, str]:
    """``[[context^]exten^]priority`` (blank: the channel's next priority), ``step`` added to
    a numeric priority."""
    parts = text.split("^") if text else []
    if not parts:
        return channel.context, channel.exten, str(channel.priority + 1)
    priority = parts[-1]
    exten = parts[-2] if len(parts) > 1 else channel.exten
    context = parts[-3] if len(parts) > 2 else channel.context
    if priority.isdigit():
        priority = str(int(priority) + step)
    return context, exten, priority


def _number(text: str) -> float:
    try:
        return max(float(text), 0.0)
    except ValueError:
        return 0.0


@application(
    "Dial",
    "Attempt to connect to another device or endpoint and bridge the call.",
    "Dial(Technology/Resource[&Technology2/Resource2[&...]][,timeout[,options[,URL]]])",
)
async def dial(caller: Channel, data: str) -> None:
    args = split_args(data)
    targets = [t.strip() for t in args[0].split("&") if t.strip()]
    timeout = _number(args[1]) if len(args) > 1 and args[1].strip() else None
    options = DialOptions.parse(args[2] if len(args) > 2 else "")
    status = await _dial(caller, targets, timeout, options)
    caller.set_variable("DIALSTATUS", status)


def request_leg(caller: Channel, target: str) -> Channel | None:
    """A new outbound channel for ``Tech/resource`` on the caller's behalf (not yet called);
    None, logged, when the technology cannot make it."""
    tech_name, _, resource = target.partition("/")
    technology = caller.pbx.technologies.get(tech_name.lower())
    if technology is None or not resource:
        log.warning(
            "Unable to create channel of type '%s' (cause 66 - Channel not implemented)",
            tech_name,
        )
        return None
    try:
        return technology.request(resource, caller, caller.caller)
    except ChannelUnavailable as exc:
        log.warning("Unable to create channel %s: %s", target, exc)
        return None


def place_call(channel: Channel, timeout: float) -> asyncio.Future[str]:
    """Ring ``channel`` through its technology; the future gives its DIALSTATUS."""
    technology = channel.pbx.technologies[channel.tech.lower()]
    return asyncio.ensure_future(technology.call(channel, timeout))


async def first_answer(
    caller: Channel,
    calls: dict[asyncio.Future[str], Channel],
    failed: Callable[[Channel, str], None],
) -> Channel | None:
    """Until a leg answers (it is returned), every leg failed (each given to ``failed`` with
    its status) or the caller hung up; legs still ringing are left to the caller of this."""
    watcher = asyncio.ensure_future(wait_for_hangup(caller))
    answered: Channel | None = None
    pending = set(calls)
    while pending and answered is None:
        done, _ = await asyncio.wait(pending | {watcher}, return_when=asyncio.FIRST_COMPLETED)
        pending -= done
        if watcher in done:
            break
        for task in done:
            status = task.result()
            if status == "ANSWER" and answered is None:
                answered = calls[task]
            else:
                failed(calls[task], status)
    watcher.cancel()
    for task in pending:
        task.cancel()
    return answered


def end_leg(caller: Channel, channel: Channel, status: str, cause: int) -> None:
    """A leg that did not (or may no longer) connect: its DialEnd, then it hangs up."""
    channel.publish(DialEnd(caller.snapshot(), channel.snapshot(), status))
    channel.request_hangup(cause)
    caller.pbx.destroy_channel(channel)


async def _dial(
    caller: Channel, targets: list[str], timeout: float | None, options: DialOptions
) -> str:
    outbound: list[Channel] = []
    for target in targets:
        channel = request_leg(caller, target)
        if channel is None:
            continue
        channel.set_connected(caller.caller.number, caller.caller.name)
        # DialString is the resource (app_dial publishes the part after Tech/)
        channel.publish(DialBegin(caller.snapshot(), channel.snapshot(), target.partition("/")[2]))
        outbound.append(channel)
    if not outbound:
        return "CHANUNAVAIL"
    if options.ringing and caller.state != ChannelState.UP:
        caller.set_state(ChannelState.RINGING)
    ringing = _ringing_watch(caller.pbx)
    for channel in outbound:
        ringing[channel] = caller
    calls = {place_call(channel, timeout or 3600.0): channel for channel in outbound}
    statuses: list[str] = []

    def failed(channel: Channel, status: str) -> None:
        statuses.append(status)
        end_leg(caller, channel, status, FAILURE_CAUSES.get(status, causes.NORMAL_CLEARING))

    answered = await first_answer(caller, calls, failed)
    for channel in outbound:
        ringing.pop(channel, None)
    for channel in outbound:
        if channel is not answered and not channel.gone:
            end_leg(
                caller,
                channel,
                "CANCEL",
                causes.ANSWERED_ELSEWHERE if answered else causes.NORMAL_CLEARING,
            )
    if answered is None:
        if caller.hangup_requested:
            return "CANCEL"
        for status in ("BUSY", "CONGESTION", "CHANUNAVAIL"):
            if statuses and all(s == status for s in statuses):
                return status
        return "NOANSWER"
    answered.publish(DialEnd(caller.snapshot(), answered.snapshot(), "ANSWER"))
    caller.set_variable("DIALEDPEERNAME", answered.name)
    if caller.state != ChannelState.UP:
        caller.set_state(ChannelState.UP)
    if options.subroutine:
        outcome = await _run_subroutine(answered, options.subroutine)
        if outcome is not None:
            answered.request_hangup(causes.NORMAL_CLEARING)
            caller.pbx.destroy_channel(answered)
            if outcome.startswith("GOTO:"):
                goto(caller, *_place(outcome[5:], caller))
            elif outcome in FAILURE_CAUSES or outcome == "ABORT":
                caller.request_hangup(FAILURE_CAUSES.get(outcome, causes.NORMAL_CLEARING))
            return "ANSWER"
    if options.both_to is not None:
        goto(answered, *_place(options.both_to, caller, step=1))
        asyncio.ensure_future(run_imparted(answered))  # not bridged: it runs there
        goto(caller, *_place(options.both_to, caller))
        return "ANSWER"
    if options.callee_after is not None:
        goto(answered, *_place(options.callee_after, caller))
    features = features_of(caller.pbx)
    features.allow(caller, options.caller_features)
    features.allow(answered, options.callee_features)
    await bridge_call(caller, answered, options.limit)
    taken = caller.interrupted.is_set() or caller.diversion is not None
    if not options.go_on and not caller.hangup_requested and not taken:
        caller.request_hangup(answered.hangup_cause or causes.NORMAL_CLEARING)
    return "ANSWER"


async def _run_subroutine(callee: Channel, spec: str) -> str | None:
    """Run ``U(context^arg...)`` on the answered callee: ``Gosub(context,s,1(args))``. None to
    bridge the call; else its ``GOSUB_RESULT``: ABORT, BUSY, CONGESTION, CONTINUE or
    GOTO:[[context^]exten^]priority."""
    name, _, args = spec.partition("^")
    data = f"{name},s,1" + (f"({args.replace('^', ',')})" if args else "")
    if not gosub(callee, data):
        return None
    depth = len(gosub_stack(callee) or ())
    await execute(callee, done=lambda: len(gosub_stack(callee) or ()) < depth)
    callee.interrupted.clear()
    callee.jumped = False
    if callee.hangup_requested:
        return "ABORT"
    result = (callee.get_variable("GOSUB_RESULT") or "").strip()
    upper = result.upper()
    if upper in ("ABORT", "BUSY", "CONGESTION", "CONTINUE"):
        return upper
    return result if upper.startswith("GOTO:") else None


_RINGING: WeakKeyDictionary[PBX, WeakKeyDictionary[Channel, Channel]] = WeakKeyDictionary()


def _ringing_watch(pbx: PBX) -> WeakKeyDictionary[Channel, Channel]:
    """The channels Dial is ringing (to their caller) on this PBX: when one reports ringing,
    Dial publishes ``DialState`` with ``RINGING``; when one indicates progress, ``DialState``
    with ``PROGRESS``, the caller is told and hears the early media (one bus subscriber per
    PBX)."""
    watch = _RINGING.get(pbx)
    if watch is None:
        ringing: WeakKeyDictionary[Channel, Channel] = WeakKeyDictionary()
        watch = _RINGING[pbx] = ringing

        def state_changed(event: NewState) -> None:
            if event.channel.state != ChannelState.RINGING:
                return
            dest = pbx.channels.get(event.channel.name)
            caller = ringing.get(dest) if dest is not None else None
            if caller is not None and dest is not None:
                dest.publish(DialState(caller.snapshot(), event.channel, "RINGING"))

        def progressed(event: Progressed) -> None:
            dest = pbx.channels.get(event.channel.name)
            caller = ringing.get(dest) if dest is not None else None
            if caller is None or dest is None:
                return
            dest.publish(DialState(caller.snapshot(), event.channel, "PROGRESS"))
            caller.progress()
            if caller.media is not None and dest.media is not None and not caller.bridge_id:
                media.connect_bridge([caller, dest])  # early media, until the bridge

        pbx.bus.subscribe(state_changed, (NewState,))
        pbx.bus.subscribe(progressed, (Progressed,))
    return watch


async def bridge_call(
    caller: Channel,
    callee: Channel,
    limit: float | None = None,
    *,
    callee_first: bool = False,
    bridged: Callable[[], None] | None = None,
) -> str:
    """Both in one bridge; the caller stays bridged (following moves, as in a transfer) until
    it hangs up, is taken elsewhere, the bridge dissolves or the time ``limit``. The callee is
    in the bridge on its own: when it leaves, it is hung up unless it was taken elsewhere.

    Returns who ended it by hanging up, ``caller`` or ``callee``; "" otherwise (taken
    elsewhere, or the time limit). ``bridged`` runs once both are in the bridge.
    """
    pbx = caller.pbx
    bridge = Bridge(pbx)
    for party in (callee, caller) if callee_first else (caller, callee):
        bridge.join(party)
    if bridged is not None:
        bridged()
    asyncio.ensure_future(run_imparted(callee))
    timer = None
    if limit:

        def time_up() -> None:
            current = pbx.bridges.get(caller.bridge_id)
            if current is not None:
                current.dissolve()

        timer = pbx.clock.call_later(limit, time_up)
    try:
        await stay_bridged(caller)
    finally:
        if timer is not None:
            timer.cancel()
    ender = "caller" if caller.hangup_requested else "callee" if callee.hangup_requested else ""
    started = callee.answered_at or pbx.clock()
    caller.set_variable("ANSWEREDTIME", str(int(pbx.clock() - started)))
    return ender
