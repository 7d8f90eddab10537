"""Hints: ``exten => 300,hint,SIP/alice&Custom:foo`` turned into extension states.

A hint's devices are aggregated (``ast_devstate_aggregate``) and the result mapped to an
extension state (``ast_devstate_to_extenstate``). When a device changes, only the hints
naming it are worked out again; a hint whose state changed publishes
:class:`ExtensionStateChanged` (the manager's ExtensionStatus event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .bus import Reloaded
from .cli import ShowUsage

if TYPE_CHECKING:
    from .core import PBX

REMOVED = -2  # the extension went away
DEACTIVATED = -1  # the hint went away (also: no hint at all)
IDLE = 0
INUSE = 1
BUSY = 2
UNAVAILABLE = 4
RINGING = 8
ONHOLD = 16

#: ``ast_extension_state2str``; any other number reads "Unknown".
TEXTS = {
    IDLE: "Idle",
    INUSE: "InUse",
    BUSY: "Busy",
    UNAVAILABLE: "Unavailable",
    RINGING: "Ringing",
    INUSE | RINGING: "InUse&Ringing",
    ONHOLD: "Hold",
    INUSE | ONHOLD: "InUse&Hold",
}
#: What EXTENSION_STATE() returns for each state (func_extstate's words).
FUNCTION_WORDS = {
    IDLE: "NOT_INUSE",
    INUSE: "INUSE",
    BUSY: "BUSY",
    UNAVAILABLE: "UNAVAILABLE",
    RINGING: "RINGING",
    INUSE | RINGING: "RINGINUSE",
    INUSE | ONHOLD: "HOLDINUSE",
    ONHOLD: "ONHOLD",
}
#: ``ast_devstate_to_extenstate``
_FROM_DEVICE = {
    "ONHOLD": ONHOLD,
    "BUSY": BUSY,
    "UNKNOWN": IDLE,
    "UNAVAILABLE": UNAVAILABLE,
    "INVALID": UNAVAILABLE,
    "RINGINUSE": INUSE | RINGING,
    "RINGING": RINGING,
    "INUSE": INUSE,
    "NOT_INUSE": IDLE,
}

_COLUMNS = (
    "       Hint details are shown in five columns. In order from left to right, they are:\n"
    "       1. Hint extension URI.\n"
    "       2. List of mapped device or presence state identifiers.\n"
    "       3. Current extension state. The aggregate of mapped device states.\n"
    "       4. Current presence state for the mapped presence state provider.\n"
    "       5. Watchers - number of subscriptions and other entities watching this hint."
)
HINTS_USAGE = "Usage: core show hints\n       List registered hints.\n" + _COLUMNS
HINT_USAGE = "Usage: core show hint <exten>\n       List registered hint.\n" + _COLUMNS


class ExtensionStateChanged(NamedTuple):
    """A hint's extension state changed (``hint`` is "" once the hint is gone)."""

    context: str
    exten: str
    hint: str
    status: int


def status_text(status: int) -> str:
    return TEXTS.get(status, "Unknown")


def hint_devices(hint: str) -> list[str]:
    """The device part of a hint (before any ``,presence`` part), split on ``&``."""
    return [device for device in hint.split(",", 1)[0].split("&") if device]


@dataclass(slots=True)
class _Hint:
    text: str
    devices: list[str]
    status: int


class Hints:
    """The hints of the PBX's dialplan and their last states (``pbx.devices.hints``)."""

    def __init__(self, pbx: PBX, aggregate: Callable[[list[str]], str]) -> None:
        self.pbx = pbx
        self.aggregate = aggregate  # the aggregated device state of a list of devices
        self._hints: dict[tuple[str, str], _Hint] = {}
        self._by_device: dict[str, list[tuple[str, str]]] = {}
        self._seen: tuple[object, int] | None = None
        pbx.bus.subscribe(lambda event: self.refresh(), (Reloaded,))
        self._register_cli()

    def refresh(self) -> None:
        """Take the dialplan's hints again if it changed since the last look."""
        dialplan = self.pbx.dialplan
        seen = (dialplan, getattr(dialplan, "generation", 0))
        if seen == self._seen:
            return
        self._seen = seen
        found = {(c, e): h for c, e, h in dialplan.hints()} if dialplan is not None else {}
        old = self._hints
        self._hints, self._by_device = {}, {}
        for key, hint in found.items():
            entry = old.get(key)
            if entry is None or entry.text != hint:
                devices = hint_devices(hint)
                entry = _Hint(hint, devices, self.extension_state(devices))
            self._hints[key] = entry
            for device in entry.devices:
                self._by_device.setdefault(device.lower(), []).append(key)
        for context, exten in old:
            if (context, exten) not in found:
                exists = dialplan is not None and dialplan.exists(context, exten)
                status = DEACTIVATED if exists else REMOVED
                self.pbx.bus.publish(ExtensionStateChanged(context, exten, "", status))

    def device_changed(self, device: str) -> None:
        """Work out again the hints that name ``device``; announce those that changed.

        (:meth:`refresh` comes first, before the device's new state is known.)"""
        for key in self._by_device.get(device.lower(), ()):
            entry = self._hints[key]
            status = self.extension_state(entry.devices)
            if status != entry.status:
                entry.status = status
                self.pbx.bus.publish(ExtensionStateChanged(key[0], key[1], entry.text, status))

    def extension_state(self, devices: list[str]) -> int:
        """``ast_devstate_to_extenstate`` of the devices' aggregated state."""
        return _FROM_DEVICE[self.aggregate(devices)]

    def state(self, context: str, exten: str) -> tuple[str, int]:
        """``(hint, state)`` of exten@context (patterns and includes apply); -1 without a
        hint."""
        dialplan = self.pbx.dialplan
        hint = dialplan.hint(context, exten) if dialplan is not None else None
        if hint is None:
            return "", DEACTIVATED
        return hint, self.extension_state(hint_devices(hint))

    def listing(self) -> list[tuple[str, str, str, int]]:
        """``(context, exten, hint, state)`` of every hint, in dialplan order."""
        self.refresh()
        return [(c, e, hint.text, hint.status) for (c, e), hint in self._hints.items()]

    def _register_cli(self) -> None:
        cli = self.pbx.cli

        def row(context: str, exten: str, hint: str, status: int) -> str:
            where = f"{exten}@{context}"
            return (
                f"{where[:30]:<30}: {hint[:60]:<60}  State:{status_text(status)[:15]:<15} "
                f"Presence:{'not_set':<15} Watchers {0:2d}"
            )

        @cli.register("core show hints", "Show dialplan hints", HINTS_USAGE)
        def show_hints(args: list[str]) -> list[str]:
            hints = self.listing()
            if not hints:
                return ["There are no registered dialplan hints"]
            lines = ["", "    -= Registered Asterisk Dial Plan Hints =-"]
            lines += [row(*hint) for hint in hints]
            return [*lines, "----------------", f"- {len(hints)} hints registered"]

        @cli.register("core show hint", "Show dialplan hint", HINT_USAGE, takes_args=True)
        def show_hint(args: list[str]) -> list[str]:
            if not args:
                raise ShowUsage
            hints = self.listing()
            if not hints:
                return ["There are no registered dialplan hints"]
            wanted = args[0].lower()
            lines = [row(*hint) for hint in hints if hint[1].lower().startswith(wanted)]
            if not lines:
                return [f"No hints matching extension {args[0]}"]
            plural = "s" if len(lines) != 1 else ""
            return [*lines, f"{len(lines)} hint{plural} matching extension {args[0]}"]
