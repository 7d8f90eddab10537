"""Call control: Originate, Hangup, Status, CoreShowChannels, Getvar, Setvar, AbsoluteTimeout,
Redirect."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable

from ...pbx import causes
from ...pbx.channel import NOBODY, Channel, Party
from ...pbx.engine import ChannelScope, assign, goto, read_value
from ...pbx.originate import Outcome, Target, originate
from ...protocol import Message
from ..channel_events import UNKNOWN, channel_lines
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, event_list, success
from ..session import Session
from .lookup import NO_SUCH_CHANNEL, required_channel

#: Asterisk's AST_MAX_PUBLIC_UNIQUEID: the longest ChannelId an Originate may assign.
MAX_PUBLIC_UNIQUEID = 149
#: Applications that can run programs: Originate needs the ``system`` class for them.
DANGEROUS_APPS = (
    "system",
    "exec",
    "agi",
    "eagi",
    "deadagi",
    "trysystem",
    "mixmonitor",
    "externalivr",
)
_CALLER = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$')


def parse_callerid(text: str) -> Party:
    """``Name <number>``, ``<number>``, or a bare number/name, as Asterisk splits them."""
    if not text.strip():
        return NOBODY
    match = _CALLER.match(text)
    if match:
        return Party(match.group(2).strip(), match.group(1).strip())
    text = text.strip()
    return Party(text, "") if re.fullmatch(r"[0-9+*#]+", text) else Party("", text)


def variables_of(message: Message) -> list[tuple[str, str]]:
    """Every ``Variable:`` header, each possibly ``A=1,B=2``."""
    pairs = []
    for header in message.get_all("variable"):
        for item in header.split(","):
            name, sep, value = item.partition("=")
            if sep and name.strip():
                pairs.append((name.strip(), value))
    return pairs


@action(
    "Originate",
    Privilege.ORIGINATE,
    "Originate a call.",
    description="Generates an outgoing call to a Extension/Context/Priority or Application/Data",
    arguments=(
        Argument("Channel", "Channel name to call.", True),
        Argument("Exten", "Extension to use (requires Context and Priority)."),
        Argument("Context", "Context to use (requires Exten and Priority)."),
        Argument("Priority", "Priority to use (requires Exten and Context)."),
        Argument("Application", "Application to execute."),
        Argument("Data", "Data to use (requires Application)."),
        Argument("Timeout", "How long to wait for call to be answered (in ms.)."),
        Argument("CallerID", "Caller ID to be set on the outgoing channel."),
        Argument("Variable", "Channel variable to set, multiple Variable: headers are allowed."),
        Argument("Account", "Account code."),
        Argument("EarlyMedia", "Set to true to force call bridge on early media."),
        Argument("Async", "Set to true for fast origination."),
        Argument("Codecs", "Comma-separated list of codecs to use for this call."),
        Argument("ChannelId", "Channel UniqueId to be set on the channel."),
        Argument("OtherChannelId", "Channel UniqueId to be set on the second local channel."),
    ),
    since="0.2.0",
    list_responses=("OriginateResponse",),
)
def originate_action(session: Session, message: Message) -> Response | Awaitable[Response]:
    dest = message.get("channel")
    if not dest:
        return error("Channel not specified")
    app, data = message.get("application"), message.get("data")
    exten, context, priority_text = (
        message.get("exten"),
        message.get("context"),
        message.get("priority"),
    )
    if not app and not (exten and context and priority_text):
        return error("Originate with 'Exten' requires 'Context' and 'Priority'")
    if app and not session.write_perm & Privilege.SYSTEM:
        if any(word in app.lower() for word in DANGEROUS_APPS):
            return error("Originate Access Forbidden: Application")
        if "(" in data and any(word in data.lower() for word in ("system", "exec", "shell(")):
            return error("Originate Access Forbidden: Data")
    channel_id, other_id = message.get("channelid"), message.get("otherchannelid")
    if len(channel_id) > MAX_PUBLIC_UNIQUEID or len(other_id) > MAX_PUBLIC_UNIQUEID:
        return error(f"Uniqueid length exceeds maximum of {MAX_PUBLIC_UNIQUEID}")
    priority = 1
    if not app:
        if priority_text.isdigit():
            priority = int(priority_text)
        else:
            pbx = session.manager.pbx
            found = pbx.dialplan.find_label(context, exten, priority_text) if pbx.dialplan else None
            if found is None:
                return error("Invalid priority")
            priority = found
    timeout_text = message.get("timeout")
    try:
        timeout = int(timeout_text) / 1000 if timeout_text else 30.0
    except ValueError:
        return error("Invalid timeout")
    target = Target(app, data, context, exten, priority)
    caller = parse_callerid(message.get("callerid"))
    action_id = message.head()[1]
    respond = None
    if message.get("async").lower() in ("yes", "true", "y", "t", "1", "on"):

        def respond(outcome: Outcome) -> None:
            _respond(session, outcome, dest, target, caller, action_id)

    call = originate(
        session.manager.pbx,
        dest,
        target,
        timeout=max(timeout, 0.0),
        caller=caller,
        variables=variables_of(message),
        account=message.get("account"),
        channel_id=channel_id,
        other_channel_id=other_id,
        then=respond,
    )
    if respond is not None:
        asyncio.ensure_future(call)  # OriginateResponse when the outcome is known
        return success("Originate successfully queued")
    return asyncio.ensure_future(_sync(call))


async def _sync(call: Awaitable[Outcome]) -> Response:
    outcome = await call
    if outcome.status == "ANSWER":
        return success("Originate successfully queued")
    return error("Originate failed")


def _respond(
    session: Session,
    outcome: Outcome,
    dest: str,
    target: Target,
    caller: Party,
    action_id: str,
) -> None:
    lines = [f"ActionID: {action_id}"] if action_id else []
    lines.append(f"Response: {'Success' if outcome.status == 'ANSWER' else 'Failure'}")
    lines.append(f"Channel: {outcome.channel.name if outcome.channel else dest}")
    if target.application:
        lines += [f"Application: {target.application}", f"Data: {target.data}"]
    else:
        lines += [f"Context: {target.context}", f"Exten: {target.exten}"]
    lines.append(f"Reason: {outcome.reason}")
    lines.append(f"Uniqueid: {outcome.channel.uniqueid if outcome.channel else UNKNOWN}")
    lines.append(f"CallerIDNum: {caller.number or UNKNOWN}")
    lines.append(f"CallerIDName: {caller.name or UNKNOWN}")
    session.manager.hub.publish("OriginateResponse", Privilege.CALL, lines)


@action(
    "Hangup",
    Privilege.SYSTEM | Privilege.CALL,
    "Hangup channel.",
    description="Hangup a channel; a Channel written /regex/ hangs up every channel it matches.",
    arguments=(
        Argument("Channel", "The exact channel name to be hungup, or /regex/.", True),
        Argument("Cause", "Numeric hangup cause."),
    ),
    since="0.2.0",
    list_responses=("ChannelHungup",),
)
def hangup(session: Session, message: Message) -> Response:
    name = message.get("channel")
    if not name:
        return error("No channel specified")
    cause_text = message.get("cause").strip()
    # No Cause: the channel's hangup cause is left as it is (Asterisk: 0 means "do not set").
    cause = int(cause_text) if cause_text.isdigit() else causes.UNKNOWN
    pbx = session.manager.pbx
    if len(name) > 1 and name.startswith("/") and name.endswith("/"):
        try:
            pattern = re.compile(name[1:-1])
        except re.error:
            return error("Invalid regex")
        # Newest first (Asterisk walks its channel container in no defined order): a Local
        # pair's dialplan side (;2) goes before its ;1, as the reference recording shows.
        hit = [c for c in reversed(pbx.channels.values()) if pattern.search(c.name)]
        for channel in hit:
            channel.request_hangup(cause)
        response = event_list("Channels hung up will follow", [], "ChannelsHungupListComplete")
        items = tuple(f"Event: ChannelHungup\r\nChannel: {c.name}\r\n" for c in hit)
        return _with_items(response, items, message, "ChannelsHungupListComplete", len(hit))
    channel = session.manager.pbx.find_channel(name)
    if channel is None:
        return error(NO_SUCH_CHANNEL)
    channel.request_hangup(cause)
    return success("Channel Hungup")


def _with_items(
    response: Response,
    items: tuple[str, ...],
    message: Message,
    complete: str,
    count: int,
    extra: str = "",
) -> Response:
    """A list answer whose items carry ``ActionID`` last, as Asterisk writes them."""
    action_id = message.head()[1]
    tail = f"ActionID: {action_id}\r\n" if action_id else ""
    rendered = [item + tail + "\r\n" for item in items]
    head = (
        f"Event: {complete}\r\n"
        + tail
        + f"EventList: Complete\r\nListItems: {count}\r\n{extra}\r\n"
    )
    return Response("Success", response.message, (), "start", raw_events=(*rendered, head))


def _status_item(session: Session, channel: Channel, message: Message) -> str:
    snapshot = channel.snapshot()
    lines = ["Event: Status", "Privilege: Call", *channel_lines(snapshot)]
    now = session.manager.pbx.clock()
    lines += [
        f"Type: {channel.tech}",
        f"DNID: {channel.get_variable('__DNID') or ''}",
        f"EffectiveConnectedLineNum: {snapshot.connected.number or UNKNOWN}",
        f"EffectiveConnectedLineName: {snapshot.connected.name or UNKNOWN}",
        "TimeToHangup: 0",
        f"BridgeID: {snapshot.bridge_id}",
        f"Application: {snapshot.application}",
        f"Data: {snapshot.data}",
        "Nativeformats: (slin)",
        "Readformat: slin",
        "Readtrans: ",
        "Writeformat: slin",
        "Writetrans: ",
        "Callgroup: 0",
        "Pickupgroup: 0",
        f"Seconds: {int(now - channel.created)}",
    ]
    wanted = [name.strip() for name in message.get("variables").split(",") if name.strip()]
    scope = ChannelScope(session.manager.pbx, channel)
    for name in wanted:
        value = scope.get_variable(name)
        lines.append(f"Variable: {name}={'(null)' if value is None else value}")
    if message.get("allvariables").lower() in ("yes", "true", "1", "on"):
        lines += [f"Variable: {k}={v}" for k, v in channel.variables.items()]
    return "\r\n".join(lines) + "\r\n"


@action(
    "Status",
    Privilege.SYSTEM | Privilege.CALL | Privilege.REPORTING,
    "List channel status.",
    description="Will return the status information of each channel along with the value for the specified channel variables.",
    arguments=(
        Argument("Channel", "The name of the channel to query for status."),
        Argument("Variables", "Comma , separated list of variable to include."),
        Argument(
            "AllVariables", 'If set to "true", the Status event will include all channel variables.'
        ),
    ),
    since="0.2.0",
    list_responses=("Status",),
    final_response="StatusComplete",
)
def status(session: Session, message: Message) -> Response:
    name = message.get("channel")
    pbx = session.manager.pbx
    if name:
        channel = session.manager.pbx.find_channel(name)
        if channel is None:
            return error(NO_SUCH_CHANNEL)
        channels = [channel]
    else:
        channels = sorted(pbx.channels.values(), key=lambda c: c.created)
    items = tuple(_status_item(session, c, message) for c in channels)
    response = Response("Success", "Channel status will follow")
    return _with_items(
        response, items, message, "StatusComplete", len(items), f"Items: {len(items)}\r\n"
    )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@action(
    "CoreShowChannels",
    Privilege.SYSTEM | Privilege.REPORTING,
    "List currently active channels.",
    description="List currently defined channels and some information about them.",
    since="1.6.0",
    list_responses=("CoreShowChannel",),
    final_response="CoreShowChannelsComplete",
)
def core_show_channels(session: Session, message: Message) -> Response:
    pbx = session.manager.pbx
    now = pbx.clock()
    items = []
    for channel in sorted(pbx.channels.values(), key=lambda c: c.created):
        snapshot = channel.snapshot()
        fields = [tuple(line.split(": ", 1)) for line in channel_lines(snapshot)]
        fields += [
            ("Application", snapshot.application),
            ("ApplicationData", snapshot.data),
            ("Duration", _duration(now - channel.created)),
            ("BridgeId", snapshot.bridge_id),
        ]
        items.append(("CoreShowChannel", fields))
    return event_list("Channels will follow", items, "CoreShowChannelsComplete")


@action(
    "Getvar",
    Privilege.CALL | Privilege.REPORTING,
    "Gets a channel variable or function value.",
    description="Get the value of a channel variable or function return.",
    arguments=(
        Argument("Channel", "Channel to read variable from."),
        Argument("Variable", "Variable name, function or expression.", True),
    ),
    since="1.2.0",
)
def getvar(session: Session, message: Message) -> Response:
    name = message.get("variable")
    if not name:
        return error("No variable specified")
    channel = None
    if message.get("channel"):
        channel = session.manager.pbx.find_channel(message.get("channel"))
        if channel is None:
            return error(NO_SUCH_CHANNEL)
    value = read_value(ChannelScope(session.manager.pbx, channel), name)
    return success(None, [("Variable", name), ("Value", value)])


@action(
    "Setvar",
    Privilege.CALL,
    "Sets a channel variable or function value.",
    description="This command can be used to set the value of channel variables or dialplan functions.",
    arguments=(
        Argument("Channel", "Channel to set variable for."),
        Argument("Variable", "Variable name, function or expression.", True),
        Argument("Value", "Variable or function value.", True),
    ),
    since="0.2.0",
)
def setvar(session: Session, message: Message) -> Response:
    name = message.get("variable")
    if not name:
        return error("No variable specified")
    pbx = session.manager.pbx
    value = message.get("value")
    channel = None
    if message.get("channel"):
        channel = session.manager.pbx.find_channel(message.get("channel"))
        if channel is None:
            return error(NO_SUCH_CHANNEL)
    assign(ChannelScope(pbx, channel), name, value)
    return success("Variable Set")


@action(
    "AbsoluteTimeout",
    Privilege.SYSTEM | Privilege.CALL,
    "Set absolute timeout.",
    description="Hangup a channel after a certain time. Acknowledges set time with Timeout Set message.",
    arguments=(
        Argument("Channel", "Channel name to hangup.", True),
        Argument("Timeout", "Maximum duration of the call (sec).", True),
    ),
    since="0.2.0",
)
def absolute_timeout(session: Session, message: Message) -> Response:
    channel = required_channel(session, message.get("channel"))
    try:
        seconds = int(message.get("timeout") or "0")
    except ValueError:
        return error("No timeout specified")
    timer = channel.absolute_timeout
    if timer is not None:
        timer.cancel()  # type: ignore[attr-defined]
    channel.absolute_timeout = (
        session.manager.pbx.clock.call_later(
            seconds, lambda: channel.request_hangup(causes.NORMAL_CLEARING)
        )
        if seconds > 0
        else None
    )
    return success("Timeout Set")


@action(
    "Redirect",
    Privilege.CALL,
    "Redirect (transfer) a call.",
    description="Redirect (transfer) a call.",
    arguments=(
        Argument("Channel", "Channel to redirect.", True),
        Argument("ExtraChannel", "Second call leg to transfer (optional)."),
        Argument("Exten", "Extension to transfer to.", True),
        Argument("ExtraExten", "Extension to transfer extrachannel to (optional)."),
        Argument("Context", "Context to transfer to.", True),
        Argument("ExtraContext", "Context to transfer extrachannel to (optional)."),
        Argument("Priority", "Priority to transfer to.", True),
        Argument("ExtraPriority", "Priority to transfer extrachannel to (optional)."),
    ),
    since="0.2.0",
)
def redirect(session: Session, message: Message) -> Response:
    name = message.get("channel")
    if not name:
        return error("Channel not specified")
    channel = session.manager.pbx.find_channel(name)
    if channel is None:
        return error(f"Channel does not exist: {name}")
    legs = [(channel, message.get("context"), message.get("exten"), message.get("priority"))]
    extra_name = message.get("extrachannel")
    if extra_name:
        extra = session.manager.pbx.find_channel(extra_name)
        if extra is None:
            return error(f"ExtraChannel does not exist: {extra_name}")
        legs.append(
            (
                extra,
                message.get("extracontext") or legs[0][1],
                message.get("extraexten") or legs[0][2],
                message.get("extrapriority") or legs[0][3],
            )
        )
    for leg, context, exten, priority in legs:
        if not goto(leg, context or None, exten or None, priority or "1"):
            return error("Invalid priority")
        leg.redirect()
    return success("Redirect successful" if len(legs) == 1 else "Dual Redirect successful")
