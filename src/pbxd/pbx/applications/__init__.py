"""Dialplan applications in one registry: name, synopsis, syntax, and an async handler.

A handler gets the channel and its argument string (variables already substituted) and
returns when the application is done; ``Goto``-like applications move the channel with
``channel_goto``. Importing this package registers the built-in applications.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..channel import Channel

AppHandler = Callable[["Channel", str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Application:
    name: str
    handler: AppHandler
    synopsis: str
    syntax: str = ""
    description: str = ""


class ApplicationRegistry:
    def __init__(self) -> None:
        self._by_key: dict[str, Application] = {}

    def register(
        self, name: str, synopsis: str, syntax: str = "", description: str = ""
    ) -> Callable[[AppHandler], AppHandler]:
        def add(handler: AppHandler) -> AppHandler:
            key = name.lower()
            if key in self._by_key:
                raise ValueError(f"application {name} registered twice")
            self._by_key[key] = Application(
                name, handler, synopsis, syntax or f"{name}()", description
            )
            return handler

        return add

    def get(self, name: str) -> Application | None:
        return self._by_key.get(name.lower())

    def __iter__(self) -> Iterator[Application]:
        return iter(sorted(self._by_key.values(), key=lambda app: app.name.lower()))

    def __len__(self) -> int:
        return len(self._by_key)


#: The registry the PBX uses; application modules register into it on import.
APPLICATIONS = ApplicationRegistry()
application = APPLICATIONS.register


def split_args(data: str) -> list[str]:
    """Asterisk's argument split: commas, not inside quotes, brackets or parentheses;
    a backslash escapes the next character."""
    args: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in data:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif quoted:
            current.append(char)
        elif char in "([{":
            depth += 1
            current.append(char)
        elif char in ")]}":
            depth = max(depth - 1, 0)
            current.append(char)
        elif char == "," and depth == 0:
            args.append("".join(current))
            current = []
        else:
            current.append(char)
    args.append("".join(current))
    return args


from . import (  # noqa: E402,F401  (registers the built-in applications)
    basic,
    bridging,
    dial,
    flow,
    media,
    parking,
    queue,
    recording,
    system,
    voicemail,
)
