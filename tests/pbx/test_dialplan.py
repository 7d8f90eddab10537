"""extensions.conf loading, Asterisk's pattern matching and ordering, and the show outputs."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import REFERENCE_CONF

from pbxd.config import conf
from pbxd.pbx.dialplan import (
    Dialplan,
    DialplanError,
    ExtensionExists,
    NoSuchContext,
    extension_close,
    extension_compare,
    extension_key,
    extension_match,
    shrink_phone_number,
)

REFERENCE = REFERENCE_CONF / "extensions.conf"


def load(text: str) -> Dialplan:
    return Dialplan.load(conf.loads(text, "extensions.conf"))


def test_reference_config_loads_cleanly() -> None:
    dialplan = Dialplan.from_path(REFERENCE)
    assert dialplan.problems == []
    assert dialplan.contexts() == ["default", "queues"]
    assert dialplan.settings.static and dialplan.settings.writeprotect
    step = dialplan.find("default", "100", 1)
    assert step is not None
    assert (step.app, step.data, step.exten, step.file, step.line) == (
        "Answer",
        "",
        "100",
        "extensions.conf",
        8,
    )
    assert dialplan.hint("default", "300") == "Custom:foo"
    assert dialplan.hints() == [("default", "300", "Custom:foo")]


def test_reference_manager_listing_matches_the_transcript() -> None:
    listing = Dialplan.from_path(REFERENCE).list_for_manager("queues")
    assert listing.rows == [
        {
            "Context": "queues",
            "Extension": "500",
            "Priority": "1",
            "Application": "Answer",
            "AppData": "",
            "Registrar": "pbx_config",
        },
        {
            "Context": "queues",
            "Extension": "500",
            "Priority": "2",
            "Application": "Queue",
            "AppData": "support",
            "Registrar": "pbx_config",
        },
        {
            "Context": "queues",
            "Extension": "500",
            "Priority": "3",
            "Application": "Hangup",
            "AppData": "",
            "Registrar": "pbx_config",
        },
    ]
    assert (listing.extensions, listing.priorities, listing.contexts) == (1, 3, 1)


@pytest.mark.parametrize(
    ("pattern", "number", "matches"),
    [
        ("100", "100", True),
        ("100", "1000", False),
        ("555-1212", "5551212", True),
        ("_X.", "1", False),
        ("_X.", "12", True),
        ("_X.", "1abc", True),
        ("_X!", "1", True),
        ("_X!", "12", True),
        ("_.", "a", True),
        ("_!", "", True),
        ("_NXX", "200", True),
        ("_NXX", "100", False),
        ("_ZXX", "100", True),
        ("_ZXX", "012", False),
        ("_XXX", "12", False),
        ("_XXX", "1234", False),
        ("_nxx", "299", True),
        ("_[1-5]0", "30", True),
        ("_[1-5]0", "60", False),
        ("_[13-5]0", "20", False),
        ("_[13-5]0", "40", True),
        ("_[a-z]X", "q1", True),
        ("_[a-z]X", "Q1", False),
        ("_[]X", "1", True),
        ("_1[", "1x", False),
        ("_1NXX-XXXX", "12125551", True),
        ("_X/100", "5", True),
        ("_abc", "abc", True),
        ("_X.", "_X.", True),
    ],
)
def test_extension_match(pattern: str, number: str, matches: bool) -> None:
    assert extension_match(pattern, number) is matches


@pytest.mark.parametrize(
    ("pattern", "number", "more", "can"),
    [
        ("_XXX", "1", True, True),
        ("_XXX", "123", False, True),
        ("_X.", "1", True, True),
        ("_X!", "1", True, True),
        ("100", "1", True, True),
        ("100", "", True, True),
        ("100", "100", False, True),
        ("100", "2", False, False),
    ],
)
def test_extension_close(pattern: str, number: str, more: bool, can: bool) -> None:
    assert extension_close(pattern, number, need_more=True) is more
    assert extension_close(pattern, number, need_more=False) is can


SORTED = [
    "100", "200", "s", "_1X", "_[13]X", "_NXX", "_XXX", "_X.", "_X!", "_.", "_!",
]  # fmt: skip


def test_ordering_is_asterisks() -> None:
    shuffled = SORTED[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=extension_key) == SORTED
    assert extension_compare("_X", "_x") == 0
    assert extension_compare("100", "_X") == -1
    assert extension_compare("_[5-9]", "_[2-8]") == -1
    assert extension_compare("_[2-8]", "_[3-9]") == -1


@given(st.lists(st.sampled_from(SORTED + ["_ZXX", "_[0-4]X", "12", "_1.", "*", "#"]), max_size=8))
def test_compare_is_consistent(names: list[str]) -> None:
    ordered = sorted(names, key=extension_key)
    for left, right in zip(ordered, ordered[1:], strict=False):
        assert extension_compare(left, right) <= 0
        assert extension_compare(right, left) >= 0


@given(st.text(alphabet="0123456789", min_size=1, max_size=8))
def test_digit_strings_match_their_patterns(number: str) -> None:
    assert extension_match(number, number)
    assert extension_match("_" + "X" * len(number), number)
    assert extension_match("_X!", number)
    assert not extension_match("_" + "X" * (len(number) + 1), number)


MATCHING = """
[general]
[ctx]
exten => _X.,1,NoOp(any)
exten => _1XX,1,NoOp(three digits from 1)
exten => 123,1,NoOp(exact)
exten => _12X,1,NoOp(12x)
exten => _12X,2,NoOp(only the pattern has 2)
exten => _X.,3,NoOp(only the widest has 3)
exten => 100/200,1,NoOp(from 200)
exten => 100/_3XX,1,NoOp(from 3xx)
exten => 100,1,NoOp(anyone)
exten => _9!,1,NoOp(early)
"""


@pytest.mark.parametrize(
    ("exten", "priority", "caller", "data"),
    [
        ("123", 1, "", "exact"),
        ("124", 1, "", "12x"),
        ("134", 1, "", "three digits from 1"),
        ("5555", 1, "", "any"),
        ("123", 2, "", "only the pattern has 2"),
        ("123", 3, "", "only the widest has 3"),
        ("100", 1, "200", "from 200"),
        ("100", 1, "345", "from 3xx"),
        ("100", 1, "999", "anyone"),
        ("100", 1, "", "anyone"),
        ("9", 1, "", "early"),
        ("95", 1, "", "early"),
    ],
)
def test_find_picks_asterisks_choice(exten: str, priority: int, caller: str, data: str) -> None:
    step = load(MATCHING).find("ctx", exten, priority, caller)
    assert step is not None and step.data == data


def test_find_misses() -> None:
    dialplan = load(MATCHING)
    assert dialplan.find("ctx", "123", 4) is None
    assert dialplan.find("nosuch", "123", 1) is None
    assert not dialplan.exists("ctx", "1", 1)
    assert dialplan.exists("ctx", "12", 1)
    assert dialplan.matches_more("ctx", "1")
    assert not dialplan.matches_more("ctx", "9")
    assert dialplan.can_match("ctx", "9")


INCLUDES = """
[a]
include => b
include => c,09:00-17:00,mon-fri,*,*
exten => 1,1,NoOp(a)
[b]
include => a
exten => 2,1,NoOp(b)
[c]
include => c
exten => 3,1,NoOp(c)
exten => 2,1,NoOp(c loses to b)
"""


def test_includes_in_order_and_loop_safe() -> None:
    dialplan = load(INCLUDES)
    found = dialplan.find("a", "2", 1)
    assert found is not None and (found.context, found.data) == ("b", "b")
    found = dialplan.find("a", "3", 1)
    assert found is not None and found.context == "c"
    assert dialplan.find("a", "4", 1) is None
    assert dialplan.find("b", "3", 1) is not None
    assert [include.context for include in dialplan.includes("a")] == ["b", "c"]
    messages = [problem.message for problem in dialplan.problems]
    assert any("time part is ignored" in message for message in messages)


def test_include_depth_is_limited() -> None:
    chain = "\n".join(f"[c{i}]\ninclude => c{i + 1}" for i in range(200))
    dialplan = load(chain + "\n[c200]\nexten => 1,1,NoOp(deep)\n")
    assert dialplan.find("c190", "1", 1) is not None
    assert dialplan.find("c0", "1", 1) is None


PRIORITIES = """
[globals]
PREFIX=9
TRUNK=PJSIP/${PREFIX}
EMPTY=
[ctx]
exten => s,1(start),Answer()
 same => n,Set(X=1)
 same => n(loop),NoOp(${X})
 same => s,NoOp(replaces nothing: duplicate)
 same => start+5,NoOp(six)
 same => n,Dial,PJSIP/100,30
exten => ${PREFIX}00,1,Dial(${TRUNK}/100)
exten => 300,hint,PJSIP/300&Custom:x
exten => 300,n,NoOp(priority 0 is dropped)
exten => 300,1,NoOp
exten => 301,0,NoOp(bad)
exten => 302,x,NoOp(unknown label)
exten => 303,2(lbl,NoOp(bad label)
exten => _.,1,NoOp(discouraged)
exten => 400,1,Wait(1
same => n,NoOp(after)
bogus => 1
switch => IAX2/box
ignorepat => 9
"""


def test_priorities_labels_and_problems() -> None:
    dialplan = load(PRIORITIES)
    assert dialplan.globals == {"PREFIX": "9", "TRUNK": "PJSIP/9"}
    s_steps = [step for step in dialplan.steps("ctx") if step.exten == "s"]
    assert [(s.priority, s.label, s.app) for s in s_steps] == [
        (1, "start", "Answer"),
        (2, None, "Set"),
        (3, "loop", "NoOp"),
        (6, None, "NoOp"),
        (7, None, "Dial"),
    ]
    dial = dialplan.find("ctx", "s", 7)
    assert dial is not None and (dial.app, dial.data) == ("Dial", "PJSIP/100,30")
    assert dialplan.find_label("ctx", "s", "loop") == 3
    assert dialplan.find_label("ctx", "s", "nope") is None
    assert dialplan.find("ctx", "900", 1) is not None
    assert dialplan.hint("ctx", "300") == "PJSIP/300&Custom:x"
    bare = dialplan.find("ctx", "300", 1)
    assert bare is not None and (bare.app, bare.data) == ("NoOp", "")
    unclosed = dialplan.find("ctx", "400", 1)
    assert unclosed is not None and (unclosed.app, unclosed.data) == ("Wait", "1")
    assert dialplan.find("ctx", "400", 2) is not None
    messages = " | ".join(f"{p.line}:{p.message}" for p in dialplan.problems)
    for expected in (
        "10:Unable to register extension",
        "15:priority 0",
        "17:Invalid priority",
        "18:Invalid priority/label",
        "19:Label missing",
        "20:The use of '_.'",
        "21:No closing parenthesis",
        "23:Unknown directive",
        "24:alternative switch",
        "12:old-style",
        "25:ignorepat",
    ):
        assert expected in messages, expected


def test_same_without_exten_is_an_error() -> None:
    dialplan = load("[ctx]\nsame => n,NoOp()\n")
    assert [problem.severity for problem in dialplan.problems] == ["error"]


def test_case_and_template_handling() -> None:
    dialplan = load(
        "[GENERAL]\nautofallthrough=no\n[tpl](!)\nexten => 1,1,NoOp()\n"
        "[real](tpl)\nexten => 2,1,NoOp()\n[real](+)\nexten => 3,1,NoOp()\n"
    )
    assert dialplan.settings.autofallthrough is False
    assert dialplan.contexts() == ["real"]
    assert [step.exten for step in dialplan.steps("real")] == ["1", "2", "3"]


def test_add_and_remove_extension() -> None:
    dialplan = load(MATCHING)
    with pytest.raises(NoSuchContext):
        dialplan.add_extension("nosuch", "1", 1, "NoOp")
    with pytest.raises(ExtensionExists):
        dialplan.add_extension("ctx", "123", 1, "NoOp")
    with pytest.raises(DialplanError):
        dialplan.add_extension("ctx", "124", 0, "NoOp")
    replaced = dialplan.add_extension("ctx", "123", 1, "Playback", "hello", replace=True)
    assert dialplan.find("ctx", "123", 1) == replaced
    step = dialplan.add_extension("new", "777/_1.", "hint", "PJSIP/777", create_context=True)
    assert step.is_hint and dialplan.contexts()[-1] == "new"
    assert dialplan.find("new", "777", -1, "123") == step
    assert dialplan.find("new", "777", -1, "") is None
    assert dialplan.remove_extension("ctx", "_12X", 2)
    assert dialplan.find("ctx", "123", 2) is None
    assert not dialplan.remove_extension("ctx", "_12X", 2)
    assert dialplan.remove_extension("ctx", "100/200")
    found = dialplan.find("ctx", "100", 1, "200")
    assert found is not None and found.data == "anyone"
    assert dialplan.remove_extension("ctx", "123")
    found = dialplan.find("ctx", "123", 1)
    assert found is not None and found.data == "12x"
    assert not dialplan.remove_extension("nosuch", "1")
    added = dialplan.add_extension("ctx", "999", 1, "NoOp")
    assert (added.registrar, added.file) == ("pbx_config", None)


SHOW = """
[general]
[default]
include => queues
exten => 100,1,Answer()
 same => n(next),Wait(30)
exten => 300,hint,Custom:foo
exten => 300,1,NoOp()
exten => 100/200,1,NoOp(vip)
exten => _X.,1,NoOp(${EXTEN})
ignorepat => 9
[queues]
exten => 500,1,Queue(support)
"""


def test_show_layout() -> None:
    assert load(SHOW).show() == [
        "[ Context 'queues' created by 'pbx_config' ]",
        "  '500' =>          1. Queue(support)                             [extensions.conf:13]",
        "",
        "[ Context 'default' created by 'pbx_config' ]",
        "  '100' (CID match '200') =>  1. NoOp(vip)                                  "
        "[extensions.conf:9]",
        "  '100' =>          1. Answer()                                   [extensions.conf:5]",
        "     [next]         2. Wait(30)                                   [extensions.conf:6]",
        "  '300' =>          hint: Custom:foo                              [extensions.conf:7]",
        "                    1. NoOp()                                     [extensions.conf:8]",
        "  '_X.' =>          1. NoOp(${EXTEN})                             [extensions.conf:10]",
        "  Include =>        'queues'                                      [pbx_config]",
        "  Ignore pattern => '9'                                           [pbx_config]",
        "",
        "-= 5 extensions (7 priorities) in 2 contexts. =-",
    ]


def test_show_filters() -> None:
    dialplan = load(SHOW)
    assert dialplan.show("queues")[-1] == "-= 1 extension (1 priority) in 1 context. =-"
    lines = dialplan.show("default", "500")
    assert "[ Included context 'queues' created by 'pbx_config' ]" in lines
    assert dialplan.show("nosuch") == ["There is no existence of 'nosuch' context"]
    assert dialplan.show("default", "abc") == ["There is no existence of abc@default extension"]
    assert dialplan.show(None, "x") == ["There is no existence of 'x' extension in all contexts"]
    dialplan.add_extension("queues", "501", 1, "NoOp", "runtime")
    assert "  '501' =>          1. NoOp(runtime)                              [pbx_config]" in (
        dialplan.show("queues")
    )


def test_manager_listing_rows() -> None:
    listing = load(SHOW).list_for_manager("default")
    assert {"Context": "default", "IncludeContext": "queues", "Registrar": "pbx_config"} in (
        listing.rows
    )
    assert {"Context": "default", "IgnorePattern": "9", "Registrar": "pbx_config"} in listing.rows
    hint = next(row for row in listing.rows if row.get("Priority") == "hint")
    assert hint == {
        "Context": "default",
        "Extension": "300",
        "Priority": "hint",
        "Application": "Custom:foo",
        "Registrar": "pbx_config",
    }
    labelled = next(row for row in listing.rows if "ExtensionLabel" in row)
    assert labelled["ExtensionLabel"] == "next" and labelled["Priority"] == "2"
    everything = load(SHOW).list_for_manager()
    assert (everything.extensions, everything.priorities, everything.contexts) == (5, 7, 2)
    searched = load(SHOW).list_for_manager("default", "500")
    assert [row["Context"] for row in searched.rows] == ["default", "queues"]
    assert not load(SHOW).list_for_manager("nosuch").context_found


@pytest.mark.parametrize(
    ("raw", "shrunk"),
    [("(555) 123-4567", "5551234567"), ("_1NXX.", "_1NXX."), ("1.2", "12"), ("_[1-3]X", "_[1-3]X")],
)
def test_shrink_phone_number(raw: str, shrunk: str) -> None:
    assert shrink_phone_number(raw) == shrunk
