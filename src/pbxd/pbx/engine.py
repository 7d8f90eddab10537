"""Running the dialplan on a channel: find the step, substitute, run the application, move on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import causes
from .channel import SOFTHANGUP_APPUNLOAD
from .events import HangupRequested, NewExten
from .flag import wait_any

if TYPE_CHECKING:
    from .channel import Channel
    from .core import PBX

log = logging.getLogger("pbxd.dialplan")
MAX_STEPS = 100_000  # a dialplan loop this long is a runaway: the channel is hung up
YIELD_EVERY = 50  # steps run before other tasks get a turn


class ChannelScope:
    """What ``${...}`` and dialplan functions see: the channel, then globals."""

    __slots__ = ("channel", "pbx")

    def __init__(self, pbx: PBX, channel: Channel | None) -> None:
        self.pbx = pbx
        self.channel = channel

    def get_variable(self, name: str) -> str | None:
        channel = self.channel
        if channel is not None:
            value = channel.get_variable(name)
            if value is not None:
                return value
            builtin = _BUILTINS.get(name)
            if builtin is not None:
                return builtin(channel)
        elif name == "EPOCH":  # the one built-in that needs no channel
            return str(int(self.pbx.clock()))
        return self.pbx.globals.get(name)

    def set_variable(self, name: str, value: str) -> None:
        if self.channel is not None:
            self.channel.set_variable(name, value)
        else:
            self.pbx.set_global(name, value)


_BUILTINS = {
    "CHANNEL": lambda c: c.name,
    "UNIQUEID": lambda c: c.uniqueid,
    "CONTEXT": lambda c: c.context,
    "EXTEN": lambda c: c.exten,
    "PRIORITY": lambda c: str(c.priority),
    "EPOCH": lambda c: str(int(c.pbx.clock())),
    "LANGUAGE": lambda c: c.language,
    "ACCOUNTCODE": lambda c: c.accountcode,
    "HANGUPCAUSE": lambda c: str(c.hangup_cause),
}


def substitute(pbx: PBX, channel: Channel | None, text: str) -> str:
    """``${...}`` and ``$[...]`` in ``text``, as the channel sees them."""
    if "$" not in text:
        return text
    from .expressions import substitute as expand

    return expand(text, ChannelScope(pbx, channel))


def is_function(name: str) -> bool:
    """``NAME(args)`` names a dialplan function, anything else a variable."""
    return name.endswith(")") and "(" in name


def read_value(scope: ChannelScope, name: str) -> str:
    """A variable's or a function's value, "" when unset (Getvar, Status Variables:)."""
    if is_function(name):
        from .functions import read_function

        return read_function(scope, name) or ""
    value = scope.get_variable(name)
    return "" if value is None else value


def assign(scope: ChannelScope, name: str, value: str) -> None:
    """Set a variable (the channel's, or a global without one) or write a function."""
    if is_function(name):
        from .functions import write_function

        write_function(scope, name, value)
    else:
        scope.set_variable(name, value)


def goto(channel: Channel, context: str | None, exten: str | None, priority: str | int) -> bool:
    """Move the channel in the dialplan (a label is looked up); False if there is no such place."""
    pbx = channel.pbx
    context = context or channel.context
    exten = exten or channel.exten
    if isinstance(priority, str) and not priority.isdigit():
        found = (
            pbx.dialplan.find_label(context, exten, priority, channel.caller.number)
            if pbx.dialplan
            else None
        )
        if found is None:
            log.warning("Priority '%s' must be a number > 0, or valid label", priority)
            return False
        priority = found
    channel.context, channel.exten, channel.priority = context, exten, int(priority)
    channel.jumped = True
    return True


async def wait(channel: Channel, seconds: float) -> bool:
    """Pause the channel; False if it was hung up meanwhile (no pause at all for 0)."""
    if seconds <= 0:
        return not channel.hangup_requested
    return await wait_for_hangup(channel, seconds)


async def wait_for_hangup(channel: Channel, seconds: float | None = None) -> bool:
    """Until hangup, a redirect, or ``seconds``; True if the channel is still up."""
    await wait_any((channel.hung_up, channel.interrupted), seconds, channel.pbx.clock)
    return not channel.hangup_requested


async def run_dialplan(channel: Channel) -> None:
    """Execute the channel's dialplan until it hangs up or runs off the end, then destroy it."""
    pbx = channel.pbx
    pbx.calls_processed += 1  # as Asterisk counts: every dialplan run is a call
    pbx.current_calls += 1
    try:
        await execute(channel)
        await run_h_extension(channel)
    except Exception:
        log.exception("dialplan failed on %s", channel.name)
        channel.request_hangup(causes.INTERWORKING)
    finally:
        pbx.current_calls -= 1
        await _end_run(channel)


async def run_h_extension(channel: Channel) -> None:
    """After a hangup, the context's ``h`` extension runs (its applications see the hangup,
    so waits end at once)."""
    dialplan = channel.pbx.dialplan
    caller = channel.caller.number
    if (
        dialplan is None
        or channel.exten == "h"
        or not channel.hangup_requested
        or not dialplan.exists(channel.context, "h", 1, caller)
    ):
        return
    channel.exten, channel.priority = "h", 1
    for _ in range(MAX_STEPS):
        step = dialplan.find(channel.context, channel.exten, channel.priority, caller)
        app = channel.pbx.applications.get(step.app) if step is not None else None
        if step is None or app is None or channel.gone:
            return
        data = substitute(channel.pbx, channel, step.data)
        channel.application, channel.data = step.app, data
        channel.publish(NewExten(channel.snapshot(), step.app, data))
        channel.jumped = False
        await app.handler(channel, data)
        if not channel.jumped:
            channel.priority += 1


async def _end_run(channel: Channel) -> None:
    """The end of a dialplan run: ``SoftHangupRequest`` (reason: the run ended), then destroy.

    The hangup is announced first and the channel destroyed a moment later, so channels that
    end together announce their hangups before either is gone, as in Asterisk.
    """
    if not channel.gone:
        if not channel.hangup_requested:
            channel.request_hangup(causes.NORMAL_CLEARING)
        channel.publish(HangupRequested(channel.snapshot(), SOFTHANGUP_APPUNLOAD, True))
        await asyncio.sleep(0)
    channel.pbx.destroy_channel(channel)


async def execute(channel: Channel, done: Callable[[], bool] | None = None) -> None:
    """Run the channel's dialplan until it hangs up, runs off the end, or ``done()`` (a
    subroutine Dial's U() runs returned)."""
    pbx = channel.pbx
    dialplan = pbx.dialplan
    if dialplan is None:
        return
    for step_count in range(MAX_STEPS):
        if step_count % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)  # a tight Goto loop must not starve other calls
        if channel.hangup_requested or (done is not None and done()):
            return
        step = dialplan.find(
            channel.context, channel.exten, channel.priority, channel.caller.number
        )
        if step is None:
            if channel.priority == 1 or not dialplan.exists(
                channel.context, channel.exten, 1, channel.caller.number
            ):
                log.warning(
                    "Channel '%s' sent to invalid extension: context,exten,priority=%s,%s,%d",
                    channel.name,
                    channel.context,
                    channel.exten,
                    channel.priority,
                )
                if channel.exten != "i" and dialplan.exists(channel.context, "i", 1):
                    channel.set_variable("INVALID_EXTEN", channel.exten)
                    channel.exten, channel.priority = "i", 1
                    continue
                channel.request_hangup(
                    causes.UNALLOCATED if channel.priority == 1 else causes.NORMAL_CLEARING
                )
            return  # auto-fallthrough: the end of the extension hangs up
        app = pbx.applications.get(step.app)
        data = substitute(pbx, channel, step.data)
        channel.application, channel.data = step.app, data
        channel.publish(NewExten(channel.snapshot(), step.app, data))
        if app is None:
            log.warning(
                "No application '%s' for extension (%s, %s, %d)",
                step.app,
                channel.context,
                channel.exten,
                channel.priority,
            )
            channel.request_hangup(causes.NORMAL_CLEARING)
            return
        channel.jumped = False
        await app.handler(channel, data)
        channel.interrupted.clear()
        while channel.diversion is not None and not channel.hangup_requested:
            await channel.run_diversion()  # e.g. bridged by the Bridge action; then on
        if not channel.jumped and not channel.hangup_requested:
            channel.priority += 1  # an application ended by a hangup leaves it where it was
    log.warning("Channel '%s' ran %d dialplan steps: hung up as a runaway", channel.name, MAX_STEPS)
    channel.request_hangup(causes.NORMAL_CLEARING)
