"""Bridges: two or more channels joined in one conversation, with an id, as Asterisk has them.

A basic bridge dissolves when a party leaves a two-party call: everyone else leaves too. A
channel may also be moved to another bridge, bridges merged and a party kicked out without
dissolving anything (transfers); whoever waits on a channel in a bridge (``stay_bridged``)
follows it from bridge to bridge until it leaves the last one.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from . import causes, media
from .engine import run_dialplan
from .events import BridgeCreated, BridgeDestroyed, BridgeEntered, BridgeLeft, BridgeSnapshot
from .flag import Flag, wait_any

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
        self.dissolves = True  # False while a transfer holds the bridge together
        self.ended = Flag()  # set when the bridge dissolves: everyone in it leaves
        self._departures: dict[Channel, Flag] = {}
        pbx.bridges[self.uniqueid] = self

    def snapshot(self) -> BridgeSnapshot:
        return BridgeSnapshot(
            self.uniqueid, self.type, self.technology, self.creator, self.name, len(self.channels)
        )

    def join(self, channel: Channel, swap: str = "") -> None:
        """Put ``channel`` in the bridge (it leaves any bridge it was in, without dissolving it)."""
        if channel.bridge_id and channel.bridge_id != self.uniqueid:
            other = self.pbx.bridges.get(channel.bridge_id)
            if other is not None:
                other.leave(channel, dissolve=False)
        if not self.created:
            self.created = True
            self.pbx.bus.publish(BridgeCreated(self.snapshot()))
        self.channels.append(channel)
        self.peak = max(self.peak, len(self.channels))
        channel.bridge_id = self.uniqueid
        self.pbx.bus.publish(BridgeEntered(self.snapshot(), channel.snapshot(), swap))
        self.wire_media()

    def leave(self, channel: Channel, dissolve: bool = True) -> None:
        """Take ``channel`` out; a two-party call it leaves dissolves unless ``dissolve`` is
        False (a move, a transfer's kick) or a transfer holds the bridge."""
        if channel not in self.channels:
            return
        self.channels.remove(channel)
        channel.bridge_id = ""
        if channel.media is not None:
            media.disconnect(channel)
        self.wire_media()
        self.pbx.bus.publish(BridgeLeft(self.snapshot(), channel.snapshot()))
        departed = self._departures.pop(channel, None)
        if departed is not None:
            departed.set()
        if dissolve and self.dissolves and self.peak >= 2 and len(self.channels) < 2:
            self.ended.set()
        if not self.channels and self.dissolves:
            self.destroy()  # a bridge a transfer holds stays until the transfer ends it

    def departure(self, channel: Channel) -> Flag:
        """A flag set when ``channel`` leaves this bridge."""
        flag = self._departures.get(channel)
        if flag is None:
            flag = self._departures[channel] = Flag()
        return flag

    def merge_into(self, other: Bridge, kick: tuple[Channel, ...] = ()) -> None:
        """Everyone here moves to ``other``; the ``kick`` channels leave and are hung up."""
        for channel in list(self.channels):
            if channel in kick:
                self.leave(channel, dissolve=False)
                channel.request_hangup(causes.NORMAL_CLEARING)
            else:
                other.join(channel)

    def dissolve(self) -> None:
        """End the call: everyone waiting in the bridge leaves it."""
        self.ended.set()

    def destroy(self) -> None:
        """Everyone leaves; the bridge is gone."""
        if self.destroyed:
            return
        self.ended.set()
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


async def stay_bridged(channel: Channel) -> None:
    """Until the channel hangs up, is taken elsewhere (a redirect, a diversion) or the bridge it
    is in dissolves; a move to another bridge carries on there. Then it is out of any bridge."""
    pbx = channel.pbx
    while True:
        bridge = pbx.bridges.get(channel.bridge_id)
        if bridge is None:
            return
        departed = bridge.departure(channel)
        await wait_any((channel.hung_up, channel.interrupted, bridge.ended, departed))
        if departed.is_set() and not channel.hangup_requested and not channel.interrupted.is_set():
            continue  # moved: follow it
        current = pbx.bridges.get(channel.bridge_id)
        if current is not None:
            current.leave(channel)
        return


async def stay_in(bridge: Bridge, channel: Channel) -> None:
    """Join ``bridge`` and stay bridged (see ``stay_bridged``)."""
    bridge.join(channel)
    await stay_bridged(channel)


async def run_imparted(channel: Channel) -> None:
    """A channel in a bridge that nothing else drives (Dial's callee, a transfer target): it
    stays bridged; then it runs where it was sent (a diversion, a redirect) or is hung up."""
    await stay_bridged(channel)
    if not channel.hangup_requested and channel.diversion is not None:
        await channel.run_diversion()
    if channel.jumped and not channel.hangup_requested:
        channel.interrupted.clear()
        await run_dialplan(channel)
        return
    if not channel.hangup_requested:
        channel.request_hangup(causes.NORMAL_CLEARING)
    channel.pbx.destroy_channel(channel)
