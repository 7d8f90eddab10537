"""Event filters: manager.conf ``eventfilter`` lines and the Filter action.

Legacy form: ``eventfilter = <regex>`` lets through events whose text matches;
``eventfilter = !<regex>`` stops those that match. Advanced form:
``eventfilter(action(include|exclude),name(<Event>),header(<Header>),method(<how>)) = <value>``
where ``how`` is regex, exact, starts_with, ends_with, contains or none.

With no filters every event passes. With include filters only, an event passes if one
matches; with exclude filters only, if none matches; with both, it must match an include
and no exclude.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .events import AmiEvent

METHODS = ("regex", "exact", "starts_with", "ends_with", "contains", "none")
_ADVANCED_PART = re.compile(r"(\w+)\(([^()]*)\)")


class FilterError(ValueError):
    """A filter that cannot be understood; the message says why."""


@dataclass(frozen=True, slots=True)
class EventFilter:
    include: bool
    event_name: str | None  # only events of exactly this name
    header: str | None  # match this header's value (name case-sensitive) instead of the whole text
    method: str
    value: str
    _test: Callable[[str], bool] = field(repr=False, compare=False)

    def matches(self, event: AmiEvent) -> bool:
        if self.event_name is not None and event.name != self.event_name:
            return False
        if self.header is None:
            return self.method == "none" or self._test(event.text)
        prefix = self.header if self.header.endswith(":") else self.header + ":"
        lines = event.text.split("\r\n")
        for line in lines:
            if line.startswith(prefix):
                value = line[len(prefix) :].lstrip(" \t")
                if value and (self.method == "none" or self._test(value)):
                    return True
        return False


def _tester(method: str, value: str) -> Callable[[str], bool]:
    if method == "regex":
        try:
            search = re.compile(value).search
        except re.error as exc:
            raise FilterError(f"invalid regular expression '{value}': {exc}") from None
        return lambda text: search(text) is not None
    if method == "exact":
        return lambda text: text == value
    if method == "starts_with":
        return lambda text: text.startswith(value)
    if method == "ends_with":
        return lambda text: text.endswith(value)
    if method == "contains":
        return lambda text: value in text
    return lambda text: True


def parse_legacy(text: str) -> EventFilter:
    """``<regex>`` or ``!<regex>``, matched against the whole event text."""
    include = not text.startswith("!")
    pattern = text if include else text[1:]
    return EventFilter(include, None, None, "regex", pattern, _tester("regex", pattern))


def parse_advanced(key: str, value: str) -> EventFilter:
    """The parenthesised ``eventfilter(...)`` key with its value.

    The method defaults to ``none``, which needs an empty value and a name or header; any
    other method needs a value. A leading ``!`` on the value excludes, unless ``action()``
    says otherwise.
    """
    spec = key.strip()[len("eventfilter") :].strip()
    if not (spec.startswith("(") and spec.endswith(")")):
        raise FilterError(f"malformed eventfilter '{key}'")
    parts: dict[str, str | None] = dict.fromkeys(("action", "name", "header", "method"))
    inner = spec[1:-1]
    if _ADVANCED_PART.sub("", inner).replace(",", "").strip():
        raise FilterError(f"malformed eventfilter '{key}'")
    for part, arg in _ADVANCED_PART.findall(inner):
        part = part.lower()
        if part not in parts:
            raise FilterError(f"unknown eventfilter part '{part}' in '{key}'")
        parts[part] = arg.strip()
    include = not value.startswith("!")
    if not include:
        value = value[1:]
    if parts["action"] is not None:
        action = parts["action"].lower()
        if action not in ("include", "exclude"):
            raise FilterError(f"eventfilter action must be include or exclude, not '{action}'")
        include = action == "include"
    method = (parts["method"] or "none").lower()
    if method not in METHODS:
        raise FilterError(f"eventfilter method must be one of {', '.join(METHODS)}")
    name, header = parts["name"] or None, parts["header"] or None
    if method == "none":
        if value:
            raise FilterError(f"eventfilter '{key}' has a value but no method to match it with")
        if name is None and header is None:
            raise FilterError(f"eventfilter '{key}' needs name(), header() or a value")
    elif not value:
        raise FilterError(f"eventfilter '{key}' uses method {method} but has no value")
    return EventFilter(include, name, header, method, value, _tester(method, value))


class EventFilters:
    """The include and exclude filters of one session."""

    __slots__ = ("includes", "excludes")

    def __init__(self) -> None:
        self.includes: list[EventFilter] = []
        self.excludes: list[EventFilter] = []

    def add(self, event_filter: EventFilter) -> None:
        (self.includes if event_filter.include else self.excludes).append(event_filter)

    def copy(self) -> EventFilters:
        other = EventFilters()
        other.includes = list(self.includes)
        other.excludes = list(self.excludes)
        return other

    def __bool__(self) -> bool:
        return bool(self.includes or self.excludes)

    def allows(self, event: AmiEvent) -> bool:
        if self.includes:
            for each in self.includes:
                if each.matches(event):
                    break
            else:
                return False
        return not self.excludes or not any(f.matches(event) for f in self.excludes)
