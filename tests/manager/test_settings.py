"""manager.conf as typed settings, with Asterisk's defaults."""

from __future__ import annotations

import pytest
from support import REFERENCE_CONF

from pbxd.config.conf import Problem, loads
from pbxd.configuration import load_configuration
from pbxd.manager.privileges import Privilege
from pbxd.manager.settings import ManagerSettings, manager_settings

REFERENCE = REFERENCE_CONF


def read(text: str) -> tuple[ManagerSettings, list[Problem]]:
    problems: list[Problem] = []
    settings = manager_settings(loads(text, "manager.conf"), {}, problems)
    return settings, problems


DEFAULTS = [
    ("enabled", False),
    ("webenabled", False),
    ("port", 5038),
    ("bindaddr", "0.0.0.0"),
    ("displayconnects", True),
    ("timestampevents", False),
    ("allowmultiplelogin", True),
    ("authtimeout", 30),
    ("authlimit", 50),
    ("httptimeout", 60),
    ("channelvars", []),
    ("disabledevents", []),
]


@pytest.mark.parametrize(("name", "value"), DEFAULTS)
@pytest.mark.parametrize("text", ["", "[general]\n"])
def test_defaults(text: str, name: str, value: object) -> None:
    settings, problems = read(text)
    assert getattr(settings, name) == value
    assert problems == []


GENERAL_CASES = [
    ("enabled = yes", "enabled", True),
    ("port = 15038", "port", 15038),
    ("bindaddr = 127.0.0.1", "bindaddr", "127.0.0.1"),
    ("displayconnects = no", "displayconnects", False),
    ("timestampevents = yes", "timestampevents", True),
    ("authtimeout = 5", "authtimeout", 5),
    ("authlimit = 3", "authlimit", 3),
    ("httptimeout = 120", "httptimeout", 120),
    ("webenabled = on", "webenabled", True),
]


@pytest.mark.parametrize(("line", "name", "value"), GENERAL_CASES)
def test_general(line: str, name: str, value: object) -> None:
    settings, problems = read(f"[general]\n{line}\n")
    assert getattr(settings, name) == value
    assert problems == []


BAD_GENERAL = [
    ("port = lots", "port", 5038),
    ("port = 70000", "port", 5038),
    ("enabled = perhaps", "enabled", False),
    ("authtimeout = soon", "authtimeout", 30),
]


@pytest.mark.parametrize(("line", "name", "value"), BAD_GENERAL)
def test_bad_general_value_keeps_default_with_a_problem(line: str, name: str, value: object) -> None:
    settings, problems = read(f"[general]\n{line}\n")
    assert getattr(settings, name) == value
    assert [(p.file, p.line) for p in problems] == [("manager.conf", 2)]


USER_CASES = [
    # (lines of [bob], attribute, value)
    ("secret = s", "read", 0),  # read/write are 0 when absent
    ("secret = s", "write", 0),
    ("secret = s", "secret", "s"),
    ("read = system,call", "read", Privilege.SYSTEM | Privilege.CALL),
    ("write = all", "write", Privilege.ALL),
    ("secret = s", "writetimeout", 100),
    ("writetimeout = 250", "writetimeout", 250),
    ("writetimeout = 100", "writetimeout", 100),
    ("displayconnects = no", "displayconnects", False),
    ("allowmultiplelogin = no", "allowmultiplelogin", False),
    ("setvar = A=1\nsetvar = B=x=y", "setvars", [("A", "1"), ("B", "x=y")]),
]


@pytest.mark.parametrize(("lines", "name", "value"), USER_CASES)
def test_user(lines: str, name: str, value: object) -> None:
    settings, problems = read(f"[general]\n[bob]\n{lines}\n")
    assert getattr(settings.users["bob"], name) == value
    assert problems == []


@pytest.mark.parametrize("value", ["99", "0", "-5"])
def test_writetimeout_below_100_is_ignored_with_a_warning(value: str) -> None:
    settings, problems = read(f"[bob]\nsecret = s\nwritetimeout = {value}\n")
    assert settings.users["bob"].writetimeout == 100
    assert [(p.line, p.severity) for p in problems] == [(3, "warning")]


def test_users_are_keyed_case_insensitively() -> None:
    settings, _ = read("[Admin]\nsecret = a\n")
    assert settings.users["admin"].name == "Admin"


def test_user_defaults_follow_general() -> None:
    settings, _ = read("[general]\ndisplayconnects = no\nallowmultiplelogin = no\n[bob]\nsecret = s\n")
    assert not settings.users["bob"].displayconnects
    assert not settings.users["bob"].allowmultiplelogin


def test_duplicate_user_keeps_the_first() -> None:
    settings, problems = read("[bob]\nsecret = one\n[bob]\nsecret = two\n")
    assert settings.users["bob"].secret == "one"
    assert len(problems) == 1


def test_eventfilters_are_read() -> None:
    settings, problems = read(
        "[bob]\nsecret = s\neventfilter = Event: UserEvent\neventfilter = !Channel: Local/\n"
        "eventfilter(action(exclude),name(Hangup)) =\n"
    )
    filters = settings.users["bob"].filters
    assert problems == []
    assert filters is not None
    assert (len(filters.includes), len(filters.excludes)) == (1, 2)


def test_bad_eventfilter_is_an_error_problem() -> None:
    _, problems = read("[bob]\nsecret = s\neventfilter = Event: (\n")
    assert [(p.line, p.severity) for p in problems] == [(3, "error")]


def test_unknown_options_are_warnings() -> None:
    _, problems = read("[general]\nfrobnicate = yes\n[bob]\nsecret = s\nwibble = 1\n")
    assert [(p.line, p.severity) for p in problems] == [(2, "warning"), (5, "warning")]


def test_reference_configuration_loads_without_errors() -> None:
    configuration = load_configuration(REFERENCE)
    assert configuration.errors == []
    settings = configuration.manager
    assert (settings.enabled, settings.webenabled, settings.port, settings.bindaddr) == (
        True, True, 15038, "127.0.0.1"
    )
    assert sorted(settings.users) == ["acluser", "admin", "blocked", "limited"]
    assert settings.users["admin"].read == Privilege.ALL
    assert settings.users["limited"].write == Privilege.CALL
    assert settings.users["acluser"].allows_address("127.0.0.1")
    assert not settings.users["acluser"].allows_address("10.1.2.3")
    assert not settings.users["blocked"].allows_address("127.0.0.1")
    assert settings.users["blocked"].allows_address("10.1.2.3")
