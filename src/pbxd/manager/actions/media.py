"""Actions on a live channel's media and signalling: PlayDTMF, SendText, CoreShowChannelMap."""

from __future__ import annotations

from ...pbx.events import Dtmf, TextMessage
from ...pbx.features import receive_dtmf
from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, event_list, success
from ..session import Session

DTMF_DIGITS = set("0123456789*#ABCDabcdwW")


@action(
    "PlayDTMF",
    Privilege.CALL,
    "Play DTMF signal on a specific channel.",
    description="Plays a dtmf digit on the specified channel.",
    arguments=(
        Argument("Channel", "Channel name to send digit to.", True),
        Argument("Digit", "The DTMF digit to play.", True),
        Argument("Duration", "The duration, in milliseconds, of the digit to be played."),
        Argument("Receive", "Emulate receiving DTMF on this channel instead of sending it out."),
    ),
    since="1.2.0",
)
def play_dtmf(session: Session, message: Message) -> Response:
    channel = session.manager.pbx.find_channel(message.get("channel"))
    if channel is None:
        return error("Channel not found")
    digit = message.get("digit")
    if not digit:
        return error("No digit specified")
    if digit[0] not in DTMF_DIGITS:
        return error("Invalid digit specified")
    duration_text = message.get("duration")
    duration = int(duration_text) if duration_text.isdigit() else 100
    received = message.get("receive").lower() in ("yes", "true", "y", "t", "1", "on")
    if received:
        receive_dtmf(channel, digit[0], duration)  # feature codes of a bridged channel
        return success("DTMF successfully queued")
    direction = "Sent"
    snapshot = channel.snapshot()
    channel.publish(Dtmf(snapshot, digit[0], direction, True))
    channel.publish(Dtmf(snapshot, digit[0], direction, False, duration))
    if channel.media is not None and digit[0] not in "wW":  # a SIP call: RFC 4733 events
        channel.media.play_digit(digit[0], duration, received)
    return success("DTMF successfully queued")


@action(
    "SendText",
    Privilege.CALL,
    "Sends a text message to channel. A content type\tcan be optionally specified. If not set "
    "it is set to an empty string allowing a custom handler to default it as it sees fit.",
    description="Sends A Text Message to a channel while in a call.",
    arguments=(
        Argument("Channel", "Channel to send message to.", True),
        Argument("Message", "Message to send.", True),
        Argument("Content-Type", "The type of content in the message"),
    ),
    since="1.2.0",
)
def send_text(session: Session, message: Message) -> Response:
    name = message.get("channel")
    if not name:
        return error("No channel specified")
    text = message.get("message")
    if not text:
        return error("No Message specified")
    channel = session.manager.pbx.find_channel(name)
    if channel is None:
        return error("No such channel")
    channel.publish(TextMessage(channel.snapshot(), text, message.get("content-type")))
    return success("Success")


@action(
    "CoreShowChannelMap",
    Privilege.SYSTEM | Privilege.REPORTING,
    "List all channels connected to the specified channel.",
    description="List each channel that is connected to the specified channel.",
    arguments=(
        Argument("Channel", "The channel to get the mapping for. Requires a channel name.", True),
    ),
    since="18.21.0",
    list_responses=("CoreShowChannelMap",),
    final_response="CoreShowChannelMapComplete",
)
def core_show_channel_map(session: Session, message: Message) -> Response:
    name = message.get("channel")
    if not name:
        return error("CoreShowChannelMap requires a channel.\n")
    pbx = session.manager.pbx
    channel = pbx.find_channel(name)
    if channel is None:
        return error("Could not get channel map for " + name)
    connected = []
    seen = {channel.name}
    frontier = [channel]
    while frontier:  # follow bridges, as far as they reach
        current = frontier.pop()
        bridge = pbx.bridges.get(current.bridge_id)
        for peer in bridge.channels if bridge is not None else ():
            if peer.name not in seen:
                seen.add(peer.name)
                connected.append(peer.name)
                frontier.append(peer)
    items = [
        ("CoreShowChannelMap", [("Channel", channel.name), ("ConnectedChannel", c)])
        for c in connected
    ]
    return event_list("Channel map will follow", items, "CoreShowChannelMapComplete")
