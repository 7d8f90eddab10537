"""The shape every bus-to-AMI translator shares: a table from bus event type to handler."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..pbx.bus import Bus


class TableTranslator:
    """Turns PBX bus events into AMI events through ``_table`` (bus event type -> handler)."""

    _table: dict[type, Callable[[Any], None]]
    #: True when a handler only publishes: it may be skipped while nobody could receive
    stateless = True

    def subscribe_to(self, bus: Bus, receivers: Collection[object] | None = None) -> None:
        """Each handler subscribes to its own event type: no dispatch on every event. With
        ``receivers`` (the hub's sessions, a live collection), a stateless translator builds
        nothing while it is empty, as Asterisk skips manager events without listeners."""
        for kind, handler in self._table.items():
            if receivers is not None and self.stateless:
                handler = _while_listened(handler, receivers)
            bus.subscribe(handler, (kind,))


def _while_listened(
    handler: Callable[[Any], None], receivers: Collection[object]
) -> Callable[[Any], None]:
    def translate(event: Any) -> None:
        if receivers:
            handler(event)

    return translate
