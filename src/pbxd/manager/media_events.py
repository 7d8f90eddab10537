"""Media bus events as AMI events (class ``call``): Hold and Unhold (a channel's far end
holds the call: the channel block, then ``MusicClass`` when one was suggested), ChanSpyStart
and ChanSpyStop (the spyer's channel block prefixed ``Spyer``, then the spied one's
prefixed ``Spyee``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pbx.applications.chanspy import ChanSpyStarted, ChanSpyStopped
from ..pbx.media import HoldChanged
from .channel_events import channel_lines
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

CALL = int(Privilege.CALL)


class MediaEventTranslator(TableTranslator):
    def __init__(self, manager: Manager) -> None:
        self.hub = manager.hub
        self._table = {
            ChanSpyStarted: self.started,
            ChanSpyStopped: self.stopped,
            HoldChanged: self.hold,
        }

    def hold(self, event: HoldChanged) -> None:
        lines = channel_lines(event.channel)
        if event.held and event.music_class:
            lines.append(f"MusicClass: {event.music_class}")
        self.hub.publish("Hold" if event.held else "Unhold", CALL, lines)

    def started(self, event: ChanSpyStarted) -> None:
        lines = channel_lines(event.spyer, "Spyer") + channel_lines(event.spyee, "Spyee")
        self.hub.publish("ChanSpyStart", CALL, lines)

    def stopped(self, event: ChanSpyStopped) -> None:
        lines = channel_lines(event.spyer, "Spyer")
        if event.spyee is not None:
            lines += channel_lines(event.spyee, "Spyee")
        self.hub.publish("ChanSpyStop", CALL, lines)
