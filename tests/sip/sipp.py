"""Running sipp against pbxd: free ports, the scenarios of ``scenarios/``, exit status."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def free_port(kind: int = socket.SOCK_DGRAM, even_pair: bool = False) -> int:
    """A port nobody uses now (with ``even_pair``: an even one whose next two are free)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not even_pair:
            return port
        port &= ~1
        try:
            socks = []
            for offset in range(4):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return port
    raise OSError("no free port")


@dataclass
class Sipp:
    """One sipp process: a UAC (``target`` given) or a UAS waiting on ``port``."""

    scenario: str
    port: int
    target: str = ""
    service: str = ""
    duration_ms: int = 0
    calls: int = 1
    rate: float = 1.0
    caller: str = "carol"  # the user a UAC scenario calls from (its [caller] keyword)
    extra: tuple[str, ...] = ()
    process: asyncio.subprocess.Process | None = None
    output: bytes = b""

    def command(self) -> list[str]:
        args = ["sipp"]
        if self.target:
            args.append(self.target)
        args += [
            "-sf", str(SCENARIOS / self.scenario),
            "-i", "127.0.0.1", "-p", str(self.port),
            "-mi", "127.0.0.1", "-mp", str(free_port(even_pair=True)),
            "-m", str(self.calls), "-r", str(self.rate),
            "-nostdin", "-timeout", "20s", "-timeout_error",
        ]  # fmt: skip
        if self.target:
            args += ["-key", "caller", self.caller]
        if self.service:
            args += ["-s", self.service]
        if self.duration_ms:
            args += ["-d", str(self.duration_ms)]
        return args + list(self.extra)

    async def start(self) -> Sipp:
        self.process = await asyncio.create_subprocess_exec(
            *self.command(),
            cwd=SCENARIOS,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return self

    async def finish(self, timeout: float = 30) -> int:
        """sipp's exit status: 0 when every call went as the scenario says."""
        assert self.process is not None
        try:
            self.output, _ = await asyncio.wait_for(self.process.communicate(), timeout)
        except TimeoutError:
            self.process.kill()
            self.output, _ = await self.process.communicate()
        code = self.process.returncode
        assert code is not None
        return code

    def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
