"""Tests for the typed configuration value readers."""

from __future__ import annotations

import pytest

from pbxd.config.conf import Entry, Problem, loads
from pbxd.config.values import (
    HostPort,
    Settings,
    as_bool,
    as_choice,
    as_float,
    as_hostport,
    as_int,
    as_ip,
    as_list,
    as_str,
    is_false,
    is_true,
    parse_bool,
    parse_hostport,
)


def entry(value: str, key: str = "opt") -> Entry:
    return Entry(key, value, "=", "test.conf", 7)


BOOL_CASES = [
    *[(word, True) for word in ("yes", "YES", "true", "True", "y", "t", "1", "on", "On")],
    *[(word, False) for word in ("no", "NO", "false", "n", "f", "0", "off", "OFF")],
]


@pytest.mark.parametrize(("text", "expected"), BOOL_CASES)
def test_bool_words(text: str, expected: bool) -> None:
    problems: list[Problem] = []
    assert as_bool(entry(text), not expected, problems) is expected
    assert problems == []
    assert parse_bool(text) is expected
    assert is_true(text) is expected
    assert is_false(text) is (not expected)


@pytest.mark.parametrize("text", ["", "maybe", "2", "yess", " yes", "enabled", "none"])
def test_bool_invalid(text: str) -> None:
    problems: list[Problem] = []
    assert as_bool(entry(text, "enabled"), True, problems) is True
    assert problems == [
        Problem(
            "test.conf", 7, "warning", f"invalid value '{text}' for 'enabled' (expected yes or no)"
        )
    ]
    assert parse_bool(text) is None
    assert not is_true(text) and not is_false(text)


def test_absent_entry_gives_default_silently() -> None:
    problems: list[Problem] = []
    assert as_bool(None, True, problems) is True
    assert as_int(None, 5, problems) == 5
    assert as_float(None, 1.5, problems) == 1.5
    assert as_str(None, "d", problems) == "d"
    assert as_choice(None, "a", problems, ["a", "b"]) == "a"
    assert as_list(None, ["x"], problems) == ["x"]
    assert as_ip(None, "127.0.0.1", problems) == "127.0.0.1"
    assert as_hostport(None, HostPort("h", 1), problems) == HostPort("h", 1)
    assert problems == []
    assert not is_true(None) and not is_false(None) and parse_bool(None) is None


INT_CASES = [
    ("5038", {}, 5038),
    ("+12", {}, 12),
    ("-3", {}, -3),
    ("0", {"minimum": 0}, 0),
    ("65535", {"minimum": 1, "maximum": 65535}, 65535),
]


@pytest.mark.parametrize(("text", "bounds", "expected"), INT_CASES)
def test_int_valid(text: str, bounds: dict[str, int], expected: int) -> None:
    problems: list[Problem] = []
    assert as_int(entry(text), -99, problems, **bounds) == expected
    assert problems == []


INT_INVALID = [
    ("x", {"minimum": 1, "maximum": 65535}, "expected an integer 1-65535"),
    ("0", {"minimum": 1, "maximum": 65535}, "expected an integer 1-65535"),
    ("70000", {"minimum": 1, "maximum": 65535}, "expected an integer 1-65535"),
    ("-1", {"minimum": 0}, "expected an integer >= 0"),
    ("11", {"maximum": 10}, "expected an integer <= 10"),
    ("1_000", {}, "expected an integer"),
    ("1.5", {}, "expected an integer"),
    ("", {}, "expected an integer"),
    ("12abc", {}, "expected an integer"),
    ("\u0661", {}, "expected an integer"),
]


@pytest.mark.parametrize(("text", "bounds", "expected"), INT_INVALID)
def test_int_invalid(text: str, bounds: dict[str, int], expected: str) -> None:
    problems: list[Problem] = []
    assert as_int(entry(text, "port"), 5038, problems, **bounds) == 5038
    (problem,) = problems
    assert problem.message == f"invalid value '{text}' for 'port' ({expected})"
    assert (problem.file, problem.line, problem.severity) == ("test.conf", 7, "warning")


def test_severity_can_be_error() -> None:
    problems: list[Problem] = []
    as_int(entry("x"), 1, problems, severity="error")
    assert problems[0].severity == "error"


@pytest.mark.parametrize(
    ("text", "expected"), [("1", 1.0), ("0.5", 0.5), (".5", 0.5), ("-2.", -2.0), ("1e3", 1000.0)]
)
def test_float_valid(text: str, expected: float) -> None:
    problems: list[Problem] = []
    assert as_float(entry(text), 9.0, problems) == expected
    assert problems == []


@pytest.mark.parametrize("text", ["nan", "inf", "", "1,5", "abc", "1.2.3"])
def test_float_invalid(text: str) -> None:
    problems: list[Problem] = []
    assert as_float(entry(text), 9.0, problems) == 9.0
    assert "expected a number" in problems[0].message


def test_float_bounds() -> None:
    problems: list[Problem] = []
    assert as_float(entry("2.5"), 1.0, problems, minimum=0, maximum=2) == 1.0
    assert "expected a number 0-2" in problems[0].message


def test_str_and_choice_and_list() -> None:
    problems: list[Problem] = []
    assert as_str(entry(""), "d", problems) == ""
    assert as_str(entry(""), "d", problems, allow_empty=False) == "d"
    assert as_choice(entry("RingAll"), "x", problems, ["ringall", "leastrecent"]) == "ringall"
    assert as_choice(entry("bogus"), "x", problems, ["ringall", "leastrecent"]) == "x"
    assert as_list(entry(" a, b ,,c "), [], problems) == ["a", "b", "c"]
    assert as_list(entry("a|b"), [], problems, separator="|") == ["a", "b"]
    assert [p.message for p in problems] == [
        "invalid value '' for 'opt' (expected a non-empty value)",
        "invalid value 'bogus' for 'opt' (expected one of ringall, leastrecent)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("[::1]", "::1"), ("0:0::0:1", "::1")],
)
def test_ip_valid(text: str, expected: str) -> None:
    problems: list[Problem] = []
    assert as_ip(entry(text), "x", problems) == expected
    assert problems == []


@pytest.mark.parametrize("text", ["localhost", "256.0.0.1", "", "1.2.3"])
def test_ip_invalid(text: str) -> None:
    problems: list[Problem] = []
    assert as_ip(entry(text, "bindaddr"), "0.0.0.0", problems) == "0.0.0.0"
    assert problems[0].message.endswith("(expected an IP address)")


HOSTPORT_VALID = [
    ("127.0.0.1", HostPort("127.0.0.1", None)),
    ("127.0.0.1:5060", HostPort("127.0.0.1", 5060)),
    ("pbx.example.com:5038", HostPort("pbx.example.com", 5038)),
    ("localhost", HostPort("localhost", None)),
    ("[::1]:5060", HostPort("::1", 5060)),
    ("[::1]", HostPort("::1", None)),
    ("fe80::1", HostPort("fe80::1", None)),
    ("0.0.0.0:65535", HostPort("0.0.0.0", 65535)),
]


@pytest.mark.parametrize(("text", "expected"), HOSTPORT_VALID)
def test_hostport_valid(text: str, expected: HostPort) -> None:
    problems: list[Problem] = []
    assert as_hostport(entry(text), HostPort("d"), problems) == expected
    assert problems == []
    assert parse_hostport(str(expected)) == expected


HOSTPORT_INVALID = [
    "",
    ":5060",
    "host:",
    "host:0",
    "host:65536",
    "host:port",
    "[::1]5060",
    "[::1",
    "[example.com]:5",
    "300.1.1.1",
    "bad host",
    "a:b:c",
    "-leading",
]


@pytest.mark.parametrize("text", HOSTPORT_INVALID)
def test_hostport_invalid(text: str) -> None:
    problems: list[Problem] = []
    default = HostPort("0.0.0.0", 5060)
    assert as_hostport(entry(text, "udpbindaddr"), default, problems) == default
    assert problems[0].message == (
        f"invalid value '{text}' for 'udpbindaddr' (expected host[:port] (port 1-65535))"
    )
    assert parse_hostport(text) is None


def test_hostport_default_and_required_port() -> None:
    problems: list[Problem] = []
    got = as_hostport(entry("10.0.0.1"), HostPort("x"), problems, default_port=5060)
    assert got == HostPort("10.0.0.1", 5060)
    assert str(HostPort("::1", 5060)) == "[::1]:5060"
    assert str(HostPort("h")) == "h"
    assert as_hostport(entry("h"), HostPort("d", 1), problems, require_port=True) == ("d", 1)
    assert "expected host:port" in problems[0].message


def test_settings_view_over_a_category() -> None:
    config = loads(
        "[general]\nenabled = yes\nport = 99999\nport = 5038\nbindaddr = nope\n"
        "strategy = ringall\nweird = 1\n",
        name="manager.conf",
    )
    problems: list[Problem] = []
    settings = Settings(config.get_category("general"), problems)
    assert settings.get_bool("enabled", False) is True
    assert settings.get_int("port", 1, minimum=1, maximum=65535) == 5038  # last one wins
    assert settings.get_ip("bindaddr", "0.0.0.0") == "0.0.0.0"
    assert settings.get_choice("strategy", "x", ["ringall"]) == "ringall"
    assert settings.get_str("missing", "m") == "m"
    assert settings.get_float("missing", 2.0) == 2.0
    assert settings.get_list("missing") == []
    assert settings.get_hostport("missing", HostPort("a")) == HostPort("a")
    assert [str(p) for p in problems] == [
        "manager.conf:5: warning: invalid value 'nope' for 'bindaddr' (expected an IP address)"
    ]
    unknown = settings.warn_unknown(["enabled", "port", "bindaddr", "strategy"])
    assert [e.key for e in unknown] == ["weird"]
    assert str(problems[-1]) == "manager.conf:7: warning: unknown option 'weird' in [general]"


def test_settings_without_category_gives_defaults() -> None:
    problems: list[Problem] = []
    settings = Settings(None, problems, severity="error")
    assert settings.get_bool("x", True) is True
    assert settings.entry("x") is None
    assert settings.warn_unknown([]) == []
    assert problems == []
