"""The PBX object: clock, start and reload times, the bus and the CLI registry."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime

from .. import __version__
from .bus import Bus, Reloaded, ShuttingDown
from .cli import CliRegistry, ShowUsage

#: The Asterisk release whose manager interface pbxd speaks.
ASTERISK_VERSION = "20.20.1"

Reloader = Callable[[], str]  # returns a status word: "Success", "Error", "NotSupported", ...


class PBX:
    def __init__(self, clock: Callable[[], float] = time.time, system_name: str = "") -> None:
        self.clock = clock
        self.system_name = system_name
        self.started = clock()
        self.last_reload = self.started
        self.bus = Bus()
        self.cli = CliRegistry()
        self.calls_processed = 0
        self.current_calls = 0
        self.reloaders: dict[str, Reloader] = {}
        self.verbosity = 3
        self._register_cli()

    @property
    def version_line(self) -> str:
        built = datetime.fromtimestamp(self.started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"Asterisk {ASTERISK_VERSION} (pbxd {__version__}) built by pbxd @ {platform.node()} "
            f"on a {platform.machine()} running {platform.system()} on {built}"
        )

    def reload(self, module: str = "") -> str:
        """Reload one module's configuration (or all); returns its status word."""
        if module:
            reloader = self.reloaders.get(module.lower().removesuffix(".so"))
            if reloader is None:
                return "NotFound"
            status = reloader()
        else:
            statuses = [reloader() for reloader in self.reloaders.values()]
            status = "Error" if "Error" in statuses else "Success"
        self.last_reload = self.clock()
        self.bus.publish(Reloaded(module, status))
        return status

    def shutdown(self, restart: bool = False) -> None:
        self.bus.publish(ShuttingDown(restart))

    def _register_cli(self) -> None:
        cli = self.cli

        @cli.register("core show version", "Display version info")
        def show_version(args: list[str]) -> list[str]:
            return [self.version_line]

        @cli.register(
            "core show uptime",
            "Show uptime information",
            "Usage: core show uptime [seconds]\n"
            "       Shows Asterisk uptime information.\n"
            "       The seconds word returns the uptime in seconds only.",
            takes_args=True,
        )
        def show_uptime(args: list[str]) -> list[str]:
            if args not in ([], ["seconds"]):
                raise ShowUsage
            now = self.clock()
            up, reload = int(now - self.started), int(now - self.last_reload)
            if args:
                return [f"System uptime: {up}", f"Last reload: {reload}"]
            return [f"System uptime: {duration_text(up)}", f"Last reload: {duration_text(reload)}"]

        @cli.register(
            "core set verbose",
            "Set level of verbose chattiness",
            "Usage: core set verbose [atleast] <level>\n"
            "       Sets level of verbose messages to be displayed.\n"
            "       0 or off means no messages should be displayed.",
            takes_args=True,
        )
        def set_verbose(args: list[str]) -> list[str]:
            at_least = bool(args) and args[0].lower() == "atleast"
            words = args[1:] if at_least else args
            if len(words) != 1:
                raise ShowUsage
            word = words[0].lower()
            if word == "off":
                level = 0
            elif word.isdigit():
                level = int(word)
            else:
                raise ShowUsage
            old = self.verbosity
            if at_least and level < old:
                level = old
            if level == old:
                return [f"Console verbose is still {old}."]
            self.verbosity = level
            return [f"Console verbose was {old} and is now {level}."]

        @cli.register(
            "core show help",
            "Display help list, or specific help on a command",
            "Usage: core show help [topic]\n"
            "       When called with a topic as an argument, displays usage\n"
            "       information on the given command. If called without a\n"
            "       topic, it provides a list of commands.",
            takes_args=True,
        )
        def show_help(args: list[str]) -> list[str]:
            found = cli.find(args) if args else None
            if found is not None and not found[1]:
                return found[0].usage.splitlines()
            lines = cli.help_lines(args)
            if not lines:
                return [f"No such command '{' '.join(args)}'."]
            return lines


_UNITS = (
    ("year", 365 * 86400),
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)


def duration_text(seconds: int) -> str:
    """Asterisk's uptime wording: ``2 hours, 1 minute, 5 seconds``.

    As Asterisk does, a unit is used only while more than one whole unit remains, so an
    exact hour reads ``60 minutes``.
    """
    parts = []
    for name, size in _UNITS:
        if seconds > size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    if seconds or not parts:
        parts.append(f"{seconds} second{'' if seconds == 1 else 's'}")
    return ", ".join(parts)
