"""The PBX's own event bus: typed, immutable events, delivered synchronously in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Subscriber = Callable[[Any], None]


class Bus:
    """Subscribers are called in the order they subscribed; one that names the event types
    it handles is only called for those (the route per type is worked out once)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[Subscriber, frozenset[type] | None]] = []
        self._routes: dict[type, tuple[Subscriber, ...]] = {}

    def subscribe(
        self, subscriber: Subscriber, types: Iterable[type] | None = None
    ) -> Callable[[], None]:
        """Call ``subscriber`` with every event (of ``types``); returns the unsubscribe."""
        entry = (subscriber, frozenset(types) if types is not None else None)
        self._subscribers.append(entry)
        self._routes.clear()

        def unsubscribe() -> None:
            self._subscribers.remove(entry)
            self._routes.clear()

        return unsubscribe

    def publish(self, event: object) -> None:
        kind = type(event)
        route = self._routes.get(kind)
        if route is None:
            route = self._routes[kind] = tuple(
                subscriber
                for subscriber, types in self._subscribers
                if types is None or kind in types
            )
        for subscriber in route:
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
