"""PBX parking events turned into AMI events: ParkedCall, UnParkedCall, ParkedCallTimeOut and
ParkedCallGiveUp, with Asterisk 20's fields (a ``Parkee`` channel block, a ``Retriever`` block
when someone took the call, then the parking fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pbx import parking as pk
from .channel_events import channel_lines
from .privileges import Privilege

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


class ParkingEventTranslator:
    """Subscribed to the PBX bus next to the channel translator."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager

    @property
    def handles(self) -> frozenset[type]:
        """The bus event types this translator turns into AMI events."""
        return frozenset(EVENT_NAMES)

    def __call__(self, event: object) -> None:
        name = EVENT_NAMES.get(type(event))
        if name is not None:
            assert isinstance(event, pk.ParkingEvent)
            self.manager.hub.publish(name, CALL, parked_call_lines(event))
