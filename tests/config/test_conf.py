"""Tests for the Asterisk .conf parser."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import REFERENCE_CONF

from pbxd.config.conf import Category, ConfigFile, Entry, Problem, load, loads

REFERENCE = REFERENCE_CONF


def pairs(category: Category) -> list[tuple[str, str]]:
    return [(entry.key, entry.value) for entry in category.entries]


def messages(config: ConfigFile) -> list[str]:
    return [problem.message for problem in config.problems]


# -- values and operators -----------------------------------------------------------------

VALUE_CASES = [
    ("key=value", ("key", "value", "=")),
    ("  key   =   value  ", ("key", "value", "=")),
    ("key => value", ("key", "value", "=>")),
    ("key=>value", ("key", "value", "=>")),
    ("exten => 100,1,Answer()", ("exten", "100,1,Answer()", "=>")),
    ("key = a = b", ("key", "a = b", "=")),
    ("key =", ("key", "", "=")),
    ("key = value ; comment", ("key", "value", "=")),
    ("key = a\\;b", ("key", "a;b", "=")),
    ("key = a\\;b;c", ("key", "a;b", "=")),
    ("key = a\\;;c", ("key", "a;", "=")),
    ("key = x ;-- block --; ", ("key", "x", "=")),
    ("ke;-- mid --;y = 1", ("key", "1", "=")),
    ("key = a;---b", ("key", "a", "=")),
    ("\\[odd = 1", ("[odd", "1", "=")),
    ("\\#hash = 1", ("#hash", "1", "=")),
    ("\\==eq", ("=", "eq", "=")),
    ("key\t=\tvalue\r", ("key", "value", "=")),
    ("key = caf\u00e9", ("key", "caf\u00e9", "=")),
]


@pytest.mark.parametrize(("line", "expected"), VALUE_CASES)
def test_single_values(line: str, expected: tuple[str, str, str]) -> None:
    config = loads(f"[c]\n{line}\n")
    assert config.problems == []
    (entry,) = config.get_category("c").entries
    assert (entry.key, entry.value, entry.op) == expected
    assert entry.line == 2
    assert entry.file == "<string>"


APPEND_CASES = [
    ("a = x\na += y", "x y"),
    ("a = x\na +=y", "xy"),
    ("a = x\na += y\na += z", "x y z"),
    ("a += y", "y"),
    ("a = x\nA += y", None),
]


@pytest.mark.parametrize(("text", "expected"), APPEND_CASES)
def test_append_operator(text: str, expected: str | None) -> None:
    category = loads(f"[c]\n{text}\n").get_category("c")
    if expected is None:  # += matches the key case-sensitively, like Asterisk
        assert pairs(category) == [("a", "x"), ("A", "y")]
    else:
        assert category.get_all("a") == [expected]


def test_append_targets_last_duplicate_and_keeps_operator() -> None:
    category = loads("[c]\nm => 1\nm => 2\nm += 3\n").get_category("c")
    assert pairs(category) == [("m", "1"), ("m", "2 3")]
    assert category.entries[1].op == "=>"
    assert category.entries[1].line == 4


def test_duplicate_keys_and_lookup() -> None:
    category = loads("[c]\nallow = ulaw\nAllow = alaw\nother = 1\nallow = gsm\n").get_category("c")
    assert category.get_all("allow") == ["ulaw", "alaw", "gsm"]
    assert category.get("ALLOW") == "gsm"  # last value wins, key case-insensitive
    assert category.get("missing") is None
    assert category.get("missing", "d") == "d"
    assert category.entry("other").line == 4
    assert category.keys() == ["allow", "other"]
    assert "Other" in category
    assert "nope" not in category
    assert [entry.key for entry in category] == ["allow", "Allow", "other", "allow"]


# -- comments -------------------------------------------------------------------------------

COMMENT_CASES = [
    ("; whole line\na = 1", [("a", "1", 2)]),
    (";-- one\ntwo\nthree --;\na = 1", [("a", "1", 4)]),
    (";-- start\nend --; a = 1", [("a", "1", 2)]),
    ("a = 1 ;-- start\nb = 2\n--;", [("a", "1", 1)]),
    (";-- outer ;-- inner --; still --;\na = 1", [("a", "1", 2)]),
    (";-- outer\n;-- inner --;\nb = 2\n--;\na = 1", [("a", "1", 5)]),
    ("a = 1 ;-- c --; ;tail", [("a", "1", 1)]),
    ("\n\n   \n\ta = 1", [("a", "1", 4)]),
]


@pytest.mark.parametrize(("text", "expected"), COMMENT_CASES)
def test_comments(text: str, expected: list[tuple[str, str, int]]) -> None:
    config = loads("[c]\n" + text + "\n")
    got = [(e.key, e.value, e.line - 1) for e in config.get_category("c").entries]
    assert got == expected
    assert config.errors == []


def test_unterminated_block_comment_is_a_warning() -> None:
    config = loads("[c]\na = 1\n;-- never closed\nb = 2\n")
    assert pairs(config.get_category("c")) == [("a", "1")]
    assert [(p.line, p.severity) for p in config.problems] == [(3, "warning")]
    assert "unterminated" in config.problems[0].message


def test_stray_block_end_is_a_plain_comment_with_warning() -> None:
    config = loads("[c]\na = 1 --; rest\nb = 2\n")
    assert pairs(config.get_category("c")) == [("a", "1 --"), ("b", "2")]
    assert config.warnings and config.warnings[0].line == 2


# -- categories -------------------------------------------------------------------------------


def test_categories_templates_and_inheritance() -> None:
    text = """
[base](!)
type = friend
host = dynamic

[codecs](!)
allow = ulaw

[alice](base,codecs)
secret = a
host = 10.0.0.1

[bob](base)
"""
    config = loads(text)
    assert config.problems == []
    assert config.category_names() == ["alice", "bob"]
    assert config.category_names(include_templates=True) == ["base", "codecs", "alice", "bob"]
    assert config.get_category("base") is None
    assert config.get_category("base", include_templates=True).is_template
    alice = config.get_category("alice")
    assert alice.templates == ["base", "codecs"]
    assert pairs(alice) == [
        ("type", "friend"),
        ("host", "dynamic"),
        ("allow", "ulaw"),
        ("secret", "a"),
        ("host", "10.0.0.1"),
    ]
    assert alice.get("host") == "10.0.0.1"
    assert [e.inherited for e in alice.entries] == [True, True, True, False, False]
    assert alice.entries[0].line == 3  # inherited entries keep the template's position
    assert (alice.file, alice.line) == ("<string>", 9)
    assert pairs(config.get_category("bob")) == [("type", "friend"), ("host", "dynamic")]


def test_template_inheriting_template_and_plain_category_as_base() -> None:
    config = loads("[a]\nx = 1\n[t](!,a)\ny = 2\n[u](t)\nz = 3\n")
    assert config.problems == []
    t = config.get_category("t", include_templates=True)
    assert t.is_template and t.templates == ["a"]
    assert pairs(config.get_category("u")) == [("x", "1"), ("y", "2"), ("z", "3")]


def test_inheritance_copies_entries_at_that_moment() -> None:
    config = loads("[t](!)\nx = 1\n[a](t)\n[t](+)\ny = 2\n")
    assert pairs(config.get_category("a")) == [("x", "1")]
    assert pairs(config.get_category("t", include_templates=True)) == [("x", "1"), ("y", "2")]


def test_addition_appends_to_first_category_of_that_name() -> None:
    config = loads("[g]\na = 1\n[other]\n[g]\nb = 2\n[G](+)\nc = 3\n")
    first, second = config.get_categories("g")
    assert pairs(first) == [("a", "1"), ("c", "3")]
    assert pairs(second) == [("b", "2")]
    assert first.entries[1].line == 7
    assert config.category_names() == ["g", "other"]
    assert [c.name for c in config.categories] == ["g", "other", "g"]


def test_repeated_category_kept_separately() -> None:
    config = loads("[general]\na = 1\n[general]\na = 2\n")
    assert len(config.get_categories("general")) == 2
    assert config.get_category("GENERAL").get("a") == "1"  # first category, like Asterisk


CATEGORY_ERRORS = [
    ("[x](+)\na = 1", "category addition requested, but category 'x' does not exist", 1),
    ("[x](nope)\na = 1", "inheritance requested, but category 'nope' does not exist", 1),
    ("[broken\na = 1", "no closing ']' in category header", 1),
    ("[x](!\na = 1", "no closing ')' in category options", 1),
    ("a = 1\n[x]", "line is outside any category (no [category] above it)", 1),
    ("[x]\n\\ a = 1", "invalid '\\' escape at start of line", 2),
]


@pytest.mark.parametrize(("text", "message", "line"), CATEGORY_ERRORS)
def test_errors_are_collected_not_raised(text: str, message: str, line: int) -> None:
    config = loads(text + "\n", name="test.conf")
    assert [(p.file, p.line, p.severity, p.message) for p in config.errors] == [
        ("test.conf", line, "error", message)
    ]


WARNINGS = [
    ("[x]\njust words", "no '=' in line; ignored"),
    ("[x]\n= value", "no variable name before '='; ignored"),
    ("[x]\n#exec /bin/true", "#exec is not supported; line ignored"),
    ("[x]\n#frobnicate thing", "unknown directive '#frobnicate' ignored"),
    ("[x]\n#include", "#include needs a file name; line ignored"),
    ("[x] trailing", "text after category header ignored: 'trailing'"),
    ("[]", "empty category name"),
    ("[x](!,)", "empty category option ignored"),
]


@pytest.mark.parametrize(("text", "message"), WARNINGS)
def test_warnings(text: str, message: str) -> None:
    config = loads(text + "\n")
    assert config.errors == []
    assert message in messages(config)


def test_failed_addition_keeps_lines_in_a_new_category() -> None:
    config = loads("[x](+)\na = 1\n")
    assert pairs(config.get_category("x")) == [("a", "1")]


def test_problem_formatting() -> None:
    assert str(Problem("f.conf", 3, "error", "bad")) == "f.conf:3: error: bad"
    assert str(Problem("f.conf", 0, "warning", "gone")) == "f.conf: warning: gone"
    entry = Entry("k", "v", "=>", "f.conf", 9)
    assert entry.location == "f.conf:9" and entry.is_object


# -- files and includes -------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_top_level_file(tmp_path: Path) -> None:
    config = load(tmp_path / "absent.conf")
    assert config.categories == []
    (problem,) = config.problems
    assert problem.severity == "error" and "not found" in problem.message
    assert problem.file == str(tmp_path / "absent.conf")


def test_directory_is_not_a_config(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config.errors and "not a regular file" in config.errors[0].message


def test_undecodable_bytes_still_parse(tmp_path: Path) -> None:
    path = tmp_path / "bin.conf"
    path.write_bytes(b"\xef\xbb\xbf[c]\nname = \xff\xfebad\nok = yes\n")
    config = load(path)
    assert config.errors == []
    category = config.get_category("c")
    assert category.get("name") == "\ufffd\ufffdbad"
    assert category.get("ok") == "yes"
    assert loads(b"[c]\nx = \x80\n").get_category("c").get("x") == "\ufffd"


def test_include_relative_to_including_file(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "extra.conf", "more = 2\n[extra]\ne = 1\n")
    main = write(tmp_path / "main.conf", '[a]\nx = 1\n#include "sub/extra.conf"\ny = 3\n')
    config = load(main)
    assert config.problems == []
    a = config.get_category("a")
    # the included file starts in [a]; afterwards main.conf is still in [a]
    assert pairs(a) == [("x", "1"), ("more", "2"), ("y", "3")]
    assert a.entries[1].file == str(tmp_path / "sub" / "extra.conf")
    assert a.entries[1].line == 1
    extra = config.get_category("extra")
    assert (extra.file, extra.line) == (str(tmp_path / "sub" / "extra.conf"), 2)
    assert config.files == [str(main), str(tmp_path / "sub" / "extra.conf")]


def test_nested_include_resolves_against_its_own_directory(tmp_path: Path) -> None:
    write(tmp_path / "d" / "inner.conf", "[inner]\nk = v\n")
    write(tmp_path / "d" / "outer.conf", "#include inner.conf\n")
    main = write(tmp_path / "main.conf", "#include <d/outer.conf>\n")
    config = load(main)
    assert config.problems == []
    assert config.get_category("inner").get("k") == "v"


def test_include_root_overrides_base(tmp_path: Path) -> None:
    write(tmp_path / "etc" / "x.conf", "[x]\na = 1\n")
    main = write(tmp_path / "elsewhere" / "main.conf", "#include x.conf\n")
    assert load(main).errors
    config = load(main, include_root=tmp_path / "etc")
    assert config.problems == []
    assert config.get_category("x").get("a") == "1"


def test_include_glob_sorted(tmp_path: Path) -> None:
    write(tmp_path / "conf.d" / "b.conf", "[b]\n")
    write(tmp_path / "conf.d" / "a.conf", "[a]\n")
    write(tmp_path / "conf.d" / "skip.txt", "[skip]\n")
    main = write(tmp_path / "main.conf", "#include conf.d/*.conf\n#tryinclude nothing/*.conf\n")
    config = load(main)
    assert config.problems == []
    assert config.category_names() == ["a", "b"]


def test_include_glob_without_match_is_an_error(tmp_path: Path) -> None:
    main = write(tmp_path / "main.conf", "#include conf.d/*.conf\n")
    (problem,) = load(main).problems
    assert (problem.line, problem.severity) == (1, "error")
    assert "no file matches" in problem.message


def test_missing_include_and_tryinclude(tmp_path: Path) -> None:
    main = write(tmp_path / "main.conf", "[a]\n#tryinclude gone.conf\n#include gone.conf\n")
    config = load(main)
    assert [(p.file, p.line, p.severity) for p in config.problems] == [(str(main), 3, "error")]
    assert "file not found" in config.problems[0].message


def test_bad_file_names(tmp_path: Path) -> None:
    config = loads("#include a\x00b\n", base_dir=tmp_path)
    assert [(p.line, p.severity) for p in config.problems] == [(1, "error")]
    assert load(str(tmp_path / "a\x00b")).errors


def test_absolute_include(tmp_path: Path) -> None:
    other = write(tmp_path / "abs.conf", "[abs]\nv = 1\n")
    main = write(tmp_path / "x" / "main.conf", f"#include {other}\n")
    assert load(main).get_category("abs").get("v") == "1"


def test_include_loop_detected(tmp_path: Path) -> None:
    write(tmp_path / "b.conf", "[b]\n#include a.conf\n")
    a = write(tmp_path / "a.conf", "[a]\n#include b.conf\n")
    config = load(a)
    (problem,) = config.problems
    assert problem.severity == "error"
    assert problem.file == str(tmp_path / "b.conf") and problem.line == 2
    assert "include loop" in problem.message
    assert config.category_names() == ["a", "b"]


def test_self_include_detected(tmp_path: Path) -> None:
    a = write(tmp_path / "a.conf", "[a]\n#include a.conf\n")
    assert "include loop" in load(a).problems[0].message


def test_same_file_included_twice_is_fine(tmp_path: Path) -> None:
    write(tmp_path / "common.conf", "shared = 1\n")
    main = write(tmp_path / "main.conf", "[a]\n#include common.conf\n[b]\n#include common.conf\n")
    config = load(main)
    assert config.problems == []
    assert config.get_category("a").get("shared") == "1"
    assert config.get_category("b").get("shared") == "1"


def test_include_of_directory_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "dir.conf").mkdir()
    main = write(tmp_path / "main.conf", "#include dir.conf\n#tryinclude dir.conf\n")
    assert [p.severity for p in load(main).problems] == ["error", "warning"]


def test_additions_across_includes(tmp_path: Path) -> None:
    write(tmp_path / "custom.conf", "[general](+)\nextra = yes\n")
    main = write(tmp_path / "main.conf", "[general]\nbase = 1\n#include custom.conf\n")
    config = load(main)
    assert config.problems == []
    assert pairs(config.get_category("general")) == [("base", "1"), ("extra", "yes")]


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference Asterisk configs absent")
@pytest.mark.parametrize(
    "name", sorted(p.name for p in REFERENCE.glob("*.conf")) if REFERENCE.is_dir() else []
)
def test_reference_configs_load_without_errors(name: str) -> None:
    config = load(REFERENCE / name)
    assert config.errors == []
    assert config.categories


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference Asterisk configs absent")
def test_reference_manager_conf_contents() -> None:
    config = load(REFERENCE / "manager.conf")
    assert config.get_category("general").get("port") == "15038"
    acluser = config.get_category("acluser")
    assert acluser.get_all("deny") == ["0.0.0.0/0.0.0.0"]
    permit = acluser.entry("permit")
    source = (REFERENCE / "manager.conf").read_text().split("\n")
    assert source[permit.line - 1].startswith("permit = 127.0.0.1/")


# -- properties -----------------------------------------------------------------------------

LINE_PIECES = st.sampled_from(
    ["[", "]", "(", ")", "!", "+", ",", "=", "=>", "+=", ";", ";--", "--;", "\\", "#", " ", "\t"]
    + ["\n", "\r", "a", "b", "key", "val", "#include", "#tryinclude", "*", "\x00", "\u00e9"]
)
CONF_TEXT = st.one_of(st.text(), st.lists(LINE_PIECES, max_size=80).map("".join))


def is_subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(char in chars for char in needle)


def check_positions(config: ConfigFile, text: str) -> None:
    lines = text.split("\n")
    for category in config.categories:
        for entry in category.entries:
            if entry.file != "<string>":
                continue
            assert 1 <= entry.line <= len(lines)
            # comments/escapes may be cut out of the middle, so the key's characters appear
            # in order on its line
            assert is_subsequence(entry.key, lines[entry.line - 1])
    for problem in config.problems:
        assert problem.severity in ("error", "warning")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(CONF_TEXT)
def test_parser_never_raises_on_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as empty:
        config = loads(text, base_dir=empty)
    check_positions(config, text)


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_parser_never_raises_on_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as empty:
        config = loads(data, base_dir=empty)
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    check_positions(config, text)


SIMPLE_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8)
SIMPLE_VALUE = st.text(alphabet="abcxyz0123 ,.()/", max_size=12)


@given(
    st.lists(
        st.tuples(
            SIMPLE_KEY,
            st.sampled_from(["=", "=>", "+="]),
            SIMPLE_VALUE,
            st.sampled_from(["", " ; note", "\n; full line\n", "\n\n"]),
        ),
        max_size=30,
    )
)
def test_plain_lines_point_at_their_key(
    lines: list[tuple[str, str, str, str]],
) -> None:
    text = "[c]\n" + "".join(f"{k} {op} {v}{tail}\n" for k, op, v, tail in lines)
    config = loads(text)
    assert config.problems == []
    source = text.split("\n")
    for entry in config.get_category("c").entries:
        line = source[entry.line - 1]
        assert line.split("=")[0].strip().rstrip("+").strip() == entry.key
