"""The PBX core: uptime wording as Asterisk prints it, reloads, the built-in CLI commands."""

from __future__ import annotations

import pytest

from pbxd.pbx.bus import Reloaded, ShuttingDown
from pbxd.pbx.core import ASTERISK_VERSION, PBX, duration_text

MINUTE, HOUR, DAY, WEEK, YEAR = 60, 3600, 86400, 7 * 86400, 365 * 86400

DURATION_CASES = [
    # Asterisk prints a unit only while the time left is strictly greater than that unit
    (0, "0 seconds"),
    (1, "1 second"),
    (59, "59 seconds"),
    (60, "60 seconds"),
    (61, "1 minute, 1 second"),
    (120, "2 minutes"),
    (654, "10 minutes, 54 seconds"),
    (3599, "59 minutes, 59 seconds"),
    (3600, "60 minutes"),
    (3601, "1 hour, 1 second"),
    (3660, "1 hour, 60 seconds"),
    (3661, "1 hour, 1 minute, 1 second"),
    (7200, "2 hours"),
    (7260, "2 hours, 60 seconds"),
    (DAY, "24 hours"),
    (DAY + 1, "1 day, 1 second"),
    (2 * DAY + 3 * HOUR, "2 days, 3 hours"),
    (WEEK, "7 days"),
    (WEEK + 1, "1 week, 1 second"),
    (YEAR, "52 weeks, 24 hours"),
    (YEAR + 1, "1 year, 1 second"),
    (2 * YEAR + WEEK + DAY + HOUR + MINUTE + 1, "2 years, 1 week, 1 day, 1 hour, 1 minute, 1 second"),
]


@pytest.mark.parametrize(("seconds", "text"), DURATION_CASES)
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


UPTIME_CASES = [
    # (seconds since start, seconds since the last reload, output)
    (654, None, ["System uptime: 10 minutes, 54 seconds", "Last reload: 10 minutes, 54 seconds"]),
    (3600, 60, ["System uptime: 60 minutes", "Last reload: 60 seconds"]),
    (0, None, ["System uptime: 0 seconds", "Last reload: 0 seconds"]),
]


@pytest.mark.parametrize(("up", "since_reload", "output"), UPTIME_CASES)
def test_core_show_uptime(up: int, since_reload: int | None, output: list[str]) -> None:
    clock = Clock(1_000_000.0)
    pbx = PBX(clock=clock)
    if since_reload is not None:
        clock.now += up - since_reload
        pbx.reload()
        clock.now += since_reload
    else:
        clock.now += up
    result = pbx.cli.run("core show uptime")
    assert (result.ok, result.lines) == (True, output)
    seconds = pbx.cli.run("core show uptime seconds")
    reload = up if since_reload is None else since_reload
    assert seconds.lines == [f"System uptime: {up}", f"Last reload: {reload}"]
    assert not pbx.cli.run("core show uptime minutes").ok


def test_core_show_version() -> None:
    (line,) = PBX(clock=Clock(0.0)).cli.run("core show version").lines
    assert line.startswith(f"Asterisk {ASTERISK_VERSION} ")


def test_core_show_help() -> None:
    cli = PBX(clock=Clock(0.0)).cli
    usage = cli.run("core show help core show uptime").lines
    assert usage[0] == "Usage: core show uptime [seconds]"
    listed = cli.run("core show help core").lines
    assert any(line.startswith("core show uptime") for line in listed)


def test_reload_publishes_on_the_bus() -> None:
    clock = Clock(100.0)
    pbx = PBX(clock=clock)
    seen: list[object] = []
    unsubscribe = pbx.bus.subscribe(seen.append)
    pbx.reloaders["demo"] = lambda: "Success"
    clock.now = 150.0
    assert pbx.reload("demo.so") == "Success"
    assert pbx.last_reload == 150.0
    assert pbx.reload("nosuch") == "NotFound"
    pbx.shutdown(restart=True)
    unsubscribe()
    pbx.reload()
    assert seen[0] == Reloaded("demo.so", "Success")
    assert seen[-1] == ShuttingDown(True)
    assert all(not isinstance(e, Reloaded) or e.module != "" for e in seen)
