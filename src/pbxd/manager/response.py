"""What an action handler answers, and how it goes on the wire.

Header order, as Asterisk sends it: ``Response:``, ``ActionID:`` (only if the client sent
one), ``EventList:``, ``Message:``, then the action's own fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Fields = Sequence[tuple[str, str]]


class ActionError(Exception):
    """Raised by a handler to answer ``Response: Error`` with ``Message: <text>``."""

    def __init__(self, message: str, fields: Fields = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


@dataclass(slots=True)
class Response:
    """A handler's answer; ``events`` follow it to this session only (list items etc.).

    Treated as immutable (never changed once made), so constant answers are shared. A
    handler on the hot path may instead return a ``str``: the field lines of a Success
    answer, already rendered (``"Name: value\r\n"`` each).
    """

    kind: str = "Success"
    message: str | None = None
    fields: Fields = ()
    event_list: str | None = None
    events: tuple[tuple[str, Fields], ...] = ()
    close: bool = False
    classic_output: str | None = None  # AMI 1.0 Command body, ended by --END COMMAND--
    raw_events: tuple[str, ...] = ()  # events rendered by the handler, after ``events``
    raw_text: str | None = None  # an AMI 1.0 answer sent as is (no Response: header)

    def encode(self, action_id: str) -> bytes:
        if self.raw_text is not None:
            return self.raw_text.encode("utf-8", "surrogateescape")
        if self.classic_output is not None:
            head = "Response: Follows\r\nPrivilege: Command\r\n"
            if action_id:
                head += f"ActionID: {action_id}\r\n"
            text = head + self.classic_output + "--END COMMAND--\r\n\r\n"
            return text.encode("utf-8", "surrogateescape")
        text = (
            f"Response: {self.kind}\r\nActionID: {action_id}\r\n"
            if action_id
            else f"Response: {self.kind}\r\n"
        )
        if self.event_list:
            text += f"EventList: {self.event_list}\r\n"
        if self.message is not None:
            text += f"Message: {self.message}\r\n"
        if self.fields:
            text += "".join([f"{name}: {value}\r\n" for name, value in self.fields])
        text += "\r\n"
        for name, fields in self.events:
            text += session_event(name, action_id, fields)
        if self.raw_events:
            text += "".join(self.raw_events)
        return text.encode("utf-8", "surrogateescape")


def encode_success(body: str, action_id: str) -> bytes:
    """A Success answer whose field lines ``body`` a handler rendered itself."""
    if action_id:
        text = f"Response: Success\r\nActionID: {action_id}\r\n{body}\r\n"
    else:
        text = f"Response: Success\r\n{body}\r\n"
    return text.encode("utf-8", "surrogateescape")


def session_event(name: str, action_id: str, fields: Fields) -> str:
    """An event meant for one session: ``Event:``, ``ActionID:`` if any, fields."""
    lines = [f"Event: {name}"]
    if action_id:
        lines.append(f"ActionID: {action_id}")
    lines.extend(f"{key}: {value}" for key, value in fields)
    lines.append("\r\n")
    return "\r\n".join(lines)


def success(message: str | None = None, fields: Fields = ()) -> Response:
    return Response("Success", message, fields)


def error(message: str, fields: Fields = ()) -> Response:
    return Response("Error", message, fields)


def event_list(
    message: str,
    items: Iterable[tuple[str, Fields]],
    complete: str,
    extra: Fields = (),
) -> Response:
    """The list framing: ``EventList: start`` ... items ... ``<complete>`` with
    ``EventList: Complete`` and ``ListItems: N``, then ``extra`` fields."""
    events = list(items)
    tail: list[tuple[str, str]] = [("EventList", "Complete"), ("ListItems", str(len(events)))]
    tail.extend(extra)
    events.append((complete, tail))
    return Response("Success", message, (), "start", tuple(events))
