"""Call parking, as Asterisk's res_parking: lots of numbered spaces, a holding bridge per lot,
a time limit after which the call comes back, and retrieval by bridging.

The default lot is res_parking's: ``parkext`` 700 and spaces 701-720 in context
``parkedcalls``, 45 s ``parkingtime``, ``comebacktoorigin`` (a timed-out call dials its parker
back from the ``park-dial`` context).  What happens is published on the PBX bus as the
events below; the manager turns them into ParkedCall, UnParkedCall, ParkedCallTimeOut and
ParkedCallGiveUp.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .bridge import Bridge
from .dialplan import DialplanError

if TYPE_CHECKING:
    from .channel import Channel, ChannelSnapshot
    from .clock import TimerHandle
    from .core import PBX

log = logging.getLogger("pbxd.parking")

REGISTRAR = "res_parking"
PARK_DIAL_CONTEXT = "park-dial"


@dataclass(frozen=True, slots=True)
class LotConfig:
    name: str = "default"
    parkext: str = "700"
    context: str = "parkedcalls"
    start: int = 701
    stop: int = 720
    parkingtime: int = 45  # seconds; 0: no limit
    comebacktoorigin: bool = True
    comebackcontext: str = "parkedcallstimeout"
    comebackdialtime: int = 30
    findslot: str = "first"  # or "next"


# -- bus events --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParkingEvent:
    """A parked call as it was when something happened to it."""

    parkee: ChannelSnapshot
    parker_dial_string: str
    lot: str
    space: int
    timeout: int  # seconds left before the call times out
    duration: int  # seconds it has been parked
    retriever: ChannelSnapshot | None = None


@dataclass(frozen=True, slots=True)
class CallParked(ParkingEvent):
    """The channel entered a parking space (AMI ``ParkedCall``)."""


@dataclass(frozen=True, slots=True)
class CallUnparked(ParkingEvent):
    """Someone retrieved it (AMI ``UnParkedCall``; ``retriever`` is set)."""


@dataclass(frozen=True, slots=True)
class ParkedCallTimedOut(ParkingEvent):
    """Its time ran out (AMI ``ParkedCallTimeOut``)."""


@dataclass(frozen=True, slots=True)
class ParkedCallGaveUp(ParkingEvent):
    """It hung up while parked (AMI ``ParkedCallGiveUp``)."""


# -- parked calls ------------------------------------------------------------------------


@dataclass(eq=False)
class ParkedUser:
    channel: Channel
    lot: ParkingLot
    space: int
    parker_dial_string: str
    start: float
    time_limit: int
    comeback: str = ""  # the Park c() option: [[context,]exten,]priority
    retriever: ChannelSnapshot | None = None
    resolution: asyncio.Future[str] = field(default_factory=lambda: _future())
    timer: TimerHandle | None = None

    def event(self, kind: type[ParkingEvent]) -> ParkingEvent:
        now = int(self.lot.pbx.clock())
        start = int(self.start)
        timeout = start + self.time_limit - now if self.time_limit else 0
        return kind(
            self.channel.snapshot(),
            self.parker_dial_string,
            self.lot.name,
            self.space,
            max(timeout, 0),
            now - start,
            self.retriever,
        )


def _future() -> asyncio.Future[str]:
    return asyncio.get_running_loop().create_future()


class ParkingLot:
    def __init__(self, pbx: PBX, config: LotConfig) -> None:
        self.pbx = pbx
        self.config = config
        self.parked: dict[int, ParkedUser] = {}
        self.bridge: Bridge | None = None
        self._last = config.start - 1

    @property
    def name(self) -> str:
        return self.config.name

    def free_space(self) -> int | None:
        spaces = range(self.config.start, self.config.stop + 1)
        if self.config.findslot == "next":
            ordered = [s for s in spaces if s > self._last] + [s for s in spaces if s <= self._last]
        else:
            ordered = list(spaces)
        return next((s for s in ordered if s not in self.parked), None)

    def holding_bridge(self) -> Bridge:
        if self.bridge is None or self.bridge.destroyed:
            self.bridge = Bridge(self.pbx, "parking", "holding_bridge", "Parking", self.name)
        return self.bridge

    def users(self) -> list[ParkedUser]:
        return [self.parked[space] for space in sorted(self.parked)]


def dial_string_of(channel_name: str) -> str:
    """``SIP/100-0000001`` to ``SIP/100``: the name up to its last dash."""
    head, dash, _ = channel_name.rpartition("-")
    return head if dash else channel_name


def flatten(dial_string: str) -> str:
    return dial_string.replace("/", "_")


class Parking:
    """The parking lots of one PBX (``pbx.parking``; see :func:`parking_of`)."""

    def __init__(self, pbx: PBX, lots: list[LotConfig] | None = None) -> None:
        self.pbx = pbx
        self.lots: dict[str, ParkingLot] = {}
        for config in lots or [LotConfig()]:
            self.lots[config.name.lower()] = ParkingLot(pbx, config)
        self.install_extensions()

    def lot(self, name: str = "") -> ParkingLot | None:
        return self.lots.get((name or "default").lower())

    def install_extensions(self) -> None:
        """Each lot's park extension and spaces in its context (``ParkedCall(lot,space)``)."""
        dialplan = self.pbx.dialplan
        if dialplan is None:
            return
        for lot in self.lots.values():
            config = lot.config
            if not config.parkext or dialplan.exists(config.context, config.parkext):
                continue
            try:
                dialplan.add_extension(
                    config.context, config.parkext, 1, "Park", "",
                    registrar=REGISTRAR, create_context=True, replace=True,
                )  # fmt: skip
                for space in range(config.start, config.stop + 1):
                    dialplan.add_extension(
                        config.context, str(space), 1, "ParkedCall", f"{config.name},{space}",
                        registrar=REGISTRAR, replace=True,
                    )  # fmt: skip
            except DialplanError as exc:
                log.error("Parking lot '%s' extensions not registered: %s", config.name, exc)

    def find(self, channel: Channel) -> ParkedUser | None:
        for lot in self.lots.values():
            for user in lot.parked.values():
                if user.channel is channel:
                    return user
        return None

    def park(
        self,
        channel: Channel,
        lot_name: str = "",
        *,
        parker_dial_string: str | None = None,
        timeout: int | None = None,
        comeback: str = "",
    ) -> ParkedUser | None:
        """Put ``channel`` in a free space of the lot; None (logged) when that fails."""
        lot = self.lot(lot_name)
        if lot is None:
            log.error("Could not find parking lot: '%s'", lot_name)
            return None
        space = lot.free_space()
        if space is None:
            log.warning("Failed to get parking space in lot '%s'. All full.", lot.name)
            return None
        if parker_dial_string is None:
            parker = channel.get_variable("BLINDTRANSFER") or channel.name
            parker_dial_string = dial_string_of(parker)
        limit = lot.config.parkingtime if timeout is None else timeout
        user = ParkedUser(
            channel, lot, space, parker_dial_string, self.pbx.clock(), limit, comeback
        )
        lot.parked[space] = user
        lot._last = space
        lot.holding_bridge().join(channel)
        if limit > 0:
            user.timer = self.pbx.clock.call_later(limit, lambda: self._timed_out(user))
        channel.publish(user.event(CallParked))
        log.info("Parked %s on %d@%s", channel.name, space, lot.name)
        return user

    def _leave(self, user: ParkedUser, resolution: str) -> bool:
        """Take the user out of its space; False if something else already did."""
        if user.resolution.done():
            return False
        user.resolution.set_result(resolution)
        if user.timer is not None:
            user.timer.cancel()
        if user.lot.parked.get(user.space) is user:
            del user.lot.parked[user.space]
        return True

    def _timed_out(self, user: ParkedUser) -> None:
        if user.resolution.done():
            return
        channel = user.channel
        event = user.event(ParkedCallTimedOut)
        self._leave(user, "timeout")
        bridge = self.pbx.bridges.get(channel.bridge_id)
        if bridge is not None:
            bridge.leave(channel)
        channel.publish(event)
        flat = flatten(user.parker_dial_string)
        for name, value in (
            ("PARKING_SPACE", str(user.space)),
            ("PARKINGSLOT", str(user.space)),
            ("PARKEDLOT", user.lot.name),
            ("PARKER", user.parker_dial_string),
            ("PARKER_FLAT", flat),
        ):
            channel.set_variable(name, value)
        dialplan = self.pbx.dialplan
        if dialplan is not None and user.lot.config.comebacktoorigin:
            data = f"{user.parker_dial_string},{user.lot.config.comebackdialtime}"
            try:
                dialplan.add_extension(
                    PARK_DIAL_CONTEXT, flat, 1, "Dial", data,
                    registrar=REGISTRAR, create_context=True, replace=True,
                )  # fmt: skip
            except DialplanError as exc:
                log.error("Failed to create parking redial parker extension %s@%s: %s",
                          flat, PARK_DIAL_CONTEXT, exc)  # fmt: skip

    def comeback_target(self, user: ParkedUser) -> tuple[str, str, int] | None:
        """Where a timed-out call goes back into the dialplan (None: nowhere, hang up)."""
        config = user.lot.config
        flat = flatten(user.parker_dial_string)
        dialplan = self.pbx.dialplan
        if dialplan is None:
            return None
        if config.comebacktoorigin:
            if dialplan.exists(PARK_DIAL_CONTEXT, flat):
                return PARK_DIAL_CONTEXT, flat, 1
            log.error(
                "Can not start %s at %s,%s,1 because extension does not exist. Terminating call.",
                user.channel.name,
                PARK_DIAL_CONTEXT,
                flat,
            )
            return None
        if dialplan.exists(config.comebackcontext, flat):
            return config.comebackcontext, flat, 1
        if dialplan.exists(config.comebackcontext, "s"):
            return config.comebackcontext, "s", 1
        return "default", "s", 1

    def give_up(self, user: ParkedUser) -> None:
        """The parked channel hung up."""
        event = user.event(ParkedCallGaveUp)
        if self._leave(user, "giveup"):
            user.channel.publish(event)

    def retrieve(self, lot: ParkingLot, space: int | None, retriever: Channel) -> ParkedUser | None:
        """Take the call in ``space`` (the longest parked one when None) out for ``retriever``."""
        if space is None:
            users = sorted(lot.parked.values(), key=lambda u: u.start)
            user = users[0] if users else None
        else:
            user = lot.parked.get(space)
        if user is None or user.channel.hangup_requested:
            return None
        user.retriever = retriever.snapshot()
        event = user.event(CallUnparked)
        self._leave(user, "retrieved")
        user.channel.publish(event)
        return user


def parking_of(pbx: PBX) -> Parking:
    """The PBX's parking (``pbx.parking``), made with the default lot on first use."""
    parking = pbx.parking
    if parking is None:
        parking = Parking(pbx)
        pbx.parking = parking
    else:
        parking.install_extensions()
    return parking


@dataclass(frozen=True, slots=True)
class ParkRequest:
    """What the AMI Park action asks of the Park application it sends the channel to."""

    lot: str = ""
    timeout: int | None = None
