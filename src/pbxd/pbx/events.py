"""What happens to channels and bridges, as immutable events on the PBX bus.

The manager turns these into AMI events; the PBX itself never formats AMI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .channel import ChannelSnapshot


@dataclass(frozen=True, slots=True)
class NewChannel:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class NewState:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class NewExten:
    """The dialplan ran ``application(data)`` at context/exten/priority."""

    channel: ChannelSnapshot
    application: str
    data: str


@dataclass(frozen=True, slots=True)
class VarSet:
    channel: ChannelSnapshot | None  # None: a global variable
    variable: str
    value: str


@dataclass(frozen=True, slots=True)
class CallerIdChanged:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class ConnectedLineChanged:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class AccountCodeChanged:
    channel: ChannelSnapshot
    old: str


@dataclass(frozen=True, slots=True)
class HangupRequested:
    channel: ChannelSnapshot
    cause: int
    soft: bool


@dataclass(frozen=True, slots=True)
class HungUp:
    channel: ChannelSnapshot
    cause: int


@dataclass(frozen=True, slots=True)
class DialBegin:
    caller: ChannelSnapshot | None  # None when the PBX itself dials (Originate)
    dest: ChannelSnapshot
    dialstring: str


@dataclass(frozen=True, slots=True)
class DialState:
    caller: ChannelSnapshot | None
    dest: ChannelSnapshot
    status: str


@dataclass(frozen=True, slots=True)
class DialEnd:
    caller: ChannelSnapshot | None
    dest: ChannelSnapshot
    status: str


@dataclass(frozen=True, slots=True)
class LocalBridge:
    one: ChannelSnapshot
    two: ChannelSnapshot
    context: str
    exten: str
    optimization: bool


@dataclass(frozen=True, slots=True)
class BridgeSnapshot:
    uniqueid: str
    type: str
    technology: str
    creator: str
    name: str
    num_channels: int
    video_source_mode: str = "none"


@dataclass(frozen=True, slots=True)
class BridgeCreated:
    bridge: BridgeSnapshot


@dataclass(frozen=True, slots=True)
class BridgeEntered:
    bridge: BridgeSnapshot
    channel: ChannelSnapshot
    swap: str = ""


@dataclass(frozen=True, slots=True)
class BridgeLeft:
    bridge: BridgeSnapshot
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class BridgeDestroyed:
    bridge: BridgeSnapshot


@dataclass(frozen=True, slots=True)
class DeviceStateChanged:
    device: str
    state: str


@dataclass(frozen=True, slots=True)
class Dtmf:
    channel: ChannelSnapshot
    digit: str
    direction: str  # "Received" or "Sent"
    begin: bool
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class UserEventRaised:
    """The UserEvent application: a dialplan-made AMI event."""

    channel: ChannelSnapshot | None
    name: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TextMessage:
    """Text sent to a channel in a call (SendText)."""

    channel: ChannelSnapshot
    text: str
    content_type: str
