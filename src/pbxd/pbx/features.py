"""Call features (``features.conf``): DTMF codes a bridged channel dials to transfer its call.

A bridged channel whose Dial allowed it (``T`` for the caller, ``t`` for the callee, or the
letters of its ``BRIDGE_FEATURES`` variable) may dial ``blindxfer`` (``#`` by default) or
``atxfer`` (none by default, as in Asterisk) followed by an extension. During an attended
transfer the transferer may dial ``atxferabort`` (``*1``), ``atxfercomplete`` (``*2``),
``atxferthreeway`` (``*3``) or ``atxferswap`` (``*4``). Digits reach the PBX through
``receive_dtmf`` (the PlayDTMF action with ``Receive``, the Atxfer action).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from . import causes
from .events import Dtmf
from .flag import Flag, wait_any
from .transfer import AttendedTransfer, Stimulus, transfer_context
from .transfer_events import BlindTransferred, Held, Unheld

if TYPE_CHECKING:
    from .bridge import Bridge
    from .channel import Channel
    from .core import PBX

log = logging.getLogger("pbxd.features")

#: The Dial option letters and the feature letter each gives the caller or the callee.
TRANSFER = "T"


@dataclass
class FeatureConfig:
    """``[featuremap]`` and the transfer options of ``[general]``, with Asterisk's defaults."""

    blindxfer: str = "#"
    disconnect: str = "*"
    atxfer: str = ""
    atxferabort: str = "*1"
    atxfercomplete: str = "*2"
    atxferthreeway: str = "*3"
    atxferswap: str = "*4"
    atxfernoanswertimeout: float = 15.0
    transferdigittimeout: float = 3.0
    transferdialattempts: int = 3

    def transfer_codes(self) -> dict[str, Stimulus]:
        codes = {
            self.atxferabort: Stimulus.ABORT,
            self.atxfercomplete: Stimulus.COMPLETE,
            self.atxferthreeway: Stimulus.THREEWAY,
            self.atxferswap: Stimulus.SWAP,
        }
        return {code: stimulus for code, stimulus in codes.items() if code}


_NUMBERS = {"atxfernoanswertimeout", "transferdigittimeout"}


def load_features(etc_dir: Path) -> FeatureConfig:
    """``features.conf`` if there is one; bad numbers keep the default, with a warning."""
    from ..config.conf import load

    config = FeatureConfig()
    path = Path(etc_dir) / "features.conf"
    if not path.exists():
        return config
    loaded = load(path)
    for section in ("general", "featuremap"):
        category = loaded.get_category(section)
        if category is None:
            continue
        for name in vars(config):
            value = category.get(name)
            if value is None:
                continue
            try:
                if name in _NUMBERS:
                    setattr(config, name, max(float(value), 1.0))
                elif name == "transferdialattempts":
                    setattr(config, name, min(max(int(value), 1), 10))
                else:
                    setattr(config, name, value.strip())
            except ValueError:
                log.warning("features.conf: invalid value '%s' for %s", value, name)
    return config


@dataclass
class _Collector:
    """Digits of a transfer extension being dialed."""

    digits: list[str] = field(default_factory=list)
    changed: Flag = field(default_factory=Flag)


class Features:
    """The PBX's call features (``pbx.features``; see :func:`features_of`)."""

    def __init__(self, pbx: PBX, config: FeatureConfig | None = None) -> None:
        self.pbx = pbx
        self.config = config or FeatureConfig()
        self._allowed: WeakKeyDictionary[Channel, str] = WeakKeyDictionary()
        self._typed: WeakKeyDictionary[Channel, str] = WeakKeyDictionary()
        self._collecting: WeakKeyDictionary[Channel, _Collector] = WeakKeyDictionary()
        self.transfers: WeakKeyDictionary[Channel, AttendedTransfer] = WeakKeyDictionary()

    def allow(self, channel: Channel, letters: str) -> None:
        """Give ``channel`` the feature letters (``T`` transfers) for its bridges."""
        if letters:
            self._allowed[channel] = "".join(sorted(set(self._allowed.get(channel, "") + letters)))

    def allowed(self, channel: Channel) -> str:
        return self._allowed.get(channel, "") + (channel.get_variable("BRIDGE_FEATURES") or "")

    # -- digits --------------------------------------------------------------------------

    def digit(self, channel: Channel, digit: str) -> None:
        """One digit the channel dialed, while it is bridged."""
        collector = self._collecting.get(channel)
        if collector is not None:
            collector.digits.append(digit)
            collector.changed.set()
            return
        transfer = self.transfers.get(channel)
        if transfer is not None:
            codes = self.config.transfer_codes()
            code = self._match(channel, digit, codes)
            if code:
                transfer.stimulate(codes[code])
            return
        if not channel.bridge_id or TRANSFER not in self.allowed(channel).upper():
            return
        features = {self.config.blindxfer: self._blind, self.config.atxfer: self._attended}
        features.pop("", None)
        code = self._match(channel, digit, features)
        if code:
            collector = self._collecting[channel] = _Collector()
            asyncio.ensure_future(features[code](channel, collector))

    def _match(self, channel: Channel, digit: str, codes: dict[str, object]) -> str:
        """The code the digits typed so far complete, "" while one may still come."""
        typed = self._typed.get(channel, "") + digit
        if typed in codes:
            self._typed.pop(channel, None)
            return typed
        if any(code.startswith(typed) for code in codes):
            self._typed[channel] = typed
        else:
            self._typed.pop(channel, None)
        return ""

    async def _grab(self, channel: Channel, context: str, collector: _Collector) -> str:
        """The extension dialed after a transfer code ("" if none was valid in time):
        ``#`` ends it, as does an extension that exists and cannot match more."""
        dialplan = self.pbx.dialplan
        clock = self.pbx.clock
        try:
            for _ in range(self.config.transferdialattempts):
                exten = ""
                while True:
                    if channel.hangup_requested or dialplan is None:
                        return ""
                    if collector.digits:
                        digit = collector.digits.pop(0)
                        if digit == "#":
                            break
                        exten += digit
                        if dialplan.exists(context, exten) and not dialplan.matches_more(
                            context, exten
                        ):
                            return exten
                        if not dialplan.can_match(context, exten):
                            break
                        continue
                    collector.changed.clear()
                    await wait_any(
                        (collector.changed, channel.hung_up),
                        self.config.transferdigittimeout,
                        clock,
                    )
                    if not collector.changed.is_set():
                        break  # the digit timeout (or a hangup)
                if exten and dialplan.exists(context, exten):
                    return exten
                log.warning(
                    "Channel %s: Extension '%s' does not exist in context '%s'",
                    channel.name,
                    exten,
                    context,
                )
            return ""
        finally:
            self._collecting.pop(channel, None)

    # -- the features --------------------------------------------------------------------

    async def _attended(self, transferer: Channel, collector: _Collector) -> None:
        bridge = self.pbx.bridges.get(transferer.bridge_id)
        if (
            bridge is None
            or bridge.type != "basic"
            or not bridge.dissolves
            or any(c in self.transfers for c in bridge.channels)
        ):
            self._collecting.pop(transferer, None)
            return
        log.info("Channel %s: Started DTMF attended transfer.", transferer.name)
        transferer.publish(Held(transferer.snapshot()))
        context = transfer_context(transferer)
        exten = await self._grab(transferer, context, collector)
        if not exten or transferer.bridge_id != bridge.uniqueid or len(bridge.channels) < 2:
            transferer.publish(Unheld(transferer.snapshot()))
            return
        transfer = AttendedTransfer(transferer, bridge, exten, context, self.config)
        self.transfers[transferer] = transfer
        try:
            await transfer.run()
        finally:
            self.transfers.pop(transferer, None)

    async def _blind(self, transferer: Channel, collector: _Collector) -> None:
        from .engine import goto

        context = transfer_context(transferer)
        exten = await self._grab(transferer, context, collector)
        bridge = self.pbx.bridges.get(transferer.bridge_id)
        if not exten or bridge is None:
            return
        blind_transfer(transferer, bridge, context, exten, external=False)
        for peer in [c for c in bridge.channels if c is not transferer]:
            goto(peer, context, exten, 1)
            peer.redirect()
        transferer.request_hangup(causes.NORMAL_CLEARING)


def blind_transfer(
    transferer: Channel, bridge: Bridge, context: str, exten: str, external: bool
) -> None:
    """Announce a blind transfer of ``transferer``'s bridge to exten@context."""
    peer = bridge.peer(transferer)
    transferer.pbx.bus.publish(
        BlindTransferred(
            "Success",
            transferer.snapshot(),
            peer.snapshot() if peer is not None else None,
            bridge.snapshot(),
            context,
            exten,
            external,
        )
    )


def features_of(pbx: PBX) -> Features:
    """The PBX's features (``pbx.features``), with Asterisk's defaults on first use."""
    features = pbx.features
    if features is None:
        features = pbx.features = Features(pbx)
    return features


def receive_dtmf(channel: Channel, digit: str, duration_ms: int = 80) -> None:
    """The channel receives one DTMF digit: its DTMFBegin/DTMFEnd, then the feature codes."""
    snapshot = channel.snapshot()
    channel.publish(Dtmf(snapshot, digit, "Received", True))
    channel.publish(Dtmf(snapshot, digit, "Received", False, duration_ms))
    features_of(channel.pbx).digit(channel, digit)
