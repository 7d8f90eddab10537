"""The PBX object: clock, ids, channels, the dialplan, the bus and the registries."""

from __future__ import annotations

import itertools
import logging
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from . import causes
from .applications import APPLICATIONS
from .bus import Bus, Reloaded, ShuttingDown
from .cli import CliRegistry, ShowUsage
from .clock import Clock, RealClock
from .devicestate import DeviceStates, normalise
from .events import HungUp, NewChannel, VarSet
from .hints import FUNCTION_WORDS

if TYPE_CHECKING:
    from ..iax import IaxConfig
    from ..sip.service import SipService
    from .astdb import AstDB
    from .bridge import Bridge
    from .channel import Channel
    from .dialplan import Dialplan
    from .features import Features
    from .parking import Parking
    from .queues import QueueSystem
    from .technology import Technology

log = logging.getLogger("pbxd.pbx")

#: The Asterisk release whose manager interface pbxd speaks.
ASTERISK_VERSION = "20.20.1"

Reloader = Callable[[], str]  # returns a status word: "Success", "Error", "NotSupported", ...


class PBX:
    def __init__(self, clock: Clock | None = None, system_name: str = "") -> None:
        self.clock: Clock = clock or RealClock()
        self.system_name = system_name
        self.started = self.clock()
        self.last_reload = self.started
        self.bus = Bus()
        self.cli = CliRegistry()
        self.calls_processed = 0
        self.current_calls = 0
        self.reloaders: dict[str, Reloader] = {}
        self.verbosity = 3
        self.channels: dict[str, Channel] = {}  # by name
        self.bridges: dict[str, Bridge] = {}  # by id
        self.dialplan: Dialplan | None = None
        self.applications = APPLICATIONS
        self.technologies: dict[str, Technology] = {}
        self.globals: dict[str, str] = {}
        self.sounds_dir: Path | None = None  # <astdatadir>/sounds, where Playback looks
        self.allow_system = False  # System/TrySystem run commands only when opted in
        self.system_timeout = 30.0  # seconds a System command may take
        self.parking: Parking | None = None  # made on first use (pbx.parking.parking_of)
        self.astdb: AstDB | None = None  # the ASTdb, when the application opens one
        self.features: Features | None = None  # features.conf (pbx.features.features_of)
        self.answer_media_wait = 0.0  # seconds Answer waits for media (Asterisk: 0.5)
        self.queues: QueueSystem | None = None  # made on first use (pbx.queues.queues_of)
        self.sip: SipService | None = None  # chan_sip's work, when there is a sip.conf
        self.iax: IaxConfig | None = None  # iax.conf's peers (configuration only)
        self._uniqueids = itertools.count(1)
        self.assigned_uniqueids: list[str] = []  # ids the next new channels take, in order
        self._register_cli()
        self.devices = DeviceStates(self)  # device states, hints and their CLI commands

    # -- channels ------------------------------------------------------------------------

    def new_uniqueid(self) -> str:
        """``<epoch>.<sequence>``, as Asterisk forms Uniqueid (and Linkedid); or the next of
        the ids a requester assigned (Originate's ChannelId)."""
        if self.assigned_uniqueids:
            assigned = self.assigned_uniqueids.pop(0)
            if assigned:
                return assigned
        return f"{int(self.clock())}.{next(self._uniqueids)}"

    def add_channel(self, channel: Channel) -> None:
        """A channel comes into being: registered, announced, counted."""
        self.channels[channel.name] = channel
        self.bus.publish(NewChannel(channel.snapshot()))

    def find_channel(self, name: str) -> Channel | None:
        """By exact name, else by Uniqueid."""
        channel = self.channels.get(name)
        if channel is None:
            channel = next((c for c in self.channels.values() if c.uniqueid == name), None)
        return channel

    def destroy_channel(self, channel: Channel) -> None:
        """The channel is gone: its Hangup event, and it leaves the registry."""
        if channel.gone:
            return
        bridge = self.bridges.get(channel.bridge_id)
        if bridge is not None:
            bridge.leave(channel)
        channel.hung_up.set()
        if channel.driver is not None:
            channel.driver.destroyed(channel)  # e.g. a Local pair signals the other half
        self.bus.publish(HungUp(channel.snapshot(), channel.hangup_cause))
        channel.gone = True
        if self.channels.get(channel.name) is channel:
            del self.channels[channel.name]
        self.devices.channel_changed(channel)
        # a channel and its technology's objects (driver, media port) point at each other:
        # without these links a call's objects go by reference counting, not in a pause of
        # the cycle collector
        channel.driver = None
        channel.media = None

    def hangup_all(self, cause: int = causes.NORMAL_CLEARING) -> None:
        for channel in list(self.channels.values()):
            channel.request_hangup(cause)

    # -- variables and devices -----------------------------------------------------------

    def set_global(self, name: str, value: str) -> None:
        self.globals[name] = value
        self.bus.publish(VarSet(None, name, value))

    def device_state(self, device: str) -> str:
        """NOT_INUSE, INUSE, RINGING, ... (Asterisk's names) for a device."""
        return self.devices.state(device)

    def set_custom_device_state(self, device: str, state: str) -> bool:
        """Set a ``Custom:`` device (kept in the ASTdb); False if it could not be stored."""
        return self.devices.set_custom(normalise(device)[7:], state)

    def extension_state(self, exten: str, context: str) -> str:
        """EXTENSION_STATE's word for exten@context (UNKNOWN without a hint)."""
        return FUNCTION_WORDS.get(self.devices.hints.state(context, exten)[1], "UNKNOWN")

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
        from .astdb_cli import register_cli as register_astdb_cli
        from .cli_commands import register_cli

        register_cli(self)
        register_astdb_cli(self)
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
