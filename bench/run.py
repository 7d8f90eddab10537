#!/usr/bin/env python3
"""pbxd benchmarks: drives a real `pbxd serve` with the C load generator bench/amiload.

Compiles bench/amiload.c (gcc -O2) when the binary is missing or older than its source,
starts pbxd on a private configuration (uvloop, the default), runs each scenario a few
times and prints the medians next to the targets and the Asterisk 20.20.1 anchors.

    .venv/bin/python bench/run.py                  # everything, about 2-3 minutes
    .venv/bin/python bench/run.py --quick          # one short run of each scenario
    .venv/bin/python bench/run.py --only fanout    # ping | fanout | logins | idle | slow | calls | held | client
    .venv/bin/python bench/run.py --only sipcalls  # sipcalls | siprtp (SIP through Dial, sipp)
    .venv/bin/python bench/run.py --markdown BENCHMARKS.md   # also rewrite the results there

All traffic goes to 127.0.0.1. Every wait is bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SOURCE = BENCH / "amiload.c"
BINARY = BENCH / "amiload"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
HOST = "127.0.0.1"
SCENARIOS = ("ping", "fanout", "logins", "idle", "slow", "calls", "held", "client")
SCENARIOS += ("sipcalls", "siprtp")  # SIP calls through Dial between two sipps
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"

MANAGER_CONF = """\
[general]
enabled = yes
port = 5038
bindaddr = 127.0.0.1
displayconnects = no
authlimit = 1000

[bench]
secret = benchpass
read = all
write = all
"""

# The calls and held scenarios originate Local/100@bench (answers and hangs up at once) and
# Local/200@bench (answers and waits an hour).
EXTENSIONS_CONF = """\
[bench]
exten => 100,1,Answer()
 same => n,Hangup()

exten => 200,1,Answer()
 same => n,Wait(3600)
 same => n,Hangup()

[sipbench]
exten => bob,1,Dial(SIP/bob,10)
 same => n,Hangup()
"""


# -- plumbing ---------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def compile_loadgen() -> Path:
    """Build bench/amiload unless it is newer than its source."""
    if BINARY.exists() and BINARY.stat().st_mtime >= SOURCE.stat().st_mtime:
        return BINARY
    command = ["gcc", "-O2", "-Wall", "-pthread", "-o", str(BINARY), str(SOURCE)]
    log("compiling: " + " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"bench: gcc failed:\n{done.stderr}")
    return BINARY


def raise_nofile(want: int = 65536) -> int:
    """Raise our soft RLIMIT_NOFILE (pbxd and amiload inherit it); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def server_python() -> str:
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


class Server:
    """One `pbxd serve` process on a private configuration and data directory."""

    def __init__(self, workdir: Path, python: str, uvloop: bool = True,
                 extra_conf: dict[str, str] | None = None) -> None:
        self.extra_conf = extra_conf or {}  # more files for the configuration directory
        self.workdir = workdir
        self.python = python
        self.uvloop = uvloop
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._stderr_path = workdir / "pbxd.stderr"

    def start(self, timeout: float = 30.0) -> None:
        config = self.workdir / "config"
        data = Path(tempfile.mkdtemp(prefix="data-", dir=self.workdir))
        config.mkdir(exist_ok=True)
        (config / "manager.conf").write_text(MANAGER_CONF)
        (config / "extensions.conf").write_text(EXTENSIONS_CONF)
        for name, text in self.extra_conf.items():
            (config / name).write_text(text)
        command = [self.python, "-m", "pbxd", "serve", "--config", str(config),
                   "--data-dir", str(data), "--ami-port", "0", "--ami-bind", HOST]
        if not self.uvloop:
            command.append("--no-uvloop")
        stderr = open(self._stderr_path, "ab")  # noqa: SIM115  (closed with the process)
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT)
        stderr.close()
        assert self.proc.stdout is not None
        line = read_line(self.proc.stdout, "pbxd: AMI listening on ", timeout)
        if line is None:
            self.stop()
            sys.exit(f"bench: pbxd did not start; see {self._stderr_path}:\n{self.stderr_tail()}")
        self.port = int(line.rsplit(":", 1)[1])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_kib(self) -> int:
        """VmRSS from /proc/PID/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._stderr_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def read_line(stream: object, prefix: str, timeout: float) -> str | None:
    """The first line of ``stream`` (a pipe) that starts with ``prefix``, within ``timeout``."""
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = stream.fileno()  # type: ignore[attr-defined]
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                text = raw.decode("utf-8", "replace").strip()
                if text.startswith(prefix):
                    return text
    return None


@contextlib.contextmanager
def running_server(workdir: Path, python: str, uvloop: bool) -> Iterator[Server]:
    server = Server(workdir, python, uvloop)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def system_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields) - idle) / tick, sum(fields) / tick


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_quiet(limit: float = 15.0, threshold: float = 0.15) -> float:
    """Wait (at most ``limit`` s) until other programs use under ``threshold`` of a CPU;
    returns the last load seen, in CPUs."""
    deadline = time.monotonic() + limit
    load = 0.0
    while True:
        busy0, _ = system_busy()
        start = time.monotonic()
        time.sleep(0.5)
        busy1, _ = system_busy()
        load = (busy1 - busy0) / (time.monotonic() - start)
        if load < threshold or time.monotonic() > deadline:
            return load


def amiload(server: Server, mode: str, args: Sequence[str], timeout: float) -> dict[str, object]:
    """Run the load generator once; its last stdout line is a JSON object. Adds the CPU
    the server, the generator and everything else on the machine used meanwhile."""
    command = [str(BINARY), mode, "-H", HOST, "-p", str(server.port), "-X", str(server.pid), *args]
    busy0, server0, gen0, t0 = system_busy()[0], server.cpu_seconds(), children_cpu(), time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"amiload {mode} timed out after {timeout:.0f} s"}
    elapsed = time.monotonic() - t0
    busy = system_busy()[0] - busy0
    server_cpu = server.cpu_seconds() - server0
    gen_cpu = children_cpu() - gen0
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": f"amiload {mode} gave no result (rc {done.returncode}): {done.stderr[-300:]}"}
    result: dict[str, object] = json.loads(lines[-1])
    result["cpu_server"] = round(server_cpu / elapsed, 2)
    result["cpu_loadgen"] = round(gen_cpu / elapsed, 2)
    result["cpu_other"] = round(max(0.0, busy - server_cpu - gen_cpu) / elapsed, 2)
    return result


def num(result: dict[str, object], key: str) -> float:
    value = result.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


# -- results ----------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    figure: str  # what is measured, with its unit
    values: list[float] = field(default_factory=list)
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}"
    target: str = "—"
    check: Callable[[float], bool] | None = None
    anchor: str = "—"
    notes: list[str] = field(default_factory=list)
    extra_ok: bool = True  # other conditions of the target (no failures, disconnects)
    cpu_us: list[float] = field(default_factory=list)  # pbxd CPU time per message, µs

    busy: list[float] = field(default_factory=list)  # CPUs other programs used, per busy run
    runs: int = 0

    @property
    def cpu(self) -> str:
        """pbxd's CPU time per message and the rate one whole CPU would give at that cost."""
        if not self.cpu_us:
            return "—"
        us = statistics.median(self.cpu_us)
        per_cpu = 1e6 / us
        rate = f"{per_cpu / 1000:,.0f}k/s" if per_cpu >= 10_000 else f"{per_cpu:,.0f}/s"
        return f"{us:.2f} µs ({rate})" if us < 100 else f"{us:,.0f} µs ({rate})"

    def all_notes(self) -> list[str]:
        notes = list(self.notes)
        if self.busy:
            notes.append(
                f"other programs used {min(self.busy):.2f}–{max(self.busy):.2f} CPU during "
                f"{len(self.busy)} of {self.runs} run(s)")
        return notes

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def measured(self) -> str:
        median = self.median
        if median is None:
            return "error"
        text = self.fmt(median)
        if len(self.values) > 1:
            text += f" ({self.fmt(min(self.values))}–{self.fmt(max(self.values))})"
        return text

    @property
    def verdict(self) -> str:
        median = self.median
        if median is None:
            return "FAIL"
        if self.check is None:
            return "—"
        return "pass" if self.check(median) and self.extra_ok else "FAIL"


def rate_fmt(value: float) -> str:
    return f"{value:,.0f}/s"


def ms_fmt(value: float) -> str:
    return f"{value:.2f} ms"


def s_fmt(value: float) -> str:
    return f"{value:.3f} s"


def kib_fmt(value: float) -> str:
    return f"{value:.1f} KiB"


@dataclass
class Settings:
    runs: int
    duration: float
    warmup: float
    threads: int
    python: str
    uvloop: bool
    workdir: Path


# -- scenarios --------------------------------------------------------------------------


def scenario_ping(s: Settings) -> list[Row]:
    rows = [
        Row("Ping, 1 connection, 128 in flight", "responses/s", fmt=rate_fmt,
            target="≥ 120,000/s", check=lambda v: v >= 120_000, anchor="59,900/s"),
        Row("Ping, 8 connections, 128 in flight each", "responses/s", fmt=rate_fmt,
            target="≥ 160,000/s", check=lambda v: v >= 160_000, anchor="157,500/s"),
    ]
    with running_server(s.workdir, s.python, s.uvloop) as server:
        for row, conns in zip(rows, (1, 8), strict=True):
            for run in range(s.runs):
                result = amiload(server, "ping", [
                    "-c", str(conns), "-k", "128", "-t", str(min(s.threads, conns)),
                    "-d", str(s.duration), "-w", str(s.warmup)], timeout=s.duration + 30)
                report(row, run, result, "rate", "responses")
                if result.get("lost"):
                    row.extra_ok = False
                    row.notes.append(f"run {run + 1}: {result['lost']} connection(s) lost")
    return rows


FANOUT_ANCHORS = {1: "98,800/s", 10: "122,600/s", 50: "114,500/s", 200: "83,900/s"}
FANOUT_TARGETS: dict[int, int] = {50: 570_000, 200: 400_000}


def scenario_fanout(s: Settings) -> list[Row]:
    rows: list[Row] = []
    with running_server(s.workdir, s.python, s.uvloop) as server:
        for receivers, anchor in FANOUT_ANCHORS.items():
            goal = FANOUT_TARGETS.get(receivers)
            row = Row(
                f"UserEvent fan-out to {receivers} receiver{'s' if receivers > 1 else ''}",
                "events delivered/s", fmt=rate_fmt, anchor=anchor,
                target=f"≥ {goal:,}/s" if goal else "—",
                check=(lambda v, g=goal: v >= g) if goal else None,
            )
            rows.append(row)
            for run in range(s.runs):
                result = amiload(server, "fanout", [
                    "-r", str(receivers), "-s", "1", "-W", "256", "-t", str(s.threads),
                    "-d", str(s.duration), "-w", str(s.warmup)], timeout=s.duration + 60)
                report(row, run, result, "rate", "events")
                if result.get("lost_receivers"):
                    row.extra_ok = False
                    row.notes.append(
                        f"run {run + 1}: {result['lost_receivers']} receiver(s) disconnected")
    return rows


def scenario_logins(s: Settings) -> list[Row]:
    row = Row("1,000 simultaneous logins", "first connect → all accepted", fmt=s_fmt,
              target="< 0.5 s, 0 failed", check=lambda v: v < 0.5,
              anchor="never completes (backlog 10, authlimit 50); paced 8 at a time: 0.27 s")
    with running_server(s.workdir, s.python, s.uvloop) as server:
        for run in range(s.runs):
            result = amiload(server, "logins", ["-c", "1000", "-T", "20"], timeout=60)
            failed = int(num(result, "failed")) if "failed" in result else None
            if "error" in result or failed:
                row.extra_ok = False
                row.notes.append(f"run {run + 1}: {result.get('error') or f'{failed} failed'}")
            if "seconds" in result and num(result, "ok") > 0:
                row.values.append(num(result, "seconds"))
                note_cpu(row, result, "ok")
            log(f"  {row.scenario} run {run + 1}: {result}")
            note_busy(row, run, result)
            time.sleep(0.3)  # let the server reap the last run's sessions
    return [row]


def idle_once(s: Settings, sessions: int) -> dict[str, object]:
    """Fresh server: RSS before and after ``sessions`` logged-in idle sessions."""
    with running_server(s.workdir, s.python, s.uvloop) as server:
        amiload(server, "logins", ["-c", "20", "-T", "10"], timeout=30)  # warm the paths
        time.sleep(0.3)
        before = server.rss_kib()
        command = [str(BINARY), "idle", "-H", HOST, "-p", str(server.port), "-c", str(sessions),
                   "-P", "256", "-T", "60", "-h", "60"]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            assert proc.stdout is not None and proc.stdin is not None
            ready = read_line(proc.stdout, "READY ", 90)
            if ready is None:
                return {"error": "idle sessions never became ready"}
            info: dict[str, object] = json.loads(ready.split(" ", 1)[1])
            time.sleep(0.5)  # let the last logins settle
            after = server.rss_kib()
            proc.stdin.write(b"go\n")
            proc.stdin.close()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        count = int(num(info, "sessions"))
        info.update(before_kib=before, after_kib=after,
                    per_session_kib=(after - before) / count if count else 0.0)
        return info


def scenario_idle(s: Settings) -> list[Row]:
    sessions = 10_000
    row = Row(f"{sessions:,} idle logged-in sessions", "server RSS growth per session",
              fmt=kib_fmt, target="< 20 KiB", check=lambda v: v < 20)
    for run in range(s.runs):
        result = idle_once(s, sessions)
        log(f"  {row.scenario} run {run + 1}: {result}")
        if "error" in result:
            row.extra_ok = False
            row.notes.append(f"run {run + 1}: {result['error']}")
            continue
        row.values.append(num(result, "per_session_kib"))
        row.notes.append(
            f"run {run + 1}: {int(num(result, 'sessions')):,} sessions up in "
            f"{num(result, 'seconds'):.2f} s; RSS {num(result, 'before_kib') / 1024:.1f} → "
            f"{num(result, 'after_kib') / 1024:.1f} MiB")
        if num(result, "failed"):
            row.extra_ok = False
    return [row]


SLOW_RECEIVERS = 20
SLOW_RATE = 5000
SLOW_PAD = 900  # bytes of padding per event, so that the stalled socket fills in well under 1 s
DROP_MARKERS = ("could not take its events", "behind: disconnected")


def server_drops(server: Server, since: float) -> list[float]:
    """Wall-clock times of the slow-consumer disconnects pbxd logged after ``since``."""
    times = []
    for line in server.stderr_tail(10_000).splitlines():
        if not any(marker in line for marker in DROP_MARKERS):
            continue
        with contextlib.suppress(ValueError):
            stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if stamp >= since:
                times.append(stamp)
    return times


def scenario_slow(s: Settings) -> list[Row]:
    label = f"Event latency, {SLOW_RECEIVERS} receivers, {SLOW_RATE:,} events/s of {SLOW_PAD + 60} B"
    rows: list[Row] = []
    with running_server(s.workdir, s.python, s.uvloop) as server:
        for stalled in (0, 1):
            suffix = " + 1 stalled receiver" if stalled else ""
            p50 = Row(label + suffix, "p50 latency", fmt=ms_fmt)
            p99 = Row(label + suffix, "p99 latency", fmt=ms_fmt, target="< 10 ms"
                      + (", stalled one cut off" if stalled else ""),
                      check=lambda v: v < 10.0)
            rows += [p50, p99]
            for run in range(s.runs):
                result = amiload(server, "slow", [
                    "-r", str(SLOW_RECEIVERS), "-S", str(stalled), "-R", str(SLOW_RATE),
                    "-L", str(SLOW_PAD), "-t", "1", "-d", str(max(s.duration, 2.0)),
                    "-w", "0.2"], timeout=s.duration + 60)
                shown = {k: v for k, v in result.items() if k != "timeline_ms"}
                log(f"  {p99.scenario} run {run + 1}: {shown}")
                note_busy(p99, run, result)
                if "error" in result:
                    p99.extra_ok = False
                    p99.notes.append(f"run {run + 1}: {result['error']}")
                    continue
                p50.values.append(num(result, "p50_us") / 1000)
                p99.values.append(num(result, "p99_us") / 1000)
                if result.get("lost_receivers"):
                    p99.extra_ok = False
                    p99.notes.append(
                        f"run {run + 1}: {result['lost_receivers']} normal receiver(s) lost")
                if stalled:
                    p99.notes.append(stall_note(server, run, result))
                    if not result.get("stalled_closed"):
                        p99.extra_ok = False
                time.sleep(0.2)
    return rows


def stall_note(server: Server, run: int, result: dict[str, object]) -> str:
    start = num(result, "start_epoch")
    drops = server_drops(server, start)
    if not result.get("stalled_closed"):
        return f"run {run + 1}: the stalled receiver was NOT disconnected"
    text = (f"run {run + 1}: stalled receiver cut off; it had been sent "
            f"{num(result, 'stalled_bytes') / 1e6:.1f} MB, the last event sent "
            f"{num(result, 'stalled_last_event_ms'):.0f} ms after the start")
    if drops:
        text += f"; pbxd logged the disconnect {(drops[0] - start) * 1000:.0f} ms after the start"
    return text


# -- calls and held ---------------------------------------------------------------------

CALLS_IN_FLIGHT = 32
CALLS_LISTENERS = (10, 0)
CALLS_ANCHORS = {10: "762/s (listeners fall behind; 1.8 cores busy)", 0: "~1,200/s"}
CALLS_TARGETS: dict[int, int] = {10: 1_500}


def scenario_calls(s: Settings) -> list[Row]:
    """Short Local calls (Local/100@bench answers and hangs up; the ;1 side runs Wait(0)),
    32 async Originates in flight, with 10 listeners (Events: on) and with none."""
    rows: list[Row] = []
    with running_server(s.workdir, s.python, s.uvloop) as server:
        for listeners in CALLS_LISTENERS:
            goal = CALLS_TARGETS.get(listeners)
            who = f"{listeners} listeners (Events: on)" if listeners else "no listener"
            row = Row(
                f"Call setups, {CALLS_IN_FLIGHT} Originates in flight, {who}",
                "OriginateResponse Success/s", fmt=rate_fmt, anchor=CALLS_ANCHORS[listeners],
                target=(f"≥ {goal:,}/s, every listener gets every event" if goal else "—"),
                check=(lambda v, g=goal: v >= g) if goal else None,
            )
            rows.append(row)
            for run in range(s.runs):
                result = amiload(server, "calls", [
                    "-r", str(listeners), "-s", "1", "-k", str(CALLS_IN_FLIGHT),
                    "-C", "Local/100@bench", "-A", "Wait", "-D", "0", "-t", str(s.threads),
                    "-d", str(s.duration), "-w", str(s.warmup), "-T", "20"],
                    timeout=s.duration + 60)
                report(row, run, result, "rate", "calls_ok_window")
                if "error" in result:
                    continue
                problems = []
                if num(result, "failed") or num(result, "refused"):
                    problems.append(f"{int(num(result, 'failed'))} failed, "
                                    f"{int(num(result, 'refused'))} refused")
                if listeners and result.get("all_seen") is not True:
                    problems.append("a listener missed events: Hangup "
                                    f"{int(num(result, 'hangups_min'))}–"
                                    f"{int(num(result, 'hangups_max'))}, expected "
                                    f"{2 * int(num(result, 'ok') + num(result, 'failed'))}")
                if result.get("lost_receivers") or result.get("lost"):
                    problems.append(f"{int(num(result, 'lost'))} connection(s) lost")
                if problems:
                    row.extra_ok = False
                text = (f"run {run + 1}: {int(num(result, 'ok')):,} calls"
                        if not listeners else
                        f"run {run + 1}: {int(num(result, 'ok')):,} calls; each of the "
                        f"{listeners} listeners got {int(num(result, 'hangups_min')):,} Hangup "
                        f"events (= 2 × calls: {'yes' if result.get('all_seen') else 'NO'}), "
                        f"{num(result, 'events_rate') / listeners:,.0f} events/s each "
                        f"({num(result, 'events_per_listener') / max(1.0, num(result, 'ok')):.1f}"
                        f" per call); trailing the originator by "
                        f"{int(num(result, 'lag_calls_at_end'))} call(s) at the end of the "
                        f"window, caught up {num(result, 'catchup_ms'):.0f} ms after the last "
                        f"call ended")
                row.notes.append(text + ("; " + "; ".join(problems) if problems else ""))
                time.sleep(0.3)
    return rows


class Ami:
    """A minimal blocking AMI client for the held scenario's control actions."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buffer = b""
        self.read_until(lambda m: m.startswith(b"Asterisk Call Manager"), timeout, line=True)
        self.send("Action: Login\r\nUsername: bench\r\nSecret: benchpass\r\nEvents: off\r\n")
        self.read_until(lambda m: m.startswith(b"Response:"), timeout)

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def read_until(self, done: Callable[[bytes], bool], timeout: float,
                   line: bool = False) -> list[bytes]:
        """Messages up to and including the first one ``done`` accepts (bounded in time).
        Reads fast (pbxd drops a session that leaves a big answer unread for its
        writetimeout, 100 ms): the buffer is scanned once, never copied per message."""
        sep = b"\r\n" if line else b"\r\n\r\n"
        deadline = time.monotonic() + timeout
        messages: list[bytes] = []
        buffer, start = self.buffer, 0
        while True:
            while (end := buffer.find(sep, start)) >= 0:
                message = buffer[start:end]
                start = end + len(sep)
                messages.append(message)
                if done(message):
                    self.buffer = buffer[start:]
                    return messages
            buffer, start = buffer[start:], 0
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("AMI answer timed out")
            self.sock.settimeout(left)
            chunk = self.sock.recv(4 << 20)
            if not chunk:
                raise ConnectionError("pbxd closed the connection")
            buffer += chunk

    def channels(self, timeout: float = 30.0) -> int:
        self.send("Action: Command\r\nCommand: core show channels count\r\n")
        message = self.read_until(lambda m: m.startswith(b"Response:"), timeout)[-1]
        found = re.search(rb"(\d+) active channel", message)
        if not found:
            raise RuntimeError(f"unexpected answer: {message[:200]!r}")
        return int(found.group(1))

    def core_show_channels(self, timeout: float = 60.0) -> int:
        """CoreShowChannel events received (ListItems of the final event must match)."""
        self.send("Action: CoreShowChannels\r\n")
        messages = self.read_until(
            lambda m: m.startswith(b"Event: CoreShowChannelsComplete"), timeout)
        items = sum(1 for m in messages if m.startswith(b"Event: CoreShowChannel\r\n"))
        found = re.search(rb"ListItems: (\d+)", messages[-1])
        return items if found and int(found.group(1)) == items else -1

    def hangup_all(self, timeout: float = 60.0) -> int:
        self.send("Action: Hangup\r\nChannel: /^Local/\r\n")
        messages = self.read_until(
            lambda m: m.startswith(b"Event: ChannelsHungupListComplete"), timeout)
        return sum(1 for m in messages if m.startswith(b"Event: ChannelHungup\r\n"))

    def ping(self, timeout: float = 10.0) -> bool:
        self.send("Action: Ping\r\n")
        return b"Pong" in self.read_until(lambda m: m.startswith(b"Response:"), timeout)[-1]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


HELD_CALLS = 20_000
HELD_IN_FLIGHT = 256
HELD_BRINGUP_LIMIT = 90  # seconds allowed for bringing the calls up


def held_once(s: Settings, calls: int) -> dict[str, object]:
    """Fresh server: RSS before and with ``calls`` Local calls up, then hang them all up."""
    with running_server(s.workdir, s.python, s.uvloop) as server:
        # warm the call paths: 0.5 s of short calls, and 200 held calls hung up again
        amiload(server, "calls", ["-r", "0", "-k", "32", "-d", "0.5", "-w", "0"], timeout=30)
        warm = subprocess.run(
            [str(BINARY), "held", "-H", HOST, "-p", str(server.port), "-n", "200", "-k", "64",
             "-C", "Local/200@bench", "-A", "Wait", "-D", "3600", "-h", "0", "-T", "30"],
            capture_output=True, text=True, timeout=60)
        if "READY" not in warm.stdout:
            return {"error": f"warm-up failed: {warm.stdout[-200:]} {warm.stderr[-200:]}"}
        ami = Ami(server.port)
        try:
            ami.hangup_all()
            deadline = time.monotonic() + 30
            while ami.channels() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            before = server.rss_kib()
            command = [str(BINARY), "held", "-H", HOST, "-p", str(server.port), "-n", str(calls),
                       "-k", str(HELD_IN_FLIGHT), "-C", "Local/200@bench", "-A", "Wait",
                       "-D", "3600", "-T", str(HELD_BRINGUP_LIMIT), "-h", "300", "-X", str(server.pid)]
            cpu0 = server.cpu_seconds()
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                assert proc.stdout is not None and proc.stdin is not None
                ready = read_line(proc.stdout, "READY ", HELD_BRINGUP_LIMIT + 30)
                if ready is None:
                    return {"error": "the calls never came up"}
                info: dict[str, object] = json.loads(ready.split(" ", 1)[1])
                setup_cpu = server.cpu_seconds() - cpu0
                time.sleep(1.0)  # let the last answers settle
                after = server.rss_kib()
                count = int(num(info, "calls"))
                info.update(before_kib=before, after_kib=after, setup_cpu_s=round(setup_cpu, 2),
                            per_call_kib=(after - before) / count if count else 0.0)
                channels_up = listed = hung = left = -1
                answered = cleared = -1.0
                peak = recovered = after
                alive = False
                try:  # each later phase is bounded; what was measured so far is kept
                    channels_up = ami.channels()
                    listed = ami.core_show_channels()
                    peak = server.rss_kib()
                    ami.close()
                    ami = Ami(server.port)
                    t0 = time.monotonic()
                    hung = ami.hangup_all(timeout=90)
                    answered = time.monotonic() - t0
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        left = ami.channels()
                        if left == 0:
                            break
                        time.sleep(0.05)
                    cleared = time.monotonic() - t0
                    time.sleep(1.0)
                    recovered = server.rss_kib()
                    alive = ami.ping()
                except (OSError, RuntimeError) as exc:
                    info["phase_error"] = f"{type(exc).__name__}: {exc}"
                proc.stdin.write(b"go\n")
                proc.stdin.close()
                proc.wait(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
                for stream in (proc.stdout, proc.stderr):
                    if stream is not None:
                        stream.close()
        finally:
            ami.close()
        info.update(peak_kib=peak, recovered_kib=recovered,
                    channels_up=channels_up, listed=listed, hung=hung,
                    hangup_answer_s=round(answered, 3), hangup_clear_s=round(cleared, 3),
                    channels_left=left, ping_after=alive)
        return info


def scenario_held(s: Settings) -> list[Row]:
    calls = HELD_CALLS
    row = Row(f"{calls:,} held Local calls ({2 * calls:,} channels)",
              "server RSS growth per call", fmt=kib_fmt,
              target=f"< 20 KiB, {calls:,} up, all hung up after", check=lambda v: v < 20,
              anchor="≤ 2,043 calls up at 8,192 open files (4,996 at 20,000); ~45 KiB per call")
    for run in range(s.runs):
        try:
            result = held_once(s, calls)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        log(f"  {row.scenario} run {run + 1}: {result}")
        row.runs += 1
        if "error" in result:
            row.extra_ok = False
            row.notes.append(f"run {run + 1}: {result['error']}")
            continue
        up = int(num(result, "calls"))
        if (up < calls or num(result, "channels_up") != 2 * calls
                or num(result, "listed") != 2 * calls or num(result, "channels_left") != 0
                or not result.get("ping_after")):
            row.extra_ok = False
        row.values.append(num(result, "per_call_kib"))
        row.notes.append(
            f"run {run + 1}: {up:,} calls up in {num(result, 'seconds'):.1f} s "
            f"({up / max(num(result, 'seconds'), 1e-9):,.0f}/s, pbxd CPU "
            f"{num(result, 'setup_cpu_s'):.1f} s), {int(num(result, 'failed'))} failed; "
            f"`core show channels count` {int(num(result, 'channels_up')):,} channels, "
            f"CoreShowChannels listed {int(num(result, 'listed')):,}; RSS "
            f"{num(result, 'before_kib') / 1024:.1f} → {num(result, 'after_kib') / 1024:.1f} MiB; "
            + (f"`Hangup /^Local/` answered in {num(result, 'hangup_answer_s'):.2f} s "
               f"({int(num(result, 'hung')):,} channels), "
               + ("0 channels after " if not num(result, "channels_left") else
                  f"{int(num(result, 'channels_left')):,} channels left after ")
               + f"{num(result, 'hangup_clear_s'):.2f} s; RSS then "
               f"{num(result, 'recovered_kib') / 1024:.1f} MiB, Ping "
               + ("answered" if result.get("ping_after") else "NOT answered")
               if num(result, "hung") >= 0 else "hang-up not completed")
            + (f"; stopped at: {result['phase_error']}" if result.get("phase_error") else ""))
    return [row]


BUSY = 0.25  # CPUs used by other programs during a run that make its figure doubtful


def note_busy(row: Row, run: int, result: dict[str, object]) -> None:
    row.runs += 1
    other = num(result, "cpu_other")
    if other >= BUSY:
        row.busy.append(other)


def note_cpu(row: Row, result: dict[str, object], count_key: str) -> None:
    """pbxd's CPU time per counted message over the measured window (robust to a busy machine)."""
    cpu, count = num(result, "server_cpu_s"), num(result, count_key)
    if "rate" in result and "seconds" in result:  # the fitted rate: counts come in bursts
        count = num(result, "rate") * num(result, "seconds")
    if cpu > 0 and count > 0:
        row.cpu_us.append(cpu * 1e6 / count)


def report(row: Row, run: int, result: dict[str, object], key: str, count_key: str) -> None:
    log(f"  {row.scenario} run {run + 1}: {result}")
    note_busy(row, run, result)
    if "error" in result:
        row.notes.append(f"run {run + 1}: {result['error']}")
        row.extra_ok = False
        return
    row.values.append(num(result, key))
    note_cpu(row, result, count_key)


def scenario_client(s: Settings) -> list[Row]:
    """Events parsed per second by AMI clients on one recorded pbxd event stream
    (bench/client_events.py): pbxd.client against panoramisk, per CPU-second of the client."""
    events = 50_000 if s.runs == 1 else 200_000
    command = [s.python, str(BENCH / "client_events.py"), "--events", str(events), "--runs", str(s.runs)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        row = Row("AMI client: events parsed", "events/s", notes=[f"client_events.py failed: {done.stderr[-300:]}"])
        return [row]
    result = json.loads(lines[-1])
    log(f"  client events: {result}")
    rates = result["rates"]
    ours, theirs = rates["pbxd.client (callback)"]["cpu"], rates["panoramisk 1.4 (callback)"]["cpu"]
    rows = []
    for name, figures in rates.items():
        row = Row(f"AMI client {name}, {result['events']:,} pbxd events", "events parsed per CPU-second",
                  values=list(figures["cpu"]), fmt=rate_fmt)
        row.notes.append("wall-clock rate " + ", ".join(f"{v:,.0f}/s" for v in figures["wall"]))
        rows.append(row)
    ratio = Row("pbxd.client ÷ panoramisk, same stream, same run", "ratio of the rates above",
                values=[a / b for a, b in zip(ours, theirs, strict=True)], fmt=lambda v: f"{v:.1f}×",
                target="≥ 3×", check=lambda v: v >= 3)
    return [*rows, ratio]


# -- SIP calls: sipp calls sipp through pbxd's Dial(SIP/bob) -------------------------------

SIP_SCENARIOS = ROOT / "tests" / "sip" / "scenarios"
SIP_RATES = (200, 300, 400, 500)  # calls/s offered, each call held 1 s
SIP_RATE_TARGET = 400
SIP_RATE_ANCHOR = "300/s (350/s with 20,000 files); 400/s retransmits, 500/s fails"
SIP_HELD = 500  # calls held at once with RTP both ways
SIP_HELD_SECONDS = 20


def sip_conf(port: int, bob_port: int) -> dict[str, str]:
    return {
        "sip.conf": (f"[general]\ncontext = sipbench\nudpbindaddr = {HOST}:{port}\n\n"
                     f"[bob]\ntype = friend\nhost = {HOST}\nport = {bob_port}\n"),
        "rtp.conf": "[general]\nrtpstart = 20000\nrtpend = 40000\n",
    }


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def sipp(args: Sequence[str], port: int, media_port: int) -> subprocess.Popen[bytes]:
    command = ["sipp", *args, "-i", HOST, "-p", str(port), "-mi", HOST, "-mp", str(media_port),
               "-nostdin", "-timeout", "120s"]
    return subprocess.Popen(command, cwd=SIP_SCENARIOS, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def sipp_summary(output: str) -> dict[str, int]:
    """Successful and failed calls and retransmissions from sipp's final screens."""
    found = {"ok": 0, "failed": 0, "retrans": 0}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 3 and cells[0] in ("Successful call", "Failed call"):
            found["ok" if cells[0].startswith("Succ") else "failed"] = int(cells[2] or 0)
    messages: dict[str, int] = {}
    for line in output.splitlines():  # the last screen wins: one count per message line
        match = re.match(r"\s*(\S+ +(?:-+>|<-+))\s+(?:E-RTD\d\s+)?(\d+)\s+(\d+)", line)
        if match:
            messages[match.group(1)] = int(match.group(3))
    found["retrans"] = sum(messages.values())
    return found


def sip_run(s: Settings, server: Server, bob_port: int, rate: int, calls: int, hold_ms: int,
            caller_scenario: str, during: Callable[[], None] | None = None,
            echo: bool = False) -> dict[str, object]:
    """One sipp UAS (bob, echoing RTP with ``echo``) and one sipp UAC offering ``rate``
    calls/s."""
    bob = sipp(["-sf", "call_uas_answer.xml", "-m", str(calls)] + (["-rtp_echo"] if echo else []),
               bob_port, 42000)
    time.sleep(0.5)
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    caller = sipp([f"{HOST}:{server.sip_port}", "-sf", caller_scenario, "-s", "bob",  # type: ignore[attr-defined]
                   "-key", "caller", "carol", "-m", str(calls), "-r", str(rate),
                   "-l", str(calls), "-d", str(hold_ms)], free_udp_port(), 44000)
    if during is not None:
        during()
    try:
        output, _ = caller.communicate(timeout=calls / rate + hold_ms / 1000 + 150)
    except subprocess.TimeoutExpired:
        caller.kill()
        output, _ = caller.communicate()
    elapsed = time.monotonic() - t0
    cpu = server.cpu_seconds() - cpu0
    try:
        bob.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        bob.kill()
        bob.communicate()
    result: dict[str, object] = dict(sipp_summary(output.decode("utf-8", "replace")))
    result["cpu_server"] = round(cpu / elapsed, 2)
    result["cpu_ms_per_call"] = round(cpu * 1000 / max(1, calls), 2)
    return result


@contextlib.contextmanager
def sip_server(s: Settings) -> Iterator[tuple[Server, int]]:
    port, bob_port = free_udp_port(), free_udp_port()
    server = Server(s.workdir, s.python, s.uvloop, sip_conf(port, bob_port))
    server.start()
    server.sip_port = port  # type: ignore[attr-defined]
    try:
        yield server, bob_port
    finally:
        server.stop()


def scenario_sip_calls(s: Settings) -> list[Row]:
    """Call setups through Dial: sipp calls bob through pbxd, sipp answers, the caller hangs
    up after 1 s; offered for 10 s (3 s with --quick) at each rate."""
    rows: list[Row] = []
    seconds = 3 if s.runs == 1 and s.duration <= 1.0 else 10
    with sip_server(s) as (server, bob_port):
        sip_run(s, server, bob_port, 50, 50, 100, "call_uac_hold.xml")  # warm-up
        for rate in SIP_RATES:
            row = Row(f"SIP calls through Dial (sipp to sipp), {rate}/s offered, held 1 s",
                      "successful %", fmt=lambda v: f"{v:.1f} %",
                      target=(f"{SIP_RATE_TARGET}/s: ≥ 99 %, no retransmissions"
                              if rate == SIP_RATE_TARGET else "—"),
                      check=(lambda v: v >= 99.0) if rate == SIP_RATE_TARGET else None,
                      anchor=SIP_RATE_ANCHOR if rate == SIP_RATE_TARGET else "—")
            rows.append(row)
            for run in range(s.runs):
                result = sip_run(s, server, bob_port, rate, rate * seconds, 1000,
                                 "call_uac_hold.xml")
                total = num(result, "ok") + num(result, "failed")
                row.values.append(100.0 * num(result, "ok") / max(1.0, total))
                row.runs += 1
                if num(result, "retrans"):
                    row.extra_ok = False
                row.notes.append(
                    f"run {run + 1}: {int(num(result, 'ok')):,} of {rate * seconds:,} calls "
                    f"completed, {int(num(result, 'retrans')):,} retransmissions; pbxd used "
                    f"{num(result, 'cpu_server'):.2f} CPU ({num(result, 'cpu_ms_per_call'):.2f} ms "
                    f"per call)")
                time.sleep(2)
    return rows


def scenario_sip_rtp(s: Settings) -> list[Row]:
    """Concurrent calls with RTP relayed: SIP_HELD calls (100/s), each held for
    SIP_HELD_SECONDS with a tone of that length from the caller that bob's sipp echoes;
    pbxd relays both ways. Counted mid-call with `sip show channelstats` over AMI."""
    hold = 12 if s.runs == 1 and s.duration <= 1.0 else SIP_HELD_SECONDS
    pcap = s.workdir / "tone-long.pcap"
    subprocess.run([s.python, str(SIP_SCENARIOS / "make_tone_pcap.py"), str(hold), str(pcap)],
                   check=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    scenario = s.workdir / "call_uac_bye_long.xml"
    scenario.write_text((SIP_SCENARIOS / "call_uac_bye.xml").read_text()
                        .replace('"tone.pcap"', f'"{pcap}"'))
    row = Row(f"SIP calls held at once with RTP relayed both ways ({SIP_HELD} offered)",
              "calls up at once", target=f"{SIP_HELD}, all complete",
              check=lambda v: v >= SIP_HELD)
    rate_row = Row("  RTP packets pbxd received (and relayed) while they were up",
                   "packets/s (legs up throughout)", fmt=rate_fmt)
    with sip_server(s) as (server, bob_port):
        seen: dict[str, float] = {}

        def measure() -> None:
            time.sleep(SIP_HELD / 100 + 2)  # every call set up, RTP flowing
            ami = Ami(server.port)
            try:
                first, t0 = channelstats(ami), time.monotonic()
                time.sleep(2.0)
                second = channelstats(ami)
                both = first.keys() & second.keys()  # the legs up all along
                seen["up"] = len(second) / 2
                seen["pps"] = (sum(second[k] - first[k] for k in both)
                               / (time.monotonic() - t0))
            finally:
                ami.close()

        for run in range(s.runs):
            result = sip_run(s, server, bob_port, 100, SIP_HELD, hold * 1000, str(scenario),
                             measure, echo=True)
            row.values.append(seen.get("up", 0.0))
            rate_row.values.append(seen.get("pps", 0.0))
            row.runs += 1
            if num(result, "failed"):
                row.extra_ok = False
            row.notes.append(
                f"run {run + 1}: {int(num(result, 'ok')):,} of {SIP_HELD} calls completed, "
                f"{int(num(result, 'failed'))} failed, {int(num(result, 'retrans')):,} "
                f"retransmissions; pbxd used {num(result, 'cpu_server'):.2f} CPU")
            time.sleep(2)
    return [row, rate_row]


def channelstats(ami: Ami) -> dict[str, int]:
    """RTP packets received so far by each SIP channel (by Call-ID), from
    `sip show channelstats`."""
    ami.send("Action: Command\r\nCommand: sip show channelstats\r\n")
    message = ami.read_until(lambda m: m.startswith(b"Response:"), 30)[-1].decode()
    received: dict[str, int] = {}
    for line in message.split("\r\n"):
        cells = line.removeprefix("Output: ").split()
        if len(cells) >= 4 and cells[2].count(":") == 2 and cells[3].isdigit():
            received[cells[0] + " " + cells[1]] = int(cells[3])
    return received


RUNNERS: dict[str, Callable[[Settings], list[Row]]] = {
    "ping": scenario_ping,
    "fanout": scenario_fanout,
    "logins": scenario_logins,
    "idle": scenario_idle,
    "slow": scenario_slow,
    "calls": scenario_calls,
    "held": scenario_held,
    "client": scenario_client,
    "sipcalls": scenario_sip_calls,
    "siprtp": scenario_sip_rtp,
}


# -- output -----------------------------------------------------------------------------


def machine(python: str) -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    probe = subprocess.run(
        [python, "-c", "import platform, uvloop; print(platform.python_version(), uvloop.__version__)"],
        capture_output=True, text=True, timeout=30,
    )
    parts = probe.stdout.split()
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": model,
        "python": parts[0] if parts else platform.python_version(),
        "uvloop": parts[1] if len(parts) > 1 else "not installed",
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


HEADERS = ("Scenario", "Figure", "Measured: median (min–max)", "Target", "Asterisk 20.20.1",
           "Result", "pbxd CPU per message (rate per CPU)")


def table_rows(rows: list[Row]) -> list[tuple[str, ...]]:
    return [(r.scenario, r.figure, r.measured, r.target, r.anchor, r.verdict, r.cpu) for r in rows]


def text_table(rows: list[Row]) -> str:
    cells = [HEADERS, *table_rows(rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[Row], info: dict[str, str], settings: Settings) -> str:
    out = [
        f"Measured {info['date']} on {info['nproc']} CPUs ({info['cpu']}), Linux {info['kernel']}, "
        f"Python {info['python']}, uvloop {info['uvloop']}; {settings.runs} run(s) per figure, "
        f"{settings.duration:g} s measured after {settings.warmup:g} s of warm-up.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
    ]
    out += ["| " + " | ".join(cells) + " |" for cells in table_rows(rows)]
    notes = [f"- {r.scenario}: {note}" for r in rows for note in r.all_notes()]
    if notes:
        out += ["", "Notes:", "", *notes]
    return "\n".join(out)


def write_markdown(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{MARK_START}\n{block}\n{MARK_END}"
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        tail = rest.split(MARK_END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one short run of each scenario")
    parser.add_argument("--only", choices=SCENARIOS, action="append",
                        help="run only this scenario (repeatable)")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3, 1 with --quick)")
    parser.add_argument("--duration", type=float, help="seconds measured per run")
    parser.add_argument("--threads", type=int, default=1, help="load generator threads")
    parser.add_argument("--no-uvloop", action="store_true", help="run pbxd on plain asyncio")
    parser.add_argument("--markdown", type=Path, help="rewrite the results block of this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    compile_loadgen()
    limit = raise_nofile()
    if limit < 10_100 and (not args.only or "idle" in args.only):
        log(f"bench: RLIMIT_NOFILE is {limit}; the idle scenario needs over 10,000")
    python = server_python()
    with tempfile.TemporaryDirectory(prefix="pbxd-bench-") as tmp:
        settings = Settings(
            runs=max(1, args.runs or (1 if args.quick else 3)),
            duration=min(60.0, args.duration or (1.0 if args.quick else 2.5)),
            warmup=0.2 if args.quick else 0.5,
            threads=max(1, args.threads),
            python=python,
            uvloop=not args.no_uvloop,
            workdir=Path(tmp),
        )
        started = time.monotonic()
        rows: list[Row] = []
        for name in args.only or SCENARIOS:
            load = wait_quiet(5.0 if args.quick else 15.0)
            log(f"== {name} (other programs were using {load:.2f} CPU)")
            rows += RUNNERS[name](settings)
        log(f"== done in {time.monotonic() - started:.0f} s")
    info = machine(python)
    print()
    print(f"pbxd on {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
          f"uvloop {info['uvloop']}, {info['date']}")
    print(text_table(rows))
    for row in rows:
        for note in row.all_notes():
            print(f"  note: {row.scenario}: {note}")
    if args.markdown:
        write_markdown(args.markdown, markdown(rows, info, settings))
        log(f"results written to {args.markdown}")
    errors = any(r.median is None for r in rows)
    missed = any(r.verdict == "FAIL" for r in rows)
    return 1 if errors or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
