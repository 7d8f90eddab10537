"""Bus-to-AMI translators: how they subscribe to the PBX bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..pbx.bus import Bus


class TableTranslator:
    """Turns PBX bus events into AMI events through ``_table`` (bus event type -> handler)."""

    _table: dict[type, Callable[[Any], None]]


class Translator(Protocol):
    """Any other translator: called with every event of the types it ``handles``."""

    handles: frozenset[type]

    def __call__(self, event: Any) -> None: ...


def subscribe(bus: Bus, translator: TableTranslator | Translator) -> None:
    """A table translator's handlers subscribe one per event type (no dispatch on every
    event); any other translator subscribes once for the types it handles."""
    if isinstance(translator, TableTranslator):
        for kind, handler in translator._table.items():
            bus.subscribe(handler, (kind,))
    else:
        bus.subscribe(translator, translator.handles)
