"""Event filters: legacy regex (``!`` excludes), advanced ``eventfilter(...)``, combination rules."""

from __future__ import annotations

import pytest

from pbxd.manager.events import AmiEvent
from pbxd.manager.filters import (
    EventFilter,
    EventFilters,
    FilterError,
    parse_advanced,
    parse_legacy,
)
from pbxd.manager.privileges import Privilege

NEWCHANNEL = AmiEvent.from_pairs(
    "Newchannel", Privilege.CALL,
    [("Channel", "PJSIP/alice-00000001"), ("Exten", "100"), ("Context", "default")],
)
USEREVENT = AmiEvent.from_pairs("UserEvent", Privilege.USER, [("UserEvent", "MyEvent"), ("Data", "x")])
HANGUP = AmiEvent.from_pairs("Hangup", Privilege.CALL, [("Channel", "Local/100@x-1;1"), ("Cause", "16")])
ALL_EVENTS = {"Newchannel": NEWCHANNEL, "UserEvent": USEREVENT, "Hangup": HANGUP}

LEGACY_CASES = [
    # (filter text, include?, names of the events it matches)
    ("Event: UserEvent", True, {"UserEvent"}),
    ("!Event: UserEvent", False, {"UserEvent"}),
    ("Channel: PJSIP/", True, {"Newchannel"}),
    ("^Event: (Newchannel|Hangup)", True, {"Newchannel", "Hangup"}),
    ("Privilege: call", True, {"Newchannel", "Hangup"}),  # the whole event text is matched
    ("Cause: 16\r\n", True, {"Hangup"}),
    ("nothing-matches-this", True, set()),
    ("!Channel: Local/", False, {"Hangup"}),
]


@pytest.mark.parametrize(("text", "include", "matches"), LEGACY_CASES)
def test_legacy(text: str, include: bool, matches: set[str]) -> None:
    event_filter = parse_legacy(text)
    assert event_filter.include is include
    assert {name for name, event in ALL_EVENTS.items() if event_filter.matches(event)} == matches


ADVANCED_CASES = [
    # (key, value, include?, names of the events it matches)
    ("eventfilter(name(Newchannel))", "", True, {"Newchannel"}),
    ("eventfilter(action(exclude),name(Hangup))", "", False, {"Hangup"}),
    ("eventfilter(action(include),header(Channel),method(starts_with))", "PJSIP/", True,
     {"Newchannel"}),
    ("eventfilter(header(Channel),method(ends_with))", ";1", True, {"Hangup"}),
    ("eventfilter(header(Channel),method(contains))", "alice", True, {"Newchannel"}),
    ("eventfilter(header(Exten),method(exact))", "100", True, {"Newchannel"}),
    ("eventfilter(header(Exten),method(exact))", "10", True, set()),
    ("eventfilter(header(Channel),method(regex))", "^(PJSIP|Local)/", True,
     {"Newchannel", "Hangup"}),
    ("eventfilter(method(regex))", "Event: User", True, {"UserEvent"}),
    ("eventfilter(name(Hangup),header(Cause),method(exact))", "16", True, {"Hangup"}),
    ("eventfilter(name(Newchannel),header(Cause),method(exact))", "16", True, set()),
    ("eventfilter(header(UserEvent))", "", True, {"UserEvent"}),  # method none: header present
    ("eventfilter(action(exclude),header(Channel),method(starts_with))", "Local/", False,
     {"Hangup"}),
    ("eventfilter( name(UserEvent) , action(exclude) )", "", False, {"UserEvent"}),
    ("eventfilter(header(Channel),method(starts_with))", "!Local/", False, {"Hangup"}),
]


@pytest.mark.parametrize(("key", "value", "include", "matches"), ADVANCED_CASES)
def test_advanced(key: str, value: str, include: bool, matches: set[str]) -> None:
    event_filter = parse_advanced(key, value)
    assert event_filter.include is include
    assert {name for name, event in ALL_EVENTS.items() if event_filter.matches(event)} == matches


BAD_ADVANCED = [
    ("eventfilter", "x"),
    ("eventfilter(name(X)", ""),
    ("eventfilter(color(red))", ""),
    ("eventfilter(action(maybe),name(X))", ""),
    ("eventfilter(method(fuzzy),header(X))", "v"),
    ("eventfilter(name(X))junk", ""),
    ("eventfilter(header(X),method(regex))", "("),
    ("eventfilter(header(X),method(exact))", ""),  # a method needs a value
]


@pytest.mark.parametrize(("key", "value"), BAD_ADVANCED)
def test_bad_advanced(key: str, value: str) -> None:
    with pytest.raises(FilterError):
        parse_advanced(key, value)


def test_bad_legacy_regex() -> None:
    with pytest.raises(FilterError):
        parse_legacy("Event: (unclosed")


def _filters(*items: EventFilter) -> EventFilters:
    filters = EventFilters()
    for item in items:
        filters.add(item)
    return filters


COMBINATION_CASES = [
    # (filters, events that pass)
    ((), {"Newchannel", "UserEvent", "Hangup"}),  # no filter: everything
    ((parse_legacy("Event: UserEvent"),), {"UserEvent"}),  # includes only: must match one
    ((parse_legacy("Event: UserEvent"), parse_legacy("Event: Hangup")), {"UserEvent", "Hangup"}),
    ((parse_legacy("!Event: UserEvent"),), {"Newchannel", "Hangup"}),  # excludes only: none
    ((parse_legacy("!Event: UserEvent"), parse_legacy("!Cause: 16")), {"Newchannel"}),
    # both: must match an include and no exclude, whatever the order they came in
    ((parse_legacy("!PJSIP"), parse_legacy("Privilege: call")), {"Hangup"}),
    ((parse_legacy("Privilege: call"), parse_legacy("!PJSIP")), {"Hangup"}),
    ((parse_advanced("eventfilter(name(Newchannel))", ""),
      parse_advanced("eventfilter(action(exclude),header(Exten),method(exact))", "100")), set()),
]


@pytest.mark.parametrize(("items", "passing"), COMBINATION_CASES)
def test_combination(items: tuple[EventFilter, ...], passing: set[str]) -> None:
    filters = _filters(*items)
    assert bool(filters) is bool(items)
    assert {name for name, event in ALL_EVENTS.items() if filters.allows(event)} == passing


def test_copy_is_independent() -> None:
    original = _filters(parse_legacy("Event: UserEvent"))
    copy = original.copy()
    copy.add(parse_legacy("!Event: UserEvent"))
    assert original.allows(USEREVENT)
    assert not copy.allows(USEREVENT)
