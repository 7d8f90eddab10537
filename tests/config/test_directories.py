"""Tests for the asterisk.conf directory layout."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pbxd.config.conf import Problem, loads
from pbxd.config.directories import DIRECTORY_KEYS, Directories, load_directories

ASTERISK_DEFAULTS = {
    "astetcdir": "/etc/asterisk",
    "astmoddir": "/usr/lib/asterisk/modules",
    "astvarlibdir": "/var/lib/asterisk",
    "astdbdir": "/var/lib/asterisk",
    "astkeydir": "/var/lib/asterisk",
    "astdatadir": "/var/lib/asterisk",
    "astagidir": "/var/lib/asterisk/agi-bin",
    "astspooldir": "/var/spool/asterisk",
    "astrundir": "/var/run/asterisk",
    "astlogdir": "/var/log/asterisk",
    "astsbindir": "/usr/sbin",
}


def test_defaults_match_asterisk() -> None:
    dirs = Directories()
    assert {k: str(v) for k, v in dirs.as_dict().items()} == ASTERISK_DEFAULTS
    assert tuple(dirs.as_dict()) == DIRECTORY_KEYS
    assert dirs.db_path == Path("/var/lib/asterisk/astdb")
    assert dirs.key_dir == Path("/var/lib/asterisk/keys")
    assert dirs.monitor_dir == Path("/var/spool/asterisk/monitor")
    assert dirs.recording_dir == Path("/var/spool/asterisk/recording")
    assert Directories.defaults("/opt/etc").astetcdir == Path("/opt/etc")


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Directories().astlogdir = Path("/tmp")  # type: ignore[misc]


def test_missing_file_gives_defaults_with_etc_dir(tmp_path: Path) -> None:
    problems: list[Problem] = []
    dirs = load_directories(tmp_path / "asterisk.conf", problems)
    assert problems == []
    assert dirs.astetcdir == tmp_path
    assert dirs.astspooldir == Path("/var/spool/asterisk")


def test_reads_object_syntax(tmp_path: Path) -> None:
    conf = tmp_path / "asterisk.conf"
    conf.write_text(
        "[directories]\n"
        "astspooldir => /srv/spool\n"
        "astlogdir => /srv/log ; comment\n"
        "ASTRUNDIR = /srv/run\n"
        "[options]\nverbose = 3\n"
    )
    problems: list[Problem] = []
    dirs = load_directories(conf, problems)
    assert problems == []
    assert dirs.astspooldir == Path("/srv/spool")
    assert dirs.astlogdir == Path("/srv/log")
    assert dirs.astrundir == Path("/srv/run")
    assert dirs.astetcdir == tmp_path
    assert dirs.astdbdir == Path("/var/lib/asterisk")


def test_etcdir_from_file(tmp_path: Path) -> None:
    conf = tmp_path / "asterisk.conf"
    conf.write_text("[directories]\nastetcdir => /etc/other\n")
    assert load_directories(conf, []).astetcdir == Path("/etc/other")


def test_template_directories_section_is_ignored() -> None:
    config = loads("[directories](!)\nastlogdir => /x\n")
    dirs = Directories.from_config(config, [])
    assert dirs.astlogdir == Path("/var/log/asterisk")


DERIVED = [
    ("astvarlibdir => /v", {"astvarlibdir": "/v", "astdbdir": "/v"}),
    ("astvarlibdir => /v\nastdbdir => /d", {"astvarlibdir": "/v", "astdbdir": "/d"}),
    ("astdbdir => /d\nastvarlibdir => /v", {"astvarlibdir": "/v", "astdbdir": "/d"}),
    ("astdatadir => /data", {"astdatadir": "/data", "astkeydir": "/data"}),
    ("astkeydir => /k\nastdatadir => /data", {"astdatadir": "/data", "astkeydir": "/k"}),
]


@pytest.mark.parametrize(("body", "expected"), DERIVED)
def test_derived_directories(body: str, expected: dict[str, str]) -> None:
    dirs = Directories.from_config(loads("[directories]\n" + body + "\n"), [])
    for key, value in expected.items():
        assert getattr(dirs, key) == Path(value)


def test_empty_value_warns_and_keeps_default() -> None:
    problems: list[Problem] = []
    config = loads("[directories]\nastlogdir =>\nunknown => /x\n", name="asterisk.conf")
    dirs = Directories.from_config(config, problems)
    assert dirs.astlogdir == Path("/var/log/asterisk")
    assert [(p.line, p.severity) for p in problems] == [(2, "warning")]


def test_parse_problems_are_passed_on(tmp_path: Path) -> None:
    conf = tmp_path / "asterisk.conf"
    conf.write_text("stray = 1\n[directories]\nastlogdir => /l\n")
    problems: list[Problem] = []
    dirs = load_directories(conf, problems)
    assert dirs.astlogdir == Path("/l")
    assert [(p.line, p.severity) for p in problems] == [(1, "error")]


def test_layout_under_data_dir(tmp_path: Path) -> None:
    dirs = Directories.under(tmp_path)
    assert dirs.astspooldir == tmp_path / "spool"
    assert dirs.astdbdir == tmp_path / "db"
    assert dirs.astlogdir == tmp_path / "log"
    assert dirs.astrundir == tmp_path / "run"
    assert dirs.astvarlibdir == tmp_path / "lib"
    assert dirs.astdatadir == tmp_path / "lib"
    assert dirs.astetcdir == tmp_path / "etc"
    assert dirs.db_path == tmp_path / "db" / "astdb"
    for path in dirs.as_dict().values():
        assert path.is_relative_to(tmp_path)
    assert Directories.under(tmp_path, "/etc/pbxd").astetcdir == Path("/etc/pbxd")
