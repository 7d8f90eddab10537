"""Message: ordered header lines, case-insensitive first-wins lookup, Asterisk's blank rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbxd.protocol import Message

# The lines of one received message, as the decoder hands them over.
QUIRKS = Message(
    [
        "Action:    Ping   ",
        "ThisHasNoColon",
        "actionid:\tdup-A",
        "ActionID: dup-B",
        "Variable: A=1",
        "variable:B=2",
        "VARIABLE:   C=3 ",
        "Empty:",
        "Spaced : name",
        "Url: http://host:80/x",
    ]
)

GET_CASES = [
    # (name asked for, expected value)
    ("Action", "Ping   "),  # leading blanks skipped, trailing kept
    ("ACTION", "Ping   "),
    ("action", "Ping   "),
    ("ActionID", "dup-A"),  # the first of repeated names wins; a tab is a blank too
    ("Variable", "A=1"),
    ("Empty", ""),
    ("Url", "http://host:80/x"),  # only the first colon separates name and value
    ("ThisHasNoColon", ""),  # a line without a colon never matches
    ("Spaced", ""),  # "Spaced " is not "Spaced"
    ("Spaced ", "name"),
    ("Missing", ""),
]


@pytest.mark.parametrize(("name", "expected"), GET_CASES)
def test_get(name: str, expected: str) -> None:
    assert QUIRKS.get(name) == expected


CONTAINS_CASES = [
    ("action", True),
    ("EMPTY", True),
    ("variable", True),
    ("ThisHasNoColon", False),
    ("Missing", False),
]


@pytest.mark.parametrize(("name", "expected"), CONTAINS_CASES)
def test_contains(name: str, expected: bool) -> None:
    assert (name in QUIRKS) is expected


def test_default_only_when_absent() -> None:
    assert QUIRKS.get("Missing", "dflt") == "dflt"
    assert QUIRKS.get("Empty", "dflt") == ""


def test_get_all_keeps_order_and_repeats() -> None:
    assert QUIRKS.get_all("variable") == ["A=1", "B=2", "C=3 "]
    assert QUIRKS.get_all("actionID") == ["dup-A", "dup-B"]
    assert QUIRKS.get_all("ThisHasNoColon") == []


def test_items_keep_the_senders_spelling_and_order() -> None:
    names = [name for name, _ in QUIRKS.items()]
    assert names == [
        "Action",
        "actionid",
        "ActionID",
        "Variable",
        "variable",
        "VARIABLE",
        "Empty",
        "Spaced ",
        "Url",
    ]
    assert dict(QUIRKS.items())["Action"] == "Ping   "


def test_lines_are_kept_verbatim() -> None:
    assert QUIRKS.lines[1] == "ThisHasNoColon"
    assert QUIRKS.lines[0] == "Action:    Ping   "


def test_from_pairs() -> None:
    message = Message.from_pairs([("Action", "Originate"), ("Variable", "X=1"), ("Variable", "Y=2")])
    assert message.lines == ["Action: Originate", "Variable: X=1", "Variable: Y=2"]
    assert message.get_all("variable") == ["X=1", "Y=2"]


def test_equality_and_hash() -> None:
    assert Message(["A: b"]) == Message(["A: b"])
    assert Message(["A: b"]) != Message(["a: b"])
    assert Message(["A: b"]) != ["A: b"]
    with pytest.raises(TypeError):
        hash(Message([]))


def test_error_is_carried() -> None:
    assert Message([]).error is None
    assert Message(["ActionID: x"], "boom").error == "boom"


def test_lookup_sees_lines_set_before_the_first_lookup() -> None:
    message = Message(["A: 1"])
    message.lines.append("B: 2")
    assert message.get("b") == "2"


HEAD_CASES = [
    # (lines, (action, actionid)) as the session reads them
    (["Action: Ping", "ActionID: 1"], ("Ping", "1")),
    (["actionid: x", "ACTION:Ping"], ("Ping", "x")),
    (["Action:    Ping   ", "ActionID:   spaces-1   "], ("Ping   ", "spaces-1   ")),
    (["ActionID: dup-A", "ActionID: dup-B", "Action: Ping"], ("Ping", "dup-A")),
    # an empty Action is skipped (Asterisk: GET_HEADER_SKIP_EMPTY); ActionID is first match
    (["Action:", "Action: Ping"], ("Ping", "")),
    (["ActionID:", "ActionID: late", "Action: Ping"], ("Ping", "")),
    (["ThisHasNoColon", "Actions: no", "ActionIDs: no"], ("", "")),
    ([], ("", "")),
]


@pytest.mark.skipif(not hasattr(Message, "head"), reason="Message.head not present")
@pytest.mark.parametrize(("lines", "expected"), HEAD_CASES)
def test_head(lines: list[str], expected: tuple[str, str]) -> None:
    assert Message(lines).head() == expected


def _head_by_the_rules(lines: list[str]) -> tuple[str, str]:
    """What ``head`` must give, written plainly: the first non-empty Action, the first
    ActionID (names compared without case, nothing before the colon)."""
    action, action_id = "", None
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if name.lower() == "actionid" and action_id is None:
            action_id = value.lstrip(" \t")
        elif name.lower() == "action" and not action:
            action = value.lstrip(" \t")
    return action, action_id or ""


@given(
    st.lists(
        st.builds(
            str.__add__,
            st.sampled_from(["Action:", "ActionID:", "action:", "ACTIONID:", "Action :", "X:", ""]),
            st.text(alphabet=" \tPing1:", max_size=6),
        ),
        max_size=4,
    )
)
def test_head_follows_the_rules(lines: list[str]) -> None:
    assert Message(lines).head() == _head_by_the_rules(lines)
