"""PBX parking events turned into AMI events: ParkedCall, UnParkedCall, ParkedCallTimeOut and
ParkedCallGiveUp, with Asterisk 20's fields (a ``Parkee`` channel block, a ``Retriever`` block
when someone took the call, then the parking fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..pbx import parking as pk
from .channel_events import channel_lines
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

CALL = int(Privilege.CALL)

#: The AMI event name of each bus event.
EVENT_NAMES: dict[type, str] = {
    pk.CallParked: "ParkedCall",
    pk.CallUnparked: "UnParkedCall",
    pk.ParkedCallTimedOut: "ParkedCallTimeOut",
    pk.ParkedCallGaveUp: "ParkedCallGiveUp",
}


def parked_call_lines(event: pk.ParkingEvent) -> list[str]:
    """The body Asterisk builds for every parked-call event (and ParkedCalls list items)."""
    lines = channel_lines(event.parkee, "Parkee")
    if event.retriever is not None:
        lines += channel_lines(event.retriever, "Retriever")
    lines += [
        f"ParkerDialString: {event.parker_dial_string}",
        f"Parkinglot: {event.lot}",
        f"ParkingSpace: {event.space}",
        f"ParkingTimeout: {event.timeout}",
        f"ParkingDuration: {event.duration}",
    ]
    return lines


class ParkingEventTranslator(TableTranslator):
    """Subscribed to the PBX bus next to the channel translator."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self._table = {kind: self._publisher(name) for kind, name in EVENT_NAMES.items()}

    def _publisher(self, name: str) -> Callable[[pk.ParkingEvent], None]:
        def publish(event: pk.ParkingEvent) -> None:
            self.manager.hub.publish(name, CALL, parked_call_lines(event))

        return publish
