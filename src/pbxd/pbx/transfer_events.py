"""Bus events of holds and transfers (the manager turns them into Hold, Unhold,
AttendedTransfer and BlindTransfer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .channel import ChannelSnapshot
    from .events import BridgeSnapshot


class Held(NamedTuple):
    """The channel put its peers on hold (as a transferer does when it starts)."""

    channel: ChannelSnapshot
    music_class: str = ""


class Unheld(NamedTuple):
    channel: ChannelSnapshot


class AttendedTransferred(NamedTuple):
    """An attended transfer ended: ``dest_type`` Bridge, Threeway or Fail."""

    result: str
    orig_transferer: ChannelSnapshot
    orig_bridge: BridgeSnapshot | None
    second_transferer: ChannelSnapshot
    second_bridge: BridgeSnapshot | None
    transferee: ChannelSnapshot | None
    target: ChannelSnapshot | None
    dest_type: str
    dest_bridge: str = ""
    dest_transferer: str = ""
    external: bool = False


class BlindTransferred(NamedTuple):
    result: str
    transferer: ChannelSnapshot
    transferee: ChannelSnapshot | None
    bridge: BridgeSnapshot | None
    context: str
    exten: str
    external: bool
