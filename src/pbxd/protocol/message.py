"""An AMI message: ordered header lines, looked up case-insensitively."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


class Message:
    """Header lines as the sender wrote them, in order, repeated names kept.

    A header line is ``Name: value``; lookups ignore the name's case and skip
    blanks after the colon, keeping trailing ones (as Asterisk does). Lines
    without a colon are kept (``lines``) but never match a name. ``error`` is set
    by the decoder when the message broke a framing limit.
    """

    __slots__ = ("lines", "error", "_index")

    def __init__(self, lines: list[str], error: str | None = None) -> None:
        self.lines = lines
        self.error = error
        self._index: dict[str, str] | None = None

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Message:
        return cls([f"{name}: {value}" for name, value in pairs])

    def _build_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for line in reversed(self.lines):  # the first of repeated names wins
            name, sep, value = line.partition(":")
            if sep:
                index[name.lower()] = value
        self._index = index
        return index

    def head(self) -> tuple[str, str]:
        """(Action, ActionID) in one pass: the first non-empty ``Action:`` and the first
        ``ActionID:``; "" when absent. The hot path of every request."""
        lines = self.lines
        if len(lines) == 2:  # the commonest request of all: Action, then ActionID
            first, second = lines
            if first[:7] == "Action:" and second[:9] == "ActionID:":
                action = first[7:].lstrip(" \t")
                if action:
                    return action, second[9:].lstrip(" \t")
        action = ""
        action_id: str | None = None
        for line in lines:
            head = line[:7]
            if head == "Action:":  # the usual spellings first: no case folding needed
                if not action:
                    action = line[7:].lstrip(" \t")
                continue
            if head == "ActionI" and line[7:9] == "D:":
                if action_id is None:
                    action_id = line[9:].lstrip(" \t")
                continue
            first = line[:1]
            if first == "A" or first == "a":
                name = line[:9].lower()
                if name == "actionid:":
                    if action_id is None:
                        action_id = line[9:].lstrip(" \t")
                elif name[:7] == "action:" and not action:
                    action = line[7:].lstrip(" \t")
        return action, action_id or ""

    def get(self, name: str, default: str = "") -> str:
        """The first value of header ``name`` (case-insensitive), or ``default``."""
        index = self._index
        if index is None:
            index = self._build_index()
        value = index.get(name.lower())
        return default if value is None else value.lstrip(" \t")

    def __contains__(self, name: str) -> bool:
        index = self._index
        if index is None:
            index = self._build_index()
        return name.lower() in index

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` in order (``Variable:`` may repeat)."""
        key = name.lower()
        values = []
        for line in self.lines:
            head, sep, value = line.partition(":")
            if sep and head.lower() == key:
                values.append(value.lstrip(" \t"))
        return values

    def items(self) -> Iterator[tuple[str, str]]:
        """(name, value) pairs in order, names spelled as sent."""
        for line in self.lines:
            name, sep, value = line.partition(":")
            if sep:
                yield name, value.lstrip(" \t")

    def __repr__(self) -> str:
        return f"Message({self.lines!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Message) and other.lines == self.lines and other.error == self.error
        )

    __hash__ = None  # type: ignore[assignment]
