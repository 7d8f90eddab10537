"""The shape every bus-to-AMI translator shares: a table from bus event type to handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class TableTranslator:
    """A PBX bus subscriber dispatching on the event's type through ``_table``."""

    _table: dict[type, Callable[[Any], None]]

    @property
    def handles(self) -> frozenset[type]:
        """The bus event types this translator turns into AMI events."""
        return frozenset(self._table)

    def __call__(self, event: object) -> None:
        handler = self._table.get(type(event))
        if handler is not None:
            handler(event)
