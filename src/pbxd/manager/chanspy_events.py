"""ChanSpy's bus events as AMI events: ChanSpyStart and ChanSpyStop (class ``call``), the
spyer's channel block prefixed ``Spyer``, then the spied one's prefixed ``Spyee``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pbx.applications.chanspy import ChanSpyStarted, ChanSpyStopped
from .channel_events import channel_lines
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

CALL = int(Privilege.CALL)


class ChanSpyEventTranslator(TableTranslator):
    def __init__(self, manager: Manager) -> None:
        self.hub = manager.hub
        self._table = {ChanSpyStarted: self.started, ChanSpyStopped: self.stopped}

    def started(self, event: ChanSpyStarted) -> None:
        lines = channel_lines(event.spyer, "Spyer") + channel_lines(event.spyee, "Spyee")
        self.hub.publish("ChanSpyStart", CALL, lines)

    def stopped(self, event: ChanSpyStopped) -> None:
        lines = channel_lines(event.spyer, "Spyer")
        if event.spyee is not None:
            lines += channel_lines(event.spyee, "Spyee")
        self.hub.publish("ChanSpyStop", CALL, lines)
