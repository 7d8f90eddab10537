"""The CLI command registry: lookup, usage, unknown-command text, the AMI blacklist."""

from __future__ import annotations

import pytest

from pbxd.pbx.cli import CliFailure, CliRegistry, ShowUsage, split_words


def make() -> CliRegistry:
    cli = CliRegistry()

    @cli.register("core show version", "Display version info")
    def version(args: list[str]) -> list[str]:
        return ["Asterisk 20.20.1"]

    @cli.register("core show channels", "Display information on channels")
    def channels(args: list[str]) -> list[str]:
        return ["0 active channels"]

    @cli.register("database show", "Shows database contents", takes_args=True)
    def database(args: list[str]) -> list[str]:
        return [f"args={args}"]

    @cli.register("manager show user", "Display a manager user",
                  "Usage: manager show user <user>\n       Display a manager user.", takes_args=True)
    def user(args: list[str]) -> list[str]:
        if len(args) != 1:
            raise ShowUsage
        return [args[0]]

    @cli.register("manager kick session", "Kick a manager session", takes_args=True)
    def kick(args: list[str]) -> list[str]:
        raise CliFailure(f"Invalid AMI file descriptor: {args[0]}\nsecond line")

    return cli


FIND_CASES = [
    # (words, command found, its arguments)
    (["core", "show", "version"], "core show version", []),
    (["CORE", "Show", "VERSION"], "core show version", []),
    (["core", "show", "version", "extra"], None, None),  # takes no arguments
    (["database", "show"], "database show", []),
    (["database", "show", "Fam", "Key"], "database show", ["Fam", "Key"]),  # spelling kept
    (["core", "show"], None, None),
    (["nothing"], None, None),
    ([], None, None),
]


@pytest.mark.parametrize(("words", "text", "args"), FIND_CASES)
def test_find(words: list[str], text: str | None, args: list[str] | None) -> None:
    found = make().find(words)
    if text is None:
        assert found is None
    else:
        assert found is not None
        assert (found[0].text, found[1]) == (text, args)


RUN_CASES = [
    # (command line, ok, output)
    ("core show version", True, ["Asterisk 20.20.1"]),
    ("  core   show    version  ", True, ["Asterisk 20.20.1"]),
    ("", True, []),
    ("database show a b", True, ["args=['a', 'b']"]),
    ("manager show user bob", True, ["bob"]),
    ("manager show user", False, ["Usage: manager show user <user>", "       Display a manager user."]),
    ("manager kick session x", False, ["Invalid AMI file descriptor: x", "second line"]),
    ("foo bar baz", False,
     ["No such command 'foo bar baz' (type 'core show help foo bar' for other possible commands)"]),
    ("foo", False, ["No such command 'foo' (type 'core show help foo' for other possible commands)"]),
    ("core show nothing here", False,
     ["No such command 'core show nothing here' (type 'core show help core show nothing here' "
      "for other possible commands)"]),
]


@pytest.mark.parametrize(("line", "ok", "output"), RUN_CASES)
def test_run(line: str, ok: bool, output: list[str]) -> None:
    result = make().run(line)
    assert (result.ok, result.lines) == (ok, output)


def test_default_usage() -> None:
    (command, _) = make().find(["core", "show", "version"]) or (None, None)
    assert command is not None
    assert command.usage == "Usage: core show version\n       Display version info."
    assert make().run("core show channels").lines == ["0 active channels"]


def test_registering_twice_is_an_error() -> None:
    cli = make()
    with pytest.raises(ValueError):
        cli.register("core show version", "again")(lambda args: [])


def test_iteration_is_sorted() -> None:
    assert [c.text for c in make()] == [
        "core show channels", "core show version", "database show", "manager kick session",
        "manager show user",
    ]


def test_help_lines() -> None:
    cli = make()
    assert len(cli.help_lines()) == 5
    lines = cli.help_lines(["core", "show"])
    assert len(lines) == 2
    assert all(" -- " in line for line in lines)
    assert lines[1].split(" -- ") == [f"{'core show version':<30s}", "Display version info"]
    assert cli.help_lines(["nothing"]) == []


BLACKLIST_CASES = [
    ("module load res_nothing.so", True),
    ("module   unload res_nothing.so", True),
    ("  MODULE UNLOAD x", True),
    ("module\tunload x", True),
    ("module unload", True),
    ("restart gracefully", True),
    ("Restart Gracefully now", True),
    ("module show", False),
    ("module", False),
    ("restart now", False),
    ("core show version", False),
    ("modules load x", False),
    ("", False),
]


@pytest.mark.parametrize(("line", "blacklisted"), BLACKLIST_CASES)
def test_blacklist(line: str, blacklisted: bool) -> None:
    assert CliRegistry.blacklisted(line) is blacklisted


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("database put fam key value", ["database", "put", "fam", "key", "value"]),
        ('database put fam "my key" "a  value"', ["database", "put", "fam", "my key", "a  value"]),
        ('database query "SELECT 1"', ["database", "query", "SELECT 1"]),
        ('put "" x', ["put", "", "x"]),
        (r"put a\ b \\ \"q", ["put", "a b", "\\", '"q']),
        ('say "unclosed words', ["say", "unclosed words"]),
        ("  \t spaced   out  ", ["spaced", "out"]),
    ],
)
def test_words_as_asterisk_parses_them(line: str, words: list[str]) -> None:
    assert split_words(line) == words
