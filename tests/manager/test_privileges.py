"""Privilege classes: Asterisk's bits, ``read``/``write`` parsing, the ``Privilege:`` text."""

from __future__ import annotations

import pytest

from pbxd.manager.privileges import NAMED, Privilege, format_mask, parse, parse_event_mask

BITS = [
    ("system", 1 << 0), ("call", 1 << 1), ("log", 1 << 2), ("verbose", 1 << 3),
    ("command", 1 << 4), ("agent", 1 << 5), ("user", 1 << 6), ("config", 1 << 7),
    ("dtmf", 1 << 8), ("reporting", 1 << 9), ("cdr", 1 << 10), ("dialplan", 1 << 11),
    ("originate", 1 << 12), ("agi", 1 << 13), ("cc", 1 << 15), ("aoc", 1 << 16),
    ("test", 1 << 17), ("security", 1 << 18), ("message", 1 << 30),
]  # fmt: skip


def test_named_classes_are_asterisks() -> None:
    assert [(name, int(bit)) for name, bit in NAMED] == BITS
    assert Privilege.ALL == 2147483647  # what `manager show connected` prints for read = all
    assert Privilege.HOOKRESPONSE == 1 << 14


PARSE_CASES = [
    ("", 0),
    ("call", Privilege.CALL),
    ("system,call", Privilege.SYSTEM | Privilege.CALL),
    ("call,reporting,all", Privilege.ALL),
    ("all", Privilege.ALL),
    ("bogus", 0),
    ("bogus,call", Privilege.CALL),
    # every word but the last matches the classes it begins (ast_instring's strncmp)
    ("s,call", Privilege.SYSTEM | Privilege.SECURITY | Privilege.CALL),
    ("c,user", Privilege.CALL | Privilege.COMMAND | Privilege.CONFIG | Privilege.CDR
     | Privilege.CC | Privilege.USER),
    ("call,s", Privilege.CALL),  # the last word must be whole
    (",call", Privilege.ALL),  # an empty word begins every name
    ("system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan",
     0b111111111111),
]


@pytest.mark.parametrize(("text", "mask"), PARSE_CASES)
def test_parse(text: str, mask: int) -> None:
    assert parse(text) == mask


FORMAT_CASES = [
    (0, "<none>"),
    (Privilege.CALL, "call,all"),
    (Privilege.USER, "user,all"),
    (Privilege.SYSTEM | Privilege.REPORTING, "system,reporting,all"),
    (Privilege.SECURITY, "security,all"),
    (Privilege.HOOKRESPONSE, "all"),  # a class without a name
    (Privilege.ALL, ",".join(name for name, _ in BITS) + ",all"),
]


@pytest.mark.parametrize(("mask", "text"), FORMAT_CASES)
def test_format_mask(mask: int, text: str) -> None:
    assert format_mask(mask) == text
    assert format_mask(mask) == text  # cached


@pytest.mark.parametrize("name", [name for name, _ in BITS])
def test_format_parse_round_trip(name: str) -> None:
    assert parse(format_mask(parse(name))) == Privilege.ALL  # ",all" is in the text
    assert format_mask(parse(name)) == f"{name},all"


EVENT_MASK_CASES = [
    # Asterisk's strings_to_mask: a number is itself, false words 0, true words all
    ("", None),
    ("   ", None),
    ("on", Privilege.ALL),
    ("ON", Privilege.ALL),
    ("yes", Privilege.ALL),
    ("true", Privilege.ALL),
    ("off", 0),
    ("no", 0),
    ("false", 0),
    ("0", 0),
    ("1", Privilege.SYSTEM),  # a number returns itself, before any true/false word
    ("2", Privilege.CALL),
    ("66", Privilege.CALL | Privilege.USER),
    ("call,user", Privilege.CALL | Privilege.USER),
    ("system", Privilege.SYSTEM),
]


@pytest.mark.parametrize(("text", "mask"), EVENT_MASK_CASES)
def test_parse_event_mask(text: str, mask: int | None) -> None:
    assert parse_event_mask(text) == mask
