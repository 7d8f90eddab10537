"""Holds and transfers on the PBX bus turned into AMI events: Hold, Unhold, AttendedTransfer
and BlindTransfer, with Asterisk 20's headers and their order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..pbx import transfer_events as te
from .channel_events import bridge_lines, channel_lines, channelvar_lines
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

CALL = int(Privilege.CALL)


def attended_transfer_lines(event: te.AttendedTransferred) -> list[str]:
    lines = [f"Result: {event.result}"]
    lines += channel_lines(event.orig_transferer, "OrigTransferer")
    if event.orig_bridge is not None:
        lines += bridge_lines(event.orig_bridge, "Orig")
    lines += channel_lines(event.second_transferer, "SecondTransferer")
    if event.second_bridge is not None:
        lines += bridge_lines(event.second_bridge, "Second")
    if event.transferee is not None:
        lines += channel_lines(event.transferee, "Transferee")
    if event.target is not None:
        lines += channel_lines(event.target, "TransferTarget")
    lines.append(f"IsExternal: {'Yes' if event.external else 'No'}")
    lines.append(f"DestType: {event.dest_type}")
    if event.dest_type in ("Bridge", "Threeway"):
        lines.append(f"DestBridgeUniqueid: {event.dest_bridge}")
    if event.dest_type == "Threeway":
        lines.append(f"DestTransfererChannel: {event.dest_transferer}")
    return lines


def blind_transfer_lines(event: te.BlindTransferred) -> list[str]:
    lines = [f"Result: {event.result}"]
    lines += channel_lines(event.transferer, "Transferer")
    if event.transferee is not None:
        lines += channel_lines(event.transferee, "Transferee")
    if event.bridge is not None:
        lines += bridge_lines(event.bridge)
    lines += [
        f"IsExternal: {'Yes' if event.external else 'No'}",
        f"Context: {event.context}",
        f"Extension: {event.exten}",
    ]
    return lines


class TransferEventTranslator(TableTranslator):
    """Subscribed to the PBX bus next to the channel translator."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self._table: dict[type, Callable[[Any], None]] = {
            te.Held: self._held,
            te.Unheld: self._unheld,
            te.AttendedTransferred: self._attended,
            te.BlindTransferred: self._blind,
        }

    def _held(self, event: te.Held) -> None:
        lines = channel_lines(event.channel) + channelvar_lines(self.manager, event.channel)
        if event.music_class:
            lines.append(f"MusicClass: {event.music_class}")
        self.manager.hub.publish("Hold", CALL, lines)

    def _unheld(self, event: te.Unheld) -> None:
        lines = channel_lines(event.channel) + channelvar_lines(self.manager, event.channel)
        self.manager.hub.publish("Unhold", CALL, lines)

    def _attended(self, event: te.AttendedTransferred) -> None:
        self.manager.hub.publish("AttendedTransfer", CALL, attended_transfer_lines(event))

    def _blind(self, event: te.BlindTransferred) -> None:
        self.manager.hub.publish("BlindTransfer", CALL, blind_transfer_lines(event))
