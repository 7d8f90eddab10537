"""Bridges: two or more channels joined in one conversation, with an id, as Asterisk has them."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from . import media
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
        self.peak = 0
        self.ended = asyncio.Event()  # set when a bridge that held two drops below two
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
        self.peak = max(self.peak, len(self.channels))
        channel.bridge_id = self.uniqueid
        self.pbx.bus.publish(BridgeEntered(self.snapshot(), channel.snapshot()))
        self.wire_media()

    def leave(self, channel: Channel) -> None:
        if channel not in self.channels:
            return
        self.channels.remove(channel)
        channel.bridge_id = ""
        if channel.media is not None:
            media.disconnect(channel)
        self.wire_media()
        self.pbx.bus.publish(BridgeLeft(self.snapshot(), channel.snapshot()))
        if self.peak >= 2 and len(self.channels) < 2:
            self.ended.set()
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

    def wire_media(self) -> None:
        """Channels with media hear each other (no work at all for Local ones)."""
        for channel in self.channels:
            if channel.media is not None:
                media.connect_bridge(self.channels)
                return

    def peer(self, channel: Channel) -> Channel | None:
        """In a two-party bridge, the other channel."""
        others = [c for c in self.channels if c is not channel]
        return others[0] if len(others) == 1 else None


async def stay_in(bridge: Bridge, channel: Channel) -> None:
    """Join ``bridge`` until the channel hangs up, is taken elsewhere, or its peer leaves."""
    bridge.join(channel)
    waits = {
        asyncio.ensure_future(channel.hung_up.wait()),
        asyncio.ensure_future(channel.interrupted.wait()),
        asyncio.ensure_future(bridge.ended.wait()),
    }
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        bridge.leave(channel)
