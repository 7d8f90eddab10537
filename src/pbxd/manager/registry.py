"""The action registry: one entry per action carries its privilege, parameters and docs.

ListCommands, the permission check, ``manager show command(s)`` and the docs all read it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .privileges import format_mask

if TYPE_CHECKING:
    from ..protocol import Message
    from .response import Response
    from .session import Session

#: A handler answers with a Response, a str (the rendered fields of a Success answer, for
#: the hot path), an awaitable of a Response (the session waits, in order), or None.
Handler = Callable[["Session", "Message"], "Response | str | Awaitable[Response] | None"]


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    text: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    handler: Handler
    privilege: int
    synopsis: str
    description: str = ""
    arguments: tuple[Argument, ...] = ()
    since: str = ""
    see_also: tuple[str, ...] = ()
    list_responses: tuple[str, ...] = ()
    final_response: str | None = None
    before_login: bool = False  # Login, Logoff and Challenge run unauthenticated
    provided_by: str = "builtin"  # the module that registered it, as Asterisk names it

    @property
    def privilege_text(self) -> str:
        return format_mask(self.privilege)

    def syntax(self) -> list[str]:
        """``Action: X`` then one line per argument, optional ones in brackets."""
        lines = [f"Action: {self.name}", "[ActionID:] <value>"]
        for arg in self.arguments:
            label = f"{arg.name}:" if arg.required else f"[{arg.name}:]"
            lines.append(f"{label} <value>")
        return lines


class ActionRegistry:
    """Actions by name, looked up case-insensitively."""

    def __init__(self) -> None:
        self._by_key: dict[str, ActionSpec] = {}

    def add(self, spec: ActionSpec) -> None:
        key = spec.name.lower()
        if key in self._by_key:
            raise ValueError(f"action {spec.name} registered twice")
        self._by_key[key] = spec

    def action(
        self, name: str, privilege: int, synopsis: str, **docs: Any
    ) -> Callable[[Handler], Handler]:
        """Decorator registering ``handler`` as action ``name``."""

        def register(handler: Handler) -> Handler:
            self.add(ActionSpec(name, handler, int(privilege), synopsis, **docs))
            return handler

        return register

    def lookup(self, name: str) -> ActionSpec | None:
        return self._by_key.get(name.lower())

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(sorted(self._by_key.values(), key=lambda spec: spec.name.lower()))

    def __len__(self) -> int:
        return len(self._by_key)


#: The registry the server uses; action modules register into it on import.
ACTIONS = ActionRegistry()
action = ACTIONS.action
