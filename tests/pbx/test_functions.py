"""Dialplan functions: the registry and each function's Asterisk behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import pytest

from pbxd.pbx import functions
from pbxd.pbx.astdb import AstDB
from pbxd.pbx.expressions import VariableScope, substitute
from pbxd.pbx.functions import (
    check_condition,
    read_function,
    separate_args,
    split_call,
    write_function,
)


class State(IntEnum):
    DOWN = 0
    UP = 6

    @property
    def description(self) -> str:
        return self.name.title()


@dataclass
class Party:
    number: str = ""
    name: str = ""


@dataclass
class FakeChannel:
    name: str = "PJSIP/100-00000001"
    uniqueid: str = "1700000000.1"
    linkedid: str = "1700000000.0"
    language: str = "en"
    accountcode: str = ""
    context: str = "default"
    exten: str = "100"
    priority: int = 2
    state: State = State.UP
    caller: Party = field(default_factory=lambda: Party("100", "Alice"))
    connected: Party = field(default_factory=Party)
    variables: dict[str, str] = field(default_factory=lambda: {"VAR": "a-b-c-d-e"})
    cdr: dict[str, str] = field(default_factory=lambda: {"src": "100", "disposition": "ANSWERED"})

    def set_caller(self, number: str | None = None, name: str | None = None) -> None:
        self.caller = Party(
            self.caller.number if number is None else number,
            self.caller.name if name is None else name,
        )

    def set_connected(self, number: str | None = None, name: str | None = None) -> None:
        self.connected = Party(
            self.connected.number if number is None else number,
            self.connected.name if name is None else name,
        )

    def set_language(self, language: str) -> None:
        self.language = language

    def set_accountcode(self, code: str) -> None:
        self.accountcode = code


class FakePBX:
    def __init__(self, astdb: AstDB) -> None:
        self.astdb = astdb
        self.clock = lambda: 86400.0
        self.custom: dict[str, str] = {}

    def device_state(self, device: str) -> str:
        return self.custom.get(device, "INVALID")

    def set_custom_device_state(self, device: str, state: str) -> None:
        self.custom[device] = state.upper()

    def extension_state(self, exten: str, context: str) -> str:
        return f"{exten}@{context}:0"


@pytest.fixture
def scope(tmp_path: Path) -> VariableScope:
    astdb = AstDB(tmp_path / "astdb.sqlite3")
    astdb.put("fam", "key", "stored")
    astdb.put("fam", "sub/deep", "x")
    astdb.put("fam", "a,b", "y")
    yield VariableScope(channel=FakeChannel(), pbx=FakePBX(astdb), globals={"G": "gv"})
    astdb.close()


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("LEN(hello)", "5"),
        ("LEN()", "0"),
        ("len(abc)", "3"),
        ("ISNULL()", "1"),
        ("ISNULL(x)", "0"),
        ("EXISTS(x)", "1"),
        ("EXISTS()", "0"),
        ("IF(1?yes:no)", "yes"),
        ("IF(0?yes:no)", "no"),
        ("IF(abc?yes:no)", "yes"),
        ("IF(00?yes:no)", "no"),
        ("IF(1?yes)", "yes"),
        ("IF(0?yes)", ""),
        ("IF(0?:no)", "no"),
        ("IF( 1 ? a b : c )", "a b"),
        ('IF(1?"x:y":z)', "x:y"),
        ("CUT(VAR,-,2)", "b"),
        ("CUT(VAR,-,2-3)", "b-c"),
        ("CUT(VAR,-,-2)", "a-b"),
        ("CUT(VAR,-,4-)", "d-e"),
        ("CUT(VAR,-,1&3&5)", "a-c-e"),
        ("CUT(VAR,,2)", "b"),
        ("CUT(VAR,-,9)", ""),
        ("CUT(UNSET,-,1)", ""),
        ("CUT(EXTEN,0,1)", "1"),
        ('REGEX("^a.c" abc)', "1"),
        ('REGEX("^b" abc)', "0"),
        ('REGEX("[0-9]+" room 101)', "1"),
        ("MATH(3*8,int)", "24"),
        ("MATH(3*8)", "24.000000"),
        ("MATH(10/4)", "2.500000"),
        ("MATH(10/0,i)", "0"),
        ("MATH(10%3,i)", "1"),
        ("MATH(2^10,i)", "1024"),
        ("MATH(170 AND 63,i)", "42"),
        ("MATH(170AND63,i)", "42"),
        ("MATH(1 OR 2,i)", "3"),
        ("MATH(3 XOR 1,i)", "2"),
        ("MATH(1<<4,i)", "16"),
        ("MATH(256>>4,i)", "16"),
        ("MATH(255+1,h)", "100"),
        ("MATH(65+0,c)", "A"),
        ("MATH(-5+2,i)", "-3"),
        ("MATH(5-7,i)", "-2"),
        ("MATH(3>2)", "TRUE"),
        ("MATH(3<=2)", "FALSE"),
        ("MATH(3==3)", "TRUE"),
        ("STRFTIME(0,GMT,%Y-%m-%d %H:%M:%S)", "1970-01-01 00:00:00"),
        ("STRFTIME(1.25,UTC,%S.%q)", "01.250"),
        ("STRFTIME(1.25,UTC,%S.%1q)", "01.2"),
        ("STRFTIME(0,America/New_York,%H)", "19"),
        ("STRFTIME(,UTC,%d)", "02"),
        ("GLOBAL(G)", "gv"),
        ("GLOBAL(NONE)", ""),
        ("CALLERID(num)", "100"),
        ("CALLERID(name)", "Alice"),
        ("CALLERID(all)", '"Alice" <100>'),
        ('CALLERID(num,"Bob" <200>)', "200"),
        ("CONNECTEDLINE(all)", '"" <>'),
        ("CHANNEL(name)", "PJSIP/100-00000001"),
        ("CHANNEL(state)", "Up"),
        ("CHANNEL(language)", "en"),
        ("CHANNEL(linkedid)", "1700000000.0"),
        ("CHANNEL(priority)", "2"),
        ("CHANNEL(channeltype)", "PJSIP"),
        ("CDR(src)", "100"),
        ("CDR(userfield)", ""),
        ("DB(fam/key)", "stored"),
        ("DB(fam/missing)", ""),
        ("DB_EXISTS(fam/key)", "1"),
        ("DB_EXISTS(nofam/nokey)", "0"),
        ("DB_KEYS(fam)", "a\\,b,key,sub"),
        ("DB_KEYS(/fam/sub/)", "deep"),
        ("DB_KEYS(nothing)", ""),
        ("DEVICE_STATE(Custom:none)", "INVALID"),
        ("EXTENSION_STATE(100)", "100@default:0"),
        ("EXTENSION_STATE(100@other)", "100@other:0"),
    ],
)
def test_read(scope: VariableScope, expression: str, result: str) -> None:
    assert read_function(scope, expression) == result


@pytest.mark.parametrize(
    "expression",
    [
        "NOSUCH(x)",
        "IF(1)",
        "IF(?a:b)",
        "CUT(VAR)",
        "REGEX(abc)",
        "MATH(3)",
        "MATH(3*x)",
        "MATH(3*4,weird)",
        "MATH(3=4)",
        "CALLERID(bogus)",
        "CHANNEL(bogus)",
        "DB(nokey)",
    ],
)
def test_read_failures_give_none(scope: VariableScope, expression: str) -> None:
    assert read_function(scope, expression) is None


def test_functions_needing_a_channel_fail_without_one() -> None:
    bare = VariableScope()
    for expression in ("CALLERID(num)", "CHANNEL(name)", "CDR(src)", "CONNECTEDLINE(name)"):
        assert read_function(bare, expression) is None
    assert read_function(bare, "LEN(abc)") == "3"
    assert read_function(None, "DB_EXISTS(nofam/nokey)") is None


def test_rand_stays_in_range(scope: VariableScope) -> None:
    for _ in range(50):
        assert 5 <= int(read_function(scope, "RAND(5,7)") or "") <= 7
        assert 5 <= int(read_function(scope, "RAND(7,5)") or "") <= 7
    assert 0 <= int(read_function(scope, "RAND()") or "") <= 2**31 - 1


def test_writes(scope: VariableScope) -> None:
    channel = scope.channel
    assert write_function(scope, "CALLERID(num)", "555")
    assert write_function(scope, "CALLERID(name)", "Carol")
    assert (channel.caller.number, channel.caller.name) == ("555", "Carol")
    assert write_function(scope, "CALLERID(all)", '"Dave" <777>')
    assert (channel.caller.number, channel.caller.name) == ("777", "Dave")
    assert write_function(scope, "CONNECTEDLINE(num)", "888")
    assert channel.connected.number == "888"
    assert write_function(scope, "CHANNEL(language)", "de")
    assert write_function(scope, "CHANNEL(accountcode)", "acct")
    assert (channel.language, channel.accountcode) == ("de", "acct")
    assert write_function(scope, "CDR(userfield)", "note")
    assert channel.cdr["userfield"] == "note"
    assert not write_function(scope, "CDR(disposition)", "BUSY")
    assert write_function(scope, "GLOBAL(NEWG)", "1")
    assert scope.globals["NEWG"] == "1"
    assert write_function(scope, "DB(fam/new)", "value")
    assert read_function(scope, "DB(fam/new)") == "value"
    assert read_function(scope, "DB_DELETE(fam/new)") == "value"
    assert read_function(scope, "DB_EXISTS(fam/new)") == "0"
    assert write_function(scope, "DEVICE_STATE(Custom:lamp)", "inuse")
    assert read_function(scope, "DEVICE_STATE(Custom:lamp)") == "INUSE"
    assert not write_function(scope, "DEVICE_STATE(Custom:lamp)", "nonsense")
    assert not write_function(scope, "DEVICE_STATE(Custom:)", "INUSE")
    assert not write_function(scope, "DEVICE_STATE(SIP/alice)", "INUSE")
    assert scope.pbx.custom["Custom:lamp"] == "INUSE"


@pytest.mark.parametrize(
    "expression",
    ["LEN(x)", "NOSUCH(x)", "CHANNEL(name)", "CALLERID(bogus)", "DEVICE_STATE(PJSIP/100)"],
)
def test_write_refusals(scope: VariableScope, expression: str) -> None:
    assert write_function(scope, expression, "v") is False


def test_db_sets_db_result_on_the_channel(scope: VariableScope) -> None:
    read_function(scope, "DB_EXISTS(fam/key)")
    assert scope.channel.variables["DB_RESULT"] == "stored"


def test_functions_inside_substitution(scope: VariableScope) -> None:
    assert substitute("${CALLERID(num)}:${CUT(VAR,-,2)}", scope) == "100:b"
    assert substitute("${CALLERID(name):0:3}", scope) == "Ali"
    assert substitute("$[${LEN(abcd)} * 2]", scope) == "8"
    assert substitute("$[LEN(abcd) + 1]", scope) == "5"


@pytest.mark.parametrize(
    ("data", "delim", "limit", "result"),
    [
        ("a,b,c", ",", None, ["a", "b", "c"]),
        ("a,b,c", ",", 2, ["a", "b,c"]),
        ("a,", ",", None, ["a", ""]),
        ("", ",", None, []),
        ("f(a,b),c", ",", None, ["f(a,b)", "c"]),
        ("[a,b],c", ",", None, ["[a,b]", "c"]),
        ('"a,b",c', ",", None, ["a,b", "c"]),
        ("a\\,b,c", ",", None, ["a,b", "c"]),
        ('""', ",", None, [""]),
    ],
)
def test_separate_args(data: str, delim: str, limit: int | None, result: list[str]) -> None:
    assert separate_args(data, delim, limit) == result


@pytest.mark.parametrize(
    ("text", "truth"),
    [
        ("", False),
        ("0", False),
        ("1", True),
        ("00", False),
        ("abc", True),
        ("0abc", False),
        (" 2", True),
        ("-1", True),
    ],
)
def test_check_condition(text: str, truth: bool) -> None:
    assert check_condition(text) is truth


def test_split_call() -> None:
    assert split_call("F(a(b))") == ("F", "a(b)")
    assert split_call("F") == ("F", "")
    assert split_call("F(a") == ("F", "a")


def test_registry_and_show_functions() -> None:
    names = [entry.name for entry in functions.registered()]
    assert names == sorted(names)
    for required in (
        "LEN",
        "IF",
        "CUT",
        "REGEX",
        "MATH",
        "RAND",
        "STRFTIME",
        "GLOBAL",
        "CALLERID",
        "CONNECTEDLINE",
        "CHANNEL",
        "CDR",
        "DB",
        "DB_EXISTS",
        "DB_DELETE",
        "DB_KEYS",
        "DEVICE_STATE",
        "EXTENSION_STATE",
    ):
        assert required in names
    lines = functions.show_functions()
    assert lines[0] == "Installed Custom Functions:"
    assert lines[-1] == f"{len(names)} custom functions installed."
    assert any(line.startswith("LEN                   LEN(string)") for line in lines)
    assert functions.show_functions("db_")[-1] == "3 matching custom functions installed."


def test_a_crashing_handler_is_contained(scope: VariableScope) -> None:
    @functions.function("PBXD_TEST_BOOM", "PBXD_TEST_BOOM()", "Raises.")
    def boom(scope: VariableScope, name: str, data: str) -> str | None:
        raise RuntimeError("boom")

    try:
        assert read_function(scope, "PBXD_TEST_BOOM()") is None
        assert substitute("[${PBXD_TEST_BOOM()}]", scope) == "[]"
    finally:
        functions._REGISTRY.pop("PBXD_TEST_BOOM")
