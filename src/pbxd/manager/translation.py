"""The shape every bus-to-AMI translator shares: a table from bus event type to handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..pbx.bus import Bus


class TableTranslator:
    """Turns PBX bus events into AMI events through ``_table`` (bus event type -> handler)."""

    _table: dict[type, Callable[[Any], None]]

    def subscribe_to(self, bus: Bus) -> None:
        """Each handler subscribes to its own event type: no dispatch on every event."""
        for kind, handler in self._table.items():
            bus.subscribe(handler, (kind,))
