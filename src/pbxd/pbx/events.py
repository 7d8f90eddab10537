"""What happens to channels and bridges, as immutable events on the PBX bus.

The manager turns these into AMI events; the PBX itself never formats AMI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .channel import ChannelSnapshot


class NewChannel(NamedTuple):
    channel: ChannelSnapshot


class NewState(NamedTuple):
    channel: ChannelSnapshot


class NewExten(NamedTuple):
    """The dialplan ran ``application(data)`` at context/exten/priority."""

    channel: ChannelSnapshot
    application: str
    data: str


class VarSet(NamedTuple):
    channel: ChannelSnapshot | None  # None: a global variable
    variable: str
    value: str


class CallerIdChanged(NamedTuple):
    channel: ChannelSnapshot


class ConnectedLineChanged(NamedTuple):
    channel: ChannelSnapshot


class AccountCodeChanged(NamedTuple):
    channel: ChannelSnapshot
    old: str


class HangupRequested(NamedTuple):
    channel: ChannelSnapshot
    cause: int
    soft: bool


class HungUp(NamedTuple):
    channel: ChannelSnapshot
    cause: int


class DialBegin(NamedTuple):
    caller: ChannelSnapshot | None  # None when the PBX itself dials (Originate)
    dest: ChannelSnapshot
    dialstring: str


class Progressed(NamedTuple):
    """The channel indicated progress before answering: early media may flow (a SIP
    caller gets 183 Session Progress with SDP)."""

    channel: ChannelSnapshot


class DialState(NamedTuple):
    caller: ChannelSnapshot | None
    dest: ChannelSnapshot
    status: str


class DialEnd(NamedTuple):
    caller: ChannelSnapshot | None
    dest: ChannelSnapshot
    status: str


class LocalBridge(NamedTuple):
    one: ChannelSnapshot
    two: ChannelSnapshot
    context: str
    exten: str
    optimization: bool


class BridgeSnapshot(NamedTuple):
    uniqueid: str
    type: str
    technology: str
    creator: str
    name: str
    num_channels: int
    video_source_mode: str = "none"


class BridgeCreated(NamedTuple):
    bridge: BridgeSnapshot


class BridgeEntered(NamedTuple):
    bridge: BridgeSnapshot
    channel: ChannelSnapshot
    swap: str = ""


class BridgeLeft(NamedTuple):
    bridge: BridgeSnapshot
    channel: ChannelSnapshot


class BridgeDestroyed(NamedTuple):
    bridge: BridgeSnapshot


class DeviceStateChanged(NamedTuple):
    device: str
    state: str


class Dtmf(NamedTuple):
    channel: ChannelSnapshot
    digit: str
    direction: str  # "Received" or "Sent"
    begin: bool
    duration_ms: int = 0


class UserEventRaised(NamedTuple):
    """The UserEvent application: a dialplan-made AMI event."""

    channel: ChannelSnapshot | None
    name: str
    fields: tuple[tuple[str, str], ...]


class TextMessage(NamedTuple):
    """Text sent to a channel in a call (SendText)."""

    channel: ChannelSnapshot
    text: str
    content_type: str
