"""``pbxd check-config DIR``: every problem as ``file:line: severity: text``; exit 1 on errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT

GOOD_GENERAL = "[general]\nenabled = yes\nport = 5038\nbindaddr = 127.0.0.1\n"
GOOD_USER = "\n[admin]\nsecret = s3cret\nread = all\nwrite = all\n"


def check_config(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pbxd", "check-config", str(directory)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO_ROOT,
    )


def _problems(output: str, directory: Path) -> list[tuple[str, int, str, str]]:
    """``(file name, line, severity, text)`` for each problem line of the output."""
    found = []
    for line in output.splitlines():
        match = re.match(
            r"^(?P<file>.+?):(?P<line>\d+): (?P<sev>error|warning): (?P<text>.+)$", line
        )
        if match:
            path = Path(match["file"])
            assert path.parent.resolve() == directory.resolve(), line
            found.append((path.name, int(match["line"]), match["sev"], match["text"]))
    return found


def test_reference_configuration_is_clean(reference_conf_dir: Path) -> None:
    result = check_config(reference_conf_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _problems(result.stdout, reference_conf_dir) == []
    assert "0 error(s)" in result.stdout


@pytest.mark.parametrize(
    ("text", "line", "severity", "words", "exit_code"),
    [
        pytest.param(
            "orphan = 1\n" + GOOD_GENERAL + GOOD_USER, 1, "error", "outside any category", 1,
            id="entry-outside-category",
        ),
        pytest.param(
            GOOD_GENERAL + '#include "missing.conf"\n' + GOOD_USER, 5, "error", "missing.conf", 1,
            id="missing-include",
        ),
        pytest.param(
            GOOD_GENERAL.replace("port = 5038", "port = notaport") + GOOD_USER,
            3, "warning", "notaport", 0,
            id="bad-value",
        ),
    ],
)  # fmt: skip
def test_broken_configuration(
    tmp_path: Path, text: str, line: int, severity: str, words: str, exit_code: int
) -> None:
    """One problem per case, reported at its file:line; only errors fail the check."""
    (tmp_path / "manager.conf").write_text(text)
    result = check_config(tmp_path)
    problems = _problems(result.stdout, tmp_path)
    assert [(p[0], p[1], p[2]) for p in problems] == [("manager.conf", line, severity)], (
        result.stdout + result.stderr
    )
    assert words in problems[0][3]
    assert result.returncode == exit_code, result.stdout + result.stderr


def test_several_problems_all_reported(tmp_path: Path) -> None:
    """Checking does not stop at the first problem; any error makes the exit code 1."""
    (tmp_path / "manager.conf").write_text(
        "orphan = 1\n"
        + GOOD_GENERAL.replace("port = 5038", "port = 99999")
        + '#include "nowhere.conf"\n'
        + GOOD_USER
    )
    result = check_config(tmp_path)
    problems = sorted(_problems(result.stdout, tmp_path))
    assert [(p[1], p[2]) for p in problems] == [(1, "error"), (4, "warning"), (6, "error")], (
        result.stdout
    )
    assert result.returncode == 1


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    result = check_config(tmp_path / "nope")
    assert result.returncode == 1
    assert "not found" in result.stdout


def test_serve_refuses_a_configuration_with_errors(tmp_path: Path) -> None:
    """``pbxd serve`` on a directory with errors exits non-zero, naming the problem."""
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "manager.conf").write_text("orphan = 1\n" + GOOD_GENERAL + GOOD_USER)
    result = subprocess.run(
        [sys.executable, "-m", "pbxd", "serve", "--config", str(conf), "--data-dir",
         str(tmp_path / "data"), "--ami-port", "0", "--ami-bind", "127.0.0.1"],
        capture_output=True, text=True, timeout=30, cwd=REPO_ROOT,
    )  # fmt: skip
    assert result.returncode != 0
    assert "manager.conf:1" in result.stderr
