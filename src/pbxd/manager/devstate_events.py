"""Hint state changes turned into ExtensionStatus events (class ``call``).

AMI 9 carries Exten, Context, Hint, Status and StatusText; the classic dialect the 1.4
form (Exten, Context, Status). DeviceStateChange itself is the channel translator's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..pbx.hints import ExtensionStateChanged
from .actions.extensions import extension_fields
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

CALL = int(Privilege.CALL)


class ExtensionStatusTranslator(TableTranslator):
    """Subscribed to the PBX bus next to the channel translator."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.classic = manager.settings.classic
        self._table: dict[type, Callable[[ExtensionStateChanged], None]] = {
            ExtensionStateChanged: self._extension_status
        }

    def _extension_status(self, event: ExtensionStateChanged) -> None:
        fields = extension_fields(event.exten, event.context, event.hint, event.status)
        if self.classic:
            fields = [fields[0], fields[1], fields[3]]
        self.manager.hub.publish("ExtensionStatus", CALL, [f"{k}: {v}" for k, v in fields])
