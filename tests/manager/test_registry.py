"""The action registry: one entry per action, looked up case-insensitively."""

from __future__ import annotations

import pytest

import pbxd.manager.actions  # noqa: F401  (registers the built-in actions)
from pbxd.manager.privileges import Privilege
from pbxd.manager.registry import ACTIONS, ActionRegistry, ActionSpec, Argument
from pbxd.manager.response import Response, success


def _handler(session: object, message: object) -> Response:
    return success()


def test_register_and_lookup() -> None:
    registry = ActionRegistry()
    returned = registry.action("MyAction", Privilege.CALL, "Do it.")(_handler)
    assert returned is _handler
    for name in ("MyAction", "myaction", "MYACTION"):
        spec = registry.lookup(name)
        assert spec is not None
        assert spec.name == "MyAction"
        assert spec.handler is _handler
        assert spec.privilege == Privilege.CALL
        assert spec.privilege_text == "call,all"
    assert registry.lookup("Other") is None
    assert registry.lookup("MyAction ") is None  # names are not stripped
    assert len(registry) == 1


def test_registering_twice_is_an_error() -> None:
    registry = ActionRegistry()
    registry.add(ActionSpec("Ping", _handler, 0, "Keepalive command."))
    with pytest.raises(ValueError):
        registry.add(ActionSpec("PING", _handler, 0, "again"))


def test_iteration_is_sorted_case_insensitively() -> None:
    registry = ActionRegistry()
    for name in ("b", "A", "c", "B2"):
        registry.add(ActionSpec(name, _handler, 0, name))
    assert [spec.name for spec in registry] == ["A", "b", "B2", "c"]


SYNTAX_CASES = [
    ((), ["Action: X", "[ActionID:] <value>"]),
    (
        (Argument("Channel", "The channel.", True), Argument("Timeout", "Seconds.")),
        ["Action: X", "[ActionID:] <value>", "Channel: <value>", "[Timeout:] <value>"],
    ),
]


@pytest.mark.parametrize(("arguments", "lines"), SYNTAX_CASES)
def test_syntax(arguments: tuple[Argument, ...], lines: list[str]) -> None:
    assert ActionSpec("X", _handler, 0, "x", arguments=arguments).syntax() == lines


def test_privilege_text_of_an_unprivileged_action() -> None:
    assert ActionSpec("Ping", _handler, 0, "Keepalive command.").privilege_text == "<none>"


BUILTIN_CASES = [
    # (action, privilege, runs before login)
    ("Login", 0, True),
    ("Logoff", 0, True),
    ("Challenge", 0, True),
    ("Ping", 0, False),
    ("Events", 0, False),
    ("ListCommands", 0, False),
    ("WaitEvent", 0, False),
    ("Command", Privilege.COMMAND, False),
    ("UserEvent", Privilege.USER, False),
    ("CoreStatus", Privilege.SYSTEM | Privilege.REPORTING, False),
    ("CoreSettings", Privilege.SYSTEM | Privilege.REPORTING, False),
    ("Filter", Privilege.SYSTEM, False),
    ("Reload", Privilege.SYSTEM | Privilege.CONFIG, False),
]


@pytest.mark.parametrize(("name", "privilege", "before_login"), BUILTIN_CASES)
def test_builtin_actions(name: str, privilege: int, before_login: bool) -> None:
    spec = ACTIONS.lookup(name)
    assert spec is not None
    assert spec.name == name
    assert spec.privilege == privilege
    assert spec.before_login is before_login


def test_only_login_logoff_challenge_run_before_login() -> None:
    assert sorted(spec.name for spec in ACTIONS if spec.before_login) == [
        "Challenge",
        "Login",
        "Logoff",
    ]


def test_every_builtin_is_documented() -> None:
    for spec in ACTIONS:
        assert spec.synopsis, spec.name
        assert len({arg.name.lower() for arg in spec.arguments}) == len(spec.arguments)
