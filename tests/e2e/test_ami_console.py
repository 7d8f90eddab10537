"""``ami console``: CLI commands typed one a line against a running pbxd, as ``asterisk -r``."""

from __future__ import annotations

import subprocess
import sys

from support import REPO_ROOT
from support.server import PbxdProcess


def test_console_runs_each_line_until_exit(reference_server: PbxdProcess) -> None:
    script = "core show version\n\nnonsense words\ncore show calls\nexit\ncore show uptime\n"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pbxd.cli import ami_main; sys.exit(ami_main())",
            "--port",
            str(reference_server.port),
            "--secret",
            "adminpass",
            "console",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Asterisk 20.20.1")
    assert lines[1].startswith("No such command 'nonsense words'")
    assert lines[-1].endswith("calls processed")  # nothing after exit ran
