"""Bridges: two or more channels joined in one conversation, with an id, as Asterisk has them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from .events import BridgeCreated, BridgeDestroyed, BridgeEntered, BridgeLeft, BridgeSnapshot

if TYPE_CHECKING:
    from .channel import Channel
    from .core import PBX


class Bridge:
    def __init__(
        self,
        pbx: PBX,
        type: str = "basic",
        technology: str = "simple_bridge",
        creator: str = "",
        name: str = "",
    ) -> None:
        self.pbx = pbx
        self.uniqueid = str(uuid.uuid4())
        self.type, self.technology, self.creator, self.name = type, technology, creator, name
        self.channels: list[Channel] = []
        self.created = False
        self.destroyed = False
        pbx.bridges[self.uniqueid] = self

    def snapshot(self) -> BridgeSnapshot:
        return BridgeSnapshot(
            self.uniqueid, self.type, self.technology, self.creator, self.name, len(self.channels)
        )

    def join(self, channel: Channel) -> None:
        """Put ``channel`` in the bridge (it leaves any bridge it was in)."""
        if channel.bridge_id and channel.bridge_id != self.uniqueid:
            other = self.pbx.bridges.get(channel.bridge_id)
            if other is not None:
                other.leave(channel)
        if not self.created:
            self.created = True
            self.pbx.bus.publish(BridgeCreated(self.snapshot()))
        self.channels.append(channel)
        channel.bridge_id = self.uniqueid
        self.pbx.bus.publish(BridgeEntered(self.snapshot(), channel.snapshot()))

    def leave(self, channel: Channel) -> None:
        if channel not in self.channels:
            return
        self.channels.remove(channel)
        channel.bridge_id = ""
        self.pbx.bus.publish(BridgeLeft(self.snapshot(), channel.snapshot()))
        if not self.channels:
            self.destroy()

    def destroy(self) -> None:
        """Everyone leaves; the bridge is gone."""
        if self.destroyed:
            return
        for channel in list(self.channels):
            self.leave(channel)
        self.destroyed = True
        self.pbx.bridges.pop(self.uniqueid, None)
        if self.created:
            self.pbx.bus.publish(BridgeDestroyed(self.snapshot()))

    def peer(self, channel: Channel) -> Channel | None:
        """In a two-party bridge, the other channel."""
        others = [c for c in self.channels if c is not channel]
        return others[0] if len(others) == 1 else None
