"""Originating a call: ring a channel, and when it answers run an application or the dialplan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import causes
from .channel import NOBODY, Party
from .engine import run_dialplan, substitute
from .events import DialBegin, DialEnd, NewExten
from .technology import ChannelUnavailable

if TYPE_CHECKING:
    from .channel import Channel, ChannelSnapshot
    from .core import PBX

log = logging.getLogger("pbxd.pbx")

#: OriginateResponse ``Reason`` numbers (Asterisk's control frame codes) by DIALSTATUS.
#: The application and data an outgoing channel shows while it is being dialed.
DIALING_APP, DIALING_DATA = "AppDial2", "(Outgoing Line)"

REASONS = {"ANSWER": 4, "BUSY": 5, "NOANSWER": 3, "CONGESTION": 8, "CHANUNAVAIL": 0, "CANCEL": 1}


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # DIALSTATUS
    reason: int
    channel: ChannelSnapshot | None


@dataclass(frozen=True, slots=True)
class Target:
    """What the answered channel does: an application, or the dialplan at a place."""

    application: str = ""
    data: str = ""
    context: str = ""
    exten: str = ""
    priority: int = 1


async def originate(
    pbx: PBX,
    dest: str,
    target: Target,
    *,
    timeout: float = 30.0,
    caller: Party = NOBODY,
    variables: Sequence[tuple[str, str]] = (),
    account: str = "",
    channel_id: str = "",
    other_channel_id: str = "",
    then: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """Ring ``dest`` (``Tech/resource``); on answer start ``target`` and return at once.

    With ``then``, the outcome goes to ``then`` as soon as it is known, and the answered
    channel's ``target`` runs on in this same task (one task less per call).

    ``channel_id`` is the new channel's Uniqueid (and Linkedid); a Local pair's ;2 takes
    ``other_channel_id``, else ``<channel_id>;2``, as Asterisk assigns them."""
    outcome, running = await _ring(
        pbx, dest, target, timeout, caller, variables, account, channel_id, other_channel_id
    )
    if running is None:
        if then is not None:
            then(outcome)
    elif then is None:
        asyncio.ensure_future(running)
    else:
        try:
            then(outcome)
        finally:
            await running  # the answered channel runs on whatever ``then`` did
    return outcome


async def _ring(
    pbx: PBX,
    dest: str,
    target: Target,
    timeout: float,
    caller: Party,
    variables: Sequence[tuple[str, str]],
    account: str,
    channel_id: str,
    other_channel_id: str,
) -> tuple[Outcome, Coroutine[object, object, None] | None]:
    """The outcome of ringing ``dest``, and (answered) what is to run on the channel."""
    tech_name, _, resource = dest.partition("/")
    technology = pbx.technologies.get(tech_name.lower())
    if technology is None or not resource:
        log.warning("No such channel type '%s' (in %s)", tech_name, dest)
        return Outcome("CHANUNAVAIL", 0, None), None
    second = other_channel_id or (channel_id + ";2" if channel_id else "")
    ids = [channel_id, second] if second else []
    for uniqueid in ids:
        if uniqueid and pbx.find_channel(uniqueid) is not None:
            log.error("Channel Unique ID '%s' already in use", uniqueid)
            return Outcome("CHANUNAVAIL", 0, None), None
    pbx.assigned_uniqueids[:] = ids
    try:
        channel = technology.request(resource, None, NOBODY)
    except ChannelUnavailable as exc:
        log.warning("Unable to request channel %s: %s", dest, exc)
        return Outcome("CHANUNAVAIL", 0, None), None
    finally:
        pbx.assigned_uniqueids.clear()
    # While it rings, the outgoing channel shows what Asterisk's dialing code gives it.
    channel.application, channel.data = DIALING_APP, DIALING_DATA
    channel.publish(NewExten(channel.snapshot(), DIALING_APP, DIALING_DATA))
    if account:
        channel.set_accountcode(account)
    for name, value in variables:
        channel.set_variable(name, value)
    if caller != NOBODY:
        channel.set_caller(caller.number, caller.name)
        channel.set_connected(caller.number, caller.name)
    place = getattr(technology, "place", None)
    if place is not None:  # placed at once (a Local pair announces itself) ...
        place(channel)
        channel.publish(DialBegin(None, channel.snapshot(), resource))  # ... then the dial
        status = await technology.answered(channel, timeout)  # type: ignore[attr-defined]
    else:
        calling = asyncio.ensure_future(technology.call(channel, timeout))
        await asyncio.sleep(0)  # the call is placed ...
        channel.publish(DialBegin(None, channel.snapshot(), resource))  # ... then the dial
        status = await calling
    channel.publish(DialEnd(None, channel.snapshot(), status))
    snapshot = channel.snapshot()
    if status != "ANSWER":
        channel.request_hangup(
            {"BUSY": causes.USER_BUSY, "CONGESTION": causes.CONGESTION}.get(
                status, causes.NO_ANSWER
            )
        )
        pbx.destroy_channel(channel)
        return Outcome(status, REASONS.get(status, 0), snapshot), None
    if target.application:
        running = _run_application(channel, target.application, target.data)
    else:
        channel.context, channel.exten, channel.priority = (
            target.context,
            target.exten,
            target.priority,
        )
        running = run_dialplan(channel)
    return Outcome(status, REASONS[status], snapshot), running


async def _run_application(channel: Channel, name: str, data: str) -> None:
    """The Application form: run one application on the answered channel, then hang up."""
    pbx = channel.pbx
    try:
        app = pbx.applications.get(name)
        if app is None:
            log.warning("No such application '%s'", name)
            return
        data = substitute(pbx, channel, data)
        # No Newexten: the application runs outside the dialplan (context, exten and
        # priority do not move), as Asterisk's outgoing-application calls do.
        channel.application, channel.data = app.name, data
        await app.handler(channel, data)
        while channel.diversion is not None and not channel.hangup_requested:
            await channel.run_diversion()
        if channel.jumped and not channel.hangup_requested:  # redirected into the dialplan
            channel.interrupted.clear()
            await run_dialplan(channel)
            return
    finally:
        if not channel.hangup_requested:
            channel.request_hangup(causes.UNKNOWN)  # the application ended: no cause
        pbx.destroy_channel(channel)
