"""Device states as Asterisk derives, caches and announces them (``main/devicestate.c``).

A device is ``Tech/resource`` (its state comes from the technology, else from its channels)
or ``Provider:name`` (``Custom:`` devices, set with DEVICE_STATE or ``devstate change`` and
kept in the ASTdb family ``CustomDevstate``; other modules may publish ``Queue:``/``MWI:``
states through :meth:`DeviceStates.changed`). Every change is published on the bus as
:class:`~pbxd.pbx.events.DeviceStateChanged`; a cachable device (all but Local channels)
only when its state really changed, an uncachable one whenever a channel of it changes
state or goes away, as Asterisk does. Hints are told first (ExtensionStatus goes out before
DeviceStateChange, as on the wire).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from .astdb import AstDBError
from .channel import ChannelState
from .cli import CliFailure, ShowUsage
from .events import DeviceStateChanged
from .hints import Hints

if TYPE_CHECKING:
    from .channel import Channel
    from .core import PBX

log = logging.getLogger("pbxd.pbx.devicestate")

UNKNOWN = "UNKNOWN"
NOT_INUSE = "NOT_INUSE"
INUSE = "INUSE"
BUSY = "BUSY"
INVALID = "INVALID"
UNAVAILABLE = "UNAVAILABLE"
RINGING = "RINGING"
RINGINUSE = "RINGINUSE"
ONHOLD = "ONHOLD"

#: Asterisk's ``enum ast_device_state`` order (its numbers are the index).
STATES = (UNKNOWN, NOT_INUSE, INUSE, BUSY, INVALID, UNAVAILABLE, RINGING, RINGINUSE, ONHOLD)
#: The states ``ast_devstate_val`` recognises (anything else reads as UNKNOWN).
SETTABLE = frozenset(STATES) - {UNKNOWN}
#: How strongly each state wins when a hint aggregates several devices.
_RANK = {
    INVALID: 0,
    UNKNOWN: 1,
    UNAVAILABLE: 2,
    NOT_INUSE: 3,
    ONHOLD: 4,
    RINGING: 5,
    INUSE: 6,
    BUSY: 7,
    RINGINUSE: 8,
}
_IN_USE = frozenset({INUSE, ONHOLD, BUSY})

CUSTOM_FAMILY = "CustomDevstate"
CUSTOM_PREFIX = "Custom:"

DEVSTATE_CHANGE_USAGE = (
    "Usage: devstate change <device> <state>\n"
    "       Change a custom device to a new state.\n"
    "       The possible values for the state are:\n"
    "UNKNOWN | NOT_INUSE | INUSE | BUSY | INVALID | UNAVAILABLE | RINGING\n"
    "RINGINUSE | ONHOLD\n"
    "\n"
    "Examples:\n"
    "       devstate change Custom:mystate1 INUSE\n"
    "       devstate change Custom:mystate1 NOT_INUSE\n"
    "       "
)
DEVSTATE_LIST_USAGE = (
    "Usage: devstate list\n"
    "       List all custom device states that have been set by using\n"
    "       the DEVICE_STATE dialplan function."
)
_RULE = "-" * 69

Provider = Callable[[str], str]


def parse_state(text: str) -> str:
    """``ast_devstate_val``: the state a text names (case-insensitive), else UNKNOWN."""
    state = text.strip().upper()
    return state if state in SETTABLE else UNKNOWN


def aggregate(states: list[str]) -> str:
    """``ast_devstate_aggregate``: the state of a hint's devices taken together."""
    result, ringing, in_use = INVALID, False, False
    for state in states:
        if state == RINGING:
            ringing = True
        elif state in _IN_USE:
            in_use = True
        if ringing and in_use:
            result = RINGINUSE
        elif _RANK[state] > _RANK[result]:
            result = state
    return result


def channel_device(name: str) -> str:
    """The device a channel belongs to: its name up to the last ``-``."""
    device, dash, _ = name.rpartition("-")
    return device if dash else name


def normalise(device: str) -> str:
    """``custom:x`` and ``Custom:x`` are one device, written ``Custom:x``."""
    if device[:7].lower() == "custom:":
        return CUSTOM_PREFIX + device[7:]
    return device


class DeviceStates:
    """The device-state engine of one PBX (``pbx.devices``)."""

    def __init__(self, pbx: PBX) -> None:
        self.pbx = pbx
        #: cachable devices' last states, what DeviceStateList shows
        self.cache: dict[str, str] = {}
        #: ``Provider:`` devices' state sources by lower-case provider name
        self.providers: dict[str, Provider] = {"custom": self._custom_state}
        self.hints = Hints(pbx, self.aggregate_state)
        self._register_cli()

    # -- reading ---------------------------------------------------------------------

    def state(self, device: str) -> str:
        """``ast_device_state``: the cached state, else the one its source gives."""
        device = normalise(device)
        cached = self.cache.get(device)
        if cached is not None and cached != UNKNOWN:
            return cached
        return self.current(device)

    def aggregate_state(self, devices: list[str]) -> str:
        """The state of several devices taken together (a hint's)."""
        return aggregate([self.state(device) for device in devices])

    def current(self, device: str) -> str:
        """The state from the device's technology, provider or channels (no cache)."""
        tech, slash, resource = device.partition("/")
        if not slash:
            provider, colon, name = device.partition(":")
            source = self.providers.get(provider.lower()) if colon else None
            return source(name) if source is not None else INVALID
        technology = self.pbx.technologies.get(tech.lower())
        if technology is None:
            return INVALID
        source = getattr(technology, "device_state", None)
        state = source(resource) if source is not None else UNKNOWN
        return self._from_channels(device) if state == UNKNOWN else state

    def _from_channels(self, device: str) -> str:
        """``ast_parse_device_state``: RINGING or INUSE from a channel of the device."""
        prefix = device + "-"
        for channel in self.pbx.channels.values():
            if channel.name.startswith(prefix):
                return RINGING if channel.state == ChannelState.RINGING else INUSE
        return UNKNOWN

    # -- changing --------------------------------------------------------------------

    def changed(self, device: str, state: str | None = None, cachable: bool = True) -> None:
        """``ast_devstate_changed``: ``device`` is now ``state`` (None: ask its source)."""
        self.hints.refresh()  # (a hint new since the last look starts from the old state)
        self._announce(device, self.current(device) if state is None else state, cachable)

    def _announce(self, device: str, state: str, cachable: bool) -> None:
        if cachable:
            if self.cache.get(device) == state:
                return
            self.cache[device] = state
        self.hints.device_changed(device)
        self.pbx.bus.publish(DeviceStateChanged(device, state))

    def channel_changed(self, channel: Channel) -> None:
        """A channel changed state or went away: its device's state is worked out again."""
        device = channel_device(channel.name)
        technology = self.pbx.technologies.get(channel.tech.lower())
        source = getattr(technology, "device_state", None)
        if source is None:
            self.changed(device)
            return
        self.hints.refresh()
        state = source(device.partition("/")[2])
        if state == UNKNOWN:
            state = self._from_channels(device)
        self._announce(device, state, not getattr(technology, "uncached_device_state", False))

    # -- Custom: devices -------------------------------------------------------------

    def _custom_state(self, name: str) -> str:
        astdb = self.pbx.astdb
        if astdb is None:
            return UNKNOWN
        try:
            value = astdb.get(CUSTOM_FAMILY, name)
        except AstDBError as exc:
            log.error("Custom:%s: the ASTdb cannot be read: %s", name, exc)
            return UNKNOWN
        return parse_state(value or "")

    def set_custom(self, name: str, value: str) -> bool:
        """Store ``Custom:name`` = ``value`` (raw, as Asterisk stores it) and announce it.

        False (logged) when the ASTdb could not keep it; the state changes all the same.
        """
        self.hints.refresh()  # hints read Custom: states from the ASTdb: look before writing
        stored = True
        astdb = self.pbx.astdb
        if astdb is None:
            log.error("Custom:%s: no ASTdb, the state will not survive a restart", name)
            stored = False
        else:
            try:
                astdb.put(CUSTOM_FAMILY, name, value)
            except AstDBError as exc:
                log.error("Custom:%s: the ASTdb did not store the state: %s", name, exc)
                stored = False
        self.changed(CUSTOM_PREFIX + name, parse_state(value))
        return stored

    def load_custom(self) -> None:
        """Put every ``Custom:`` state kept in the ASTdb into the cache (at start-up)."""
        self.hints.refresh()
        astdb = self.pbx.astdb
        if astdb is None:
            return
        try:
            entries = astdb.get_tree(CUSTOM_FAMILY)
        except AstDBError as exc:
            log.error("Custom device states not loaded: %s", exc)
            return
        for key, value in entries:
            self.changed(CUSTOM_PREFIX + key.rsplit("/", 1)[1], parse_state(value))

    # -- CLI -------------------------------------------------------------------------

    def _register_cli(self) -> None:
        cli = self.pbx.cli

        @cli.register(
            "devstate change",
            "Change a custom device state",
            DEVSTATE_CHANGE_USAGE,
            takes_args=True,
        )
        def change(args: list[str]) -> list[str]:
            if len(args) != 2:
                raise ShowUsage
            device, value = args
            if device[:7].lower() != "custom:":
                raise CliFailure(
                    "The devstate command can only be used to set 'Custom:' device state!"
                )
            name = device[7:]
            if not name or parse_state(value) == UNKNOWN:
                raise ShowUsage
            lines = [f"Changing {name} to {value}"]
            if not self.set_custom(name, value):
                lines.append("The new state could not be stored in the ASTdb (see the log).")
            return lines

        @cli.register("devstate list", "List currently known custom device states",
                      DEVSTATE_LIST_USAGE)  # fmt: skip
        def show(args: list[str]) -> list[str]:
            lines = ["", _RULE, "--- Custom Device States " + "-" * 44, _RULE, "---"]
            astdb = self.pbx.astdb
            try:
                entries = astdb.get_tree(CUSTOM_FAMILY) if astdb is not None else []
            except AstDBError as exc:
                raise CliFailure(f"Database unavailable: {exc}") from exc
            for key, value in entries:
                lines += [f"--- Name: 'Custom:{key.rsplit('/', 1)[1]}'  State: '{value}'", "---"]
            return [*lines, _RULE, _RULE, ""]
