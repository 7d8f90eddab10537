"""The PBX's own event bus: typed, immutable events, delivered synchronously in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Subscriber = Callable[[Any], None]


class Bus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event; returns the unsubscribe function."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: object) -> None:
        for subscriber in list(self._subscribers):
            subscriber(event)


@dataclass(frozen=True, slots=True)
class Reloaded:
    """A module's configuration was reloaded (``module`` "" means everything)."""

    module: str
    status: str


@dataclass(frozen=True, slots=True)
class ShuttingDown:
    restart: bool
    cleanly: bool = True
