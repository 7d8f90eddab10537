"""The everyday applications: answering, waiting, setting, jumping, hanging up."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .. import causes
from ..channel import ChannelState
from ..engine import ChannelScope, assign, goto, wait, wait_for_hangup
from ..events import UserEventRaised
from . import application, split_args

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.dialplan")


def _seconds(text: str, default: float = 0.0) -> float:
    if not text:
        return default
    try:
        return max(float(text), 0.0)
    except ValueError:
        return default


@application("Answer", "Answer a channel if ringing.", "Answer([delay])")
async def answer(channel: Channel, data: str) -> None:
    """A ringing channel, once answered, waits ``delay`` ms for media to flow, at least
    ``pbx.answer_media_wait`` seconds (Asterisk waits half a second; pbxd's default is none,
    see README). Meanwhile the caller's side learns of the answer."""
    delay = _seconds(split_args(data)[0]) / 1000
    ringing = channel.state in (ChannelState.RING, ChannelState.RINGING)
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.UP)
    if ringing and (delay or channel.pbx.answer_media_wait):
        await wait(channel, max(delay, channel.pbx.answer_media_wait))
    elif delay:
        await wait(channel, delay)


@application("Hangup", "Hang up the calling channel.", "Hangup([causecode])")
async def hangup(channel: Channel, data: str) -> None:
    cause = data.strip()
    channel.request_hangup(int(cause) if cause.isdigit() else causes.NORMAL_CLEARING)


@application("Wait", "Waits for some time.", "Wait(seconds)")
async def wait_app(channel: Channel, data: str) -> None:
    await wait(channel, _seconds(data.strip()))


@application("NoOp", "Do Nothing (No Operation).", "NoOp([text])")
async def noop(channel: Channel, data: str) -> None:
    return None


@application("Verbose", "Send arbitrary text to verbose output.", "Verbose([level,]message)")
async def verbose(channel: Channel, data: str) -> None:
    level, sep, message = data.partition(",")
    if not sep or not level.strip().isdigit():
        message = data
    log.info("%s", message)


@application("Set", "Set channel variable or function value.", "Set(name=value)")
async def set_app(channel: Channel, data: str) -> None:
    name, sep, value = data.partition("=")
    if not sep or not name.strip():
        log.warning("Set requires an argument (variable=value)")
        return
    set_variable(channel, name.strip(), value)


def set_variable(channel: Channel, name: str, value: str) -> None:
    """A channel variable, or a writable function ``FUNC(args)``."""
    assign(ChannelScope(channel.pbx, channel), name, value)


@application(
    "MSet", "Set channel variable(s) or function value(s).", "MSet(name1=value1,name2=value2)"
)
async def mset(channel: Channel, data: str) -> None:
    for pair in split_args(data):
        name, sep, value = pair.partition("=")
        if sep and name.strip():
            set_variable(channel, name.strip(), value.strip('"'))


def parse_target(channel: Channel, text: str) -> tuple[str | None, str | None, str]:
    """``[[context,]extension,]priority`` as Goto takes it."""
    parts = [part.strip() for part in split_args(text)]
    if len(parts) == 1:
        return None, None, parts[0]
    if len(parts) == 2:
        return None, parts[0], parts[1]
    return parts[0], parts[1], parts[2]


@application(
    "Goto",
    "Jump to a particular priority, extension, or context.",
    "Goto([[context,]extension,]priority)",
)
async def goto_app(channel: Channel, data: str) -> None:
    context, exten, priority = parse_target(channel, data)
    if not priority or not goto(channel, context, exten, priority):
        channel.request_hangup(causes.NORMAL_CLEARING)


@application("GotoIf", "Conditional goto.", "GotoIf(condition?[labeliftrue]:[labeliffalse])")
async def goto_if(channel: Channel, data: str) -> None:
    condition, sep, branches = data.partition("?")
    if not sep:
        log.warning("GotoIf requires an argument (test?[labeliftrue]:[labeliffalse])")
        return
    if_true, _, if_false = branches.partition(":")
    target = if_true if _truthy(condition) else if_false
    if target.strip():
        context, exten, priority = parse_target(channel, target)
        if not goto(channel, context, exten, priority):
            channel.request_hangup(causes.NORMAL_CLEARING)


def _truthy(text: str) -> bool:
    text = text.strip()
    return bool(text) and text != "0"


@application("Progress", "Indicate progress.", "Progress()")
async def progress(channel: Channel, data: str) -> None:
    channel.progress()


@application("Ringing", "Indicate ringing tone.", "Ringing()")
async def ringing(channel: Channel, data: str) -> None:
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.RINGING)


@application("Busy", "Indicate the Busy condition.", "Busy([timeout])")
async def busy(channel: Channel, data: str) -> None:
    channel.hangup_cause = causes.USER_BUSY
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.BUSY)
    await wait(channel, _seconds(data.strip(), 0.0) or 3600)


@application("Congestion", "Indicate the Congestion condition.", "Congestion([timeout])")
async def congestion(channel: Channel, data: str) -> None:
    channel.hangup_cause = causes.CONGESTION
    await wait(channel, _seconds(data.strip(), 0.0) or 3600)


@application("Echo", "Echo media, DTMF back to the calling party.", "Echo()")
async def echo(channel: Channel, data: str) -> None:
    port = channel.media
    if port is None:  # no media to echo: the channel stays till hangup
        await wait_for_hangup(channel)
        return
    port.set_sink(port.write, port)  # audio and DTMF go back where they came from
    try:
        await wait_for_hangup(channel)
    finally:
        if port.sink is not None:
            port.set_sink(None)


@application(
    "UserEvent",
    "Send an arbitrary user-defined event to parties interested in a channel (AMI/ARI).",
    "UserEvent(eventname[,body])",
)
async def user_event(channel: Channel, data: str) -> None:
    name, *rest = split_args(data)
    fields = []
    for item in rest:
        key, sep, value = item.partition(":")
        if sep:
            fields.append((key.strip(), value.strip()))
    channel.publish(UserEventRaised(channel.snapshot(), name.strip(), tuple(fields)))
