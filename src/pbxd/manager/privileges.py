"""Manager permission classes: the bits Asterisk gives them and their names on the wire."""

from __future__ import annotations

import enum


class Privilege(enum.IntFlag):
    NONE = 0
    SYSTEM = 1 << 0
    CALL = 1 << 1
    LOG = 1 << 2
    VERBOSE = 1 << 3
    COMMAND = 1 << 4
    AGENT = 1 << 5
    USER = 1 << 6
    CONFIG = 1 << 7
    DTMF = 1 << 8
    REPORTING = 1 << 9
    CDR = 1 << 10
    DIALPLAN = 1 << 11
    ORIGINATE = 1 << 12
    AGI = 1 << 13
    HOOKRESPONSE = 1 << 14
    CC = 1 << 15
    AOC = 1 << 16
    TEST = 1 << 17
    SECURITY = 1 << 18
    MESSAGE = 1 << 30
    ALL = (1 << 31) - 1


#: The named classes in the order Asterisk lists them; "all" always comes last. Plain ints:
#: masks are tested for every event and session, and IntFlag arithmetic is slow.
NAMED: tuple[tuple[str, int], ...] = tuple(
    (name, int(Privilege[name.upper()]))
    for name in (
        "system",
        "call",
        "log",
        "verbose",
        "command",
        "agent",
        "user",
        "config",
        "dtmf",
        "reporting",
        "cdr",
        "dialplan",
        "originate",
        "agi",
        "cc",
        "aoc",
        "test",
        "security",
        "message",
    )
)
_WITH_ALL = (*NAMED, ("all", int(Privilege.ALL)))
_FORMAT_CACHE: dict[int, str] = {}


def parse(text: str) -> int:
    """``read``/``write`` syntax: comma-separated class names; unknown names count for nothing.

    As in Asterisk, every word but the last matches any class name it begins (``s`` is
    ``system``); the last word must be a whole name.
    """
    mask = 0
    words = text.lower().split(",")
    last = len(words) - 1
    for index, word in enumerate(words):
        for name, bit in _WITH_ALL:
            if name == word or (index < last and name.startswith(word)):
                mask |= bit
    return mask


def format_mask(mask: int) -> str:
    """The ``Privilege:`` text: ``call,all``; ``<none>`` for no class."""
    text = _FORMAT_CACHE.get(mask)
    if text is None:
        mask = int(mask)
        if not mask:
            text = "<none>"
        else:
            names = [name for name, bit in NAMED if mask & bit]
            names.append("all")
            text = ",".join(names)
        _FORMAT_CACHE[mask] = text
    return text


def parse_event_mask(text: str) -> int | None:
    """An ``Events:``/``EventMask:`` value: on/off words, a number, or class names.

    None means there was no value (the Events action calls that an invalid mask).
    """
    value = text.strip()
    if not value:
        return None
    if value.isdigit():  # a number first, as Asterisk reads it: "1" is system only
        return int(value) & int(Privilege.ALL)
    word = value.lower()
    if word in ("yes", "true", "y", "t", "on"):
        return int(Privilege.ALL)
    if word in ("no", "false", "n", "f", "off"):
        return 0
    return parse(value)
