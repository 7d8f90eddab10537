"""SIP bus events turned into AMI events: PeerStatus and Registry (class ``system``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sip.events import PeerStatusChanged, RegistryChanged
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

SYSTEM = int(Privilege.SYSTEM)


class SipEventTranslator(TableTranslator):
    def __init__(self, manager: Manager) -> None:
        self.hub = manager.hub
        self._table = {PeerStatusChanged: self.peer_status, RegistryChanged: self.registry}

    def peer_status(self, event: PeerStatusChanged) -> None:
        lines = ["ChannelType: SIP", f"Peer: SIP/{event.peer}", f"PeerStatus: {event.status}"]
        if event.address:
            lines.append(f"Address: {event.address}")
        if event.cause:
            lines.append(f"Cause: {event.cause}")
        if event.time is not None:
            lines.append(f"Time: {event.time}")
        self.hub.publish("PeerStatus", SYSTEM, lines)

    def registry(self, event: RegistryChanged) -> None:
        lines = [
            "ChannelType: SIP",
            f"Username: {event.username}",
            f"Domain: {event.domain}",
            f"Status: {event.status}",
        ]
        if event.cause:
            lines.append(f"Cause: {event.cause}")
        self.hub.publish("Registry", SYSTEM, lines)
