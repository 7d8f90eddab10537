"""${...} substitution and the $[...] expression language, as Asterisk evaluates them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbxd.pbx.expressions import (
    VariableScope,
    evaluate,
    parse_variable_name,
    retrieve_variable,
    substitute,
    substring,
)


@pytest.mark.parametrize(
    ("expr", "result"),
    [
        ("", ""),
        ("1 + 2", "3"),
        ("1+2", "3"),
        ("10 / 3", "3.33333333333333333"),
        ("10 / 2", "5"),
        ("7 % 3", "1"),
        ("-7 % 3", "-1"),
        ("7.5 % 2", "1.5"),
        ("3 * 8", "24"),
        ("2.5 * 2", "5"),
        ("0.1 + 0.2", "0.3"),
        ("1 / 0", "2147483647"),
        ("5 % 0", "0"),
        ("abc / 2", "0"),
        ("2 / abc", "2147483647"),
        ("abc + 2", "2"),
        ("2 + abc", "2"),
        ("abc * 2", "0"),
        ("-5", "-5"),
        ("- -5", "5"),
        ("2 - 5", "-3"),
        ("1000000000000000000000 * 10", "1e+22"),
        ("1000000000 * 1000000000", "1e+18"),
        ("100000000 * 1000000000", "100000000000000000"),
        ("1 / 3000000", "3.33333333333333333e-07"),
        ("0.0001 * 1", "0.0001"),
        ("007", "007"),
        ("007 + 0", "7"),
        ('"quoted string"', '"quoted string"'),
        ("1 = 1", "1"),
        ("1 == 1.0", "1"),
        ("01 = 1", "1"),
        ("abc = abc", "1"),
        ("abc != abd", "1"),
        ("10 < 9", "0"),
        ("10 < 9a", "1"),
        ("a < b", "1"),
        ("b >= a", "1"),
        ("2 <= 2", "1"),
        ("1 | 0", "1"),
        ("0 | 7", "7"),
        ("0 | 0", "0"),
        ("'' | x", "''"),
        ("3 & 4", "3"),
        ("0 & 4", "0"),
        ("1 && 2", "1"),
        ("1 || 0", "1"),
        ("!0", "1"),
        ("!1", "0"),
        ("!abc", "1"),
        ("!5abc", "0"),
        ("1 ? yes :: no", "yes"),
        ("0 ? yes :: no", "no"),
        ("abc ? yes :: no", "yes"),
        ("1 ? 0 ? a :: b :: c", "b"),
        ("0 ? a :: 1 ? b :: c", "b"),
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("2 * 3 = 6", "1"),
        ("1 = 1 & 2 = 2", "1"),
        ("abcdef : abc", "3"),
        ("abcdef : bcd", "0"),
        ("abcdef : a(b.)d", "0"),
        ('abcdef : "a(b.)d"', "bc"),
        ('abcdef : "x(b.)d"', ""),
        ("abcdef =~ bcd", "3"),
        ('abcdef =~ "c(d)e"', "d"),
        ('"abc" : "a"', "1"),
        ("- abcdef : abc", "-3"),
        ("ab ~~ cd", "abcd"),
        ('"a b" ~~ c', "a bc"),
        ("SQRT(2)", "1.41421356237309505"),
        ("ABS(-3)", "3"),
        ("POW(2,10)", "1024"),
        ("FLOOR(2.7)", "2"),
        ("ROUND(2.5)", "3"),
        ("NOSUCH(1)", "0"),
        ("lower(1)", "0"),
        ("1 +", "0"),
        ("1,2", "0"),
        ("(1", "0"),
        ("1 ? 2", "0"),
    ],
)
def test_evaluate(expr: str, result: str) -> None:
    assert evaluate(expr) == result


@given(st.integers(-(10**8), 10**8), st.integers(-(10**8), 10**8))
def test_integer_arithmetic_is_exact(a: int, b: int) -> None:
    """Below 18 significant digits integers print plainly (``%.18Lg``)."""
    assert evaluate(f"{a} + {b}".replace("+ -", "- ")) == str(a + b)
    assert evaluate(f"{abs(a)} * {abs(b)}") == str(abs(a) * abs(b))
    assert evaluate(f"{abs(a)} < {abs(b)}") == str(int(abs(a) < abs(b)))


@given(st.text(max_size=40))
def test_evaluate_never_raises(text: str) -> None:
    assert isinstance(evaluate(text), str)


@given(st.text(max_size=40))
def test_substitute_never_raises(text: str) -> None:
    assert isinstance(substitute(text, VariableScope()), str)


@pytest.mark.parametrize(
    ("text", "name", "offset", "length", "function"),
    [
        ("VAR", "VAR", 0, 2**31 - 1, False),
        ("VAR:2", "VAR", 2, 2**31 - 1, False),
        ("VAR:-3:2", "VAR", -3, 2, False),
        ("VAR::3", "VAR", 0, 2**31 - 1, False),
        ("VAR:x", "VAR", 0, 2**31 - 1, False),
        ("FUNC(a:b):1", "FUNC(a:b)", 1, 2**31 - 1, True),
        ("A:B(c)", "A", 0, 2**31 - 1, False),
    ],
)
def test_parse_variable_name(
    text: str, name: str, offset: int, length: int, function: bool
) -> None:
    assert parse_variable_name(text) == (name, offset, length, function)


@pytest.mark.parametrize(
    ("offset", "length", "result"),
    [
        (0, 2**31 - 1, "hello world"),
        (6, 2**31 - 1, "world"),
        (-5, 2**31 - 1, "world"),
        (-50, 3, "hel"),
        (0, 5, "hello"),
        (-5, 2, "wo"),
        (2, -2, "llo wor"),
        (20, 2, ""),
        (0, -20, ""),
        (3, 0, ""),
    ],
)
def test_substring(offset: int, length: int, result: str) -> None:
    assert substring("hello world", offset, length) == result


@given(st.text(max_size=20), st.integers(-30, 30), st.integers(0, 30))
def test_substring_positive_length_is_a_slice(text: str, offset: int, length: int) -> None:
    start = max(len(text) + offset, 0) if offset < 0 else offset
    assert substring(text, offset, length) == text[start : start + length]


def make_channel() -> SimpleNamespace:
    return SimpleNamespace(
        name="PJSIP/100-00000001",
        uniqueid="1700000000.1",
        linkedid="1700000000.1",
        context="default",
        exten="100",
        priority=3,
        variables={"FOO": "bar", "__INHERIT": "deep", "NAME": "FOO"},
    )


@pytest.fixture
def scope() -> VariableScope:
    pbx = SimpleNamespace(clock=lambda: 1234567890.5, system_name="box")
    return VariableScope(channel=make_channel(), pbx=pbx, globals={"G": "global", "FOO": "g"})


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("plain text", "plain text"),
        ("${FOO}", "bar"),
        ("x${FOO}y", "xbary"),
        ("${G}", "global"),
        ("${INHERIT}", "deep"),
        ("${UNSET}", ""),
        ("${${NAME}}", "bar"),
        ("${FOO:1}", "ar"),
        ("${FOO:-1}", "r"),
        ("${EXTEN}", "100"),
        ("${CONTEXT}", "default"),
        ("${PRIORITY}", "3"),
        ("${CHANNEL}", "PJSIP/100-00000001"),
        ("${CHANNEL:0:5}", "PJSIP"),
        ("${UNIQUEID}", "1700000000.1"),
        ("${EPOCH}", "1234567890"),
        ("${SYSTEMNAME}", "box"),
        ("${LEN(${FOO})}", "3"),
        ("${LEN(hello):1}", ""),
        ("${LEN(hello world):0:1}", "1"),
        ("${NOSUCHFUNC(x)}", ""),
        ("$[1 + 1]", "2"),
        ("$[${PRIORITY} * 2]", "6"),
        ("$[$[1 + 1] * 3]", "6"),
        ("$[${FOO} = bar]", "1"),
        ("cost: $5", "cost: $5"),
        ("$", "$"),
        ("${FOO", "bar"),
        ("$[1 + 2", "3"),
        ("${IF($[${PRIORITY} > 2]?big:small)}", "big"),
    ],
)
def test_substitute(scope: VariableScope, text: str, result: str) -> None:
    assert substitute(text, scope) == result


def test_substitute_without_channel_uses_globals() -> None:
    scope = VariableScope(globals={"A": "1"})
    assert substitute("${A}${EXTEN}", scope) == "1"
    assert substitute("${A}", None) == ""
    assert retrieve_variable(None, "EPOCH") is not None


def test_set_variable_semantics(scope: VariableScope) -> None:
    scope.set_variable("NEW", "v")
    assert scope.channel.variables["NEW"] == "v"
    scope.set_variable("NEW", "")
    assert "NEW" not in scope.channel.variables
    globals_only = VariableScope()
    globals_only.set_variable("X", "1")
    assert globals_only.globals == {"X": "1"}


def test_deep_nesting_is_cut_off() -> None:
    scope = VariableScope(globals={"A": "x"})
    text = "${" * 200 + "A" + "}" * 200
    assert isinstance(substitute(text, scope), str)
    assert evaluate("(" * 5000 + "1" + ")" * 5000) in ("1", "0")


def test_hint_builtin_uses_the_dialplan(scope: VariableScope) -> None:
    scope.pbx.dialplan = SimpleNamespace(hint=lambda context, exten: f"PJSIP/{exten}")
    assert substitute("${HINT}", scope) == "PJSIP/100"
