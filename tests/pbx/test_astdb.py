"""ASTdb on SQLite: Asterisk's schema, tree semantics, durability and clear errors."""

from __future__ import annotations

import sqlite3
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxd.pbx.astdb import AstDB, AstDBError


@pytest.fixture
def db(tmp_path: Path) -> AstDB:
    database = AstDB(tmp_path / "astdb.sqlite3")
    yield database
    database.close()


def fill(db: AstDB) -> None:
    for family, key, value in [
        ("testfam", "k1", "value one"),
        ("testfam", "sub/k2", "two"),
        ("testfam", "k3", ""),
        ("other", "k", "x"),
        ("testfamily", "k", "not in testfam"),
    ]:
        db.put(family, key, value)


def test_put_get_delete(db: AstDB) -> None:
    assert db.get("fam", "key") is None
    db.put("fam", "key", "v1")
    db.put("fam", "key", "v2")
    assert db.get("fam", "key") == "v2"
    assert db.exists("fam", "key")
    assert db.delete("fam", "key") is True
    assert db.delete("fam", "key") is False
    assert db.get("fam", "key") is None


def test_tree_order_and_boundaries(db: AstDB) -> None:
    fill(db)
    assert db.get_tree("testfam") == [
        ("/testfam/k1", "value one"),
        ("/testfam/k3", ""),
        ("/testfam/sub/k2", "two"),
    ]
    assert db.get_tree("testfam", "sub") == [("/testfam/sub/k2", "two")]
    assert db.get_tree("nofamily") == []
    assert len(db.get_tree()) == 5


@pytest.mark.parametrize(
    ("family", "subfamily", "deleted", "left"),
    [
        ("testfam", "sub", 1, 4),
        ("testfam", None, 3, 2),
        ("nofamily", None, 0, 5),
        ("", None, 5, 0),
    ],
)
def test_delete_tree(
    db: AstDB, family: str, subfamily: str | None, deleted: int, left: int
) -> None:
    fill(db)
    assert db.delete_tree(family, subfamily) == deleted
    assert len(db.get_tree()) == left


def test_keys_lists_next_level(db: AstDB) -> None:
    fill(db)
    assert db.keys("testfam") == ["k1", "k3", "sub"]
    assert db.keys("testfam/sub") == ["k2"]
    assert db.keys("") == ["other", "testfam", "testfamily"]


def test_wildcards_in_family_are_literal(db: AstDB) -> None:
    db.put("a_b", "k", "1")
    db.put("axb", "k", "2")
    assert db.get_tree("a_b") == [("/a_b/k", "1")]


def test_opens_an_asterisk_file(tmp_path: Path) -> None:
    path = tmp_path / "astdb.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE astdb(key VARCHAR(256), value VARCHAR(256), PRIMARY KEY(key))")
    raw.execute("INSERT INTO astdb VALUES ('/SIP/Registry/100', '1.2.3.4:5060')")
    raw.commit()
    raw.close()
    with AstDB(path) as db:
        assert db.get("SIP/Registry", "100") == "1.2.3.4:5060"
        assert db.get_tree("SIP") == [("/SIP/Registry/100", "1.2.3.4:5060")]


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "astdb.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(AstDBError):
        AstDB(path)


def test_locked_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "astdb.sqlite3"
    AstDB(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        db = AstDB(path, timeout=0.05)
    except AstDBError:
        pass
    else:
        with pytest.raises(AstDBError):
            db.put("fam", "key", "value")
        db.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_acknowledged_put_survives_kill(tmp_path: Path) -> None:
    path = tmp_path / "astdb.sqlite3"
    script = (
        "import os, sys\n"
        "from pbxd.pbx.astdb import AstDB\n"
        f"db = AstDB({str(path)!r})\n"
        "db.put('fam', 'key', 'durable')\n"
        "os.kill(os.getpid(), 9)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == -9
    with AstDB(path) as db:
        assert db.get("fam", "key") == "durable"


names = st.text(alphabet=string.ascii_letters + string.digits + "_-.", min_size=1, max_size=20)
values = st.text(max_size=50).filter(lambda text: "\x00" not in text)


@settings(max_examples=50, deadline=None)
@given(entries=st.dictionaries(st.tuples(names, names), values, max_size=10))
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, entries: dict) -> None:
    path = tmp_path_factory.mktemp("db") / "astdb.sqlite3"
    with AstDB(path) as db:
        for (family, key), value in entries.items():
            db.put(family, key, value)
    with AstDB(path) as db:
        for (family, key), value in entries.items():
            assert db.get(family, key) == value
        assert len(db.get_tree()) == len(entries)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
odd = st.text(alphabet="aB_%\\/ é:", min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    entries=st.dictionaries(st.tuples(odd, odd), st.text(max_size=5), max_size=8),
    family=odd,
)
def test_tree_is_exactly_the_family(
    tmp_path_factory: pytest.TempPathFactory, entries: dict, family: str
) -> None:
    """Wildcards and backslashes in names are literal; case folds as SQLite LIKE does
    (ASCII only); a family is matched whole (``a`` is not ``ab``)."""
    path = tmp_path_factory.mktemp("db") / "astdb.sqlite3"
    with AstDB(path) as db:
        stored: dict[str, str] = {}
        for (fam, key), value in entries.items():
            db.put(fam, key, value)
            stored[f"/{fam}/{key}"] = value
        want = (f"/{family}/").translate(_ASCII_LOWER)
        expected = sorted(
            (key, value)
            for key, value in stored.items()
            if (key + "/").translate(_ASCII_LOWER).startswith(want)
        )
        assert db.get_tree(family) == expected
        assert db.delete_tree(family) == len(expected)
        assert len(db.get_tree()) == len(stored) - len(expected)


def test_database_cli(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from pbxd.pbx.core import PBX

    pbx = PBX()
    assert pbx.cli.run("database show").lines == ["Database unavailable."]
    pbx.astdb = AstDB(tmp_path / "astdb.sqlite3")
    try:
        fill(pbx.astdb)
        run = pbx.cli.run
        assert run("database show testfam/sub").lines == [
            f"{'/testfam/sub/k2':<50}: {'two':<25}",
            "1 results found.",
        ]
        assert run("database show testfam sub").lines == run("database show testfam/sub").lines
        assert run("database show").lines[-1] == "5 results found."
        assert run("database showkey k").lines[-1] == "2 results found."
        assert run("database deltree testfam").lines == ["3 database entries removed."]
        assert run("database deltree testfam").lines == ["Database entries do not exist."]
        assert run(
            "database query \"SELECT key, value FROM astdb WHERE key = '/other/k'\""
        ).lines == [
            f"{'key':<5}: {'/other/k':<50}",
            f"{'value':<5}: {'x':<50}",
            "",
        ]
        assert run('database query "SELECT nonsense FROM nowhere"').lines == []
        assert "Error executing SQL" in caplog.text
        assert run("database put a b").lines[0] == "Usage: database put <family> <key> <value>"
        too_long = run(f"database put {'f' * 200} {'k' * 60} v")
        assert too_long.lines == ["Failed to update entry"]
    finally:
        pbx.astdb.close()
