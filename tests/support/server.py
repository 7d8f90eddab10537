"""Running pbxd as a subprocess, exactly as a user would: ``python -m pbxd serve ...``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from . import REPO_ROOT

READY = re.compile(r"^pbxd: AMI listening on (?P<host>[^\s:]+|\[[^\]]+\]):(?P<port>\d+)\s*$")
HTTP_READY = re.compile(r"^pbxd: HTTP manager listening on (?P<host>\S+):(?P<port>\d+)\s*$")


class PbxdStartError(RuntimeError):
    """pbxd exited or stayed silent instead of printing its ready line."""


class PbxdProcess:
    """One ``pbxd serve`` process on an ephemeral port; stderr kept for failure messages."""

    def __init__(
        self,
        config_dir: Path,
        data_dir: Path,
        extra_args: Sequence[str] = (),
        bind: str = "127.0.0.1",
    ) -> None:
        self.config_dir = Path(config_dir)
        self.data_dir = Path(data_dir)
        self.extra_args = tuple(extra_args)
        self.bind = bind
        self.host = bind
        self.port = 0
        self.http_port = 0  # the HTTP manager's port, when the configuration enables it
        self.process: subprocess.Popen[bytes] | None = None
        self.stdout_lines: list[str] = []
        self._stderr_path = self.data_dir / "pbxd-stderr.log"
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "pbxd", "serve",
            "--config", str(self.config_dir),
            "--data-dir", str(self.data_dir),
            "--ami-port", "0",
            "--ami-bind", self.bind,
            "--http-port", "0",
            *self.extra_args,
        ]  # fmt: skip

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def start(self, timeout: float = 15.0) -> None:
        """Start pbxd and wait (bounded) for ``pbxd: AMI listening on HOST:PORT``."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        src = str(REPO_ROOT / "src")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        with open(self._stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=self.data_dir,
                env=env,
            )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or not self.port:
            code = self.process.poll()
            self.stop()
            state = f"exited with {code}" if code is not None else f"silent for {timeout} s"
            raise PbxdStartError(f"pbxd {state} before its ready line\n{self.diagnostics()}")

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.stdout_lines.append(line)
            http = HTTP_READY.match(line)
            if http:
                self.http_port = int(http["port"])
            match = READY.match(line)
            if match and not self._ready.is_set():
                self.host = match["host"].strip("[]")
                self.port = int(match["port"])
                self._ready.set()
        self._ready.set()  # EOF: the process is gone; start() reports it

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._reader is not None:
            self._reader.join(1.0)
        return process.returncode

    def stderr_text(self) -> str:
        try:
            return self._stderr_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def diagnostics(self, tail: int = 60) -> str:
        """The command line, exit state, stdout and the tail of stderr, for assertion messages."""
        code = self.process.poll() if self.process is not None else None
        stderr = self.stderr_text().splitlines()[-tail:]
        return "\n".join(
            [
                f"command: {' '.join(self.command)}",
                f"running: {code is None}" + ("" if code is None else f" (exit {code})"),
                "stdout:", *(f"  {line}" for line in self.stdout_lines[-tail:]),
                "stderr (tail):", *(f"  {line}" for line in stderr),
            ]
        )  # fmt: skip
