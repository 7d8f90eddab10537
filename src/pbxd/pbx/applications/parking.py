"""Park and ParkedCall: park the calling channel, retrieve a parked one by bridging."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from .. import causes
from ..bridge import Bridge
from ..channel import ChannelState
from ..engine import goto
from ..parking import ParkRequest, parking_of
from . import application, split_args
from .basic import parse_target
from .media import play

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.parking")
_OPTION = re.compile(r"([A-Za-z])(?:\(([^)]*)\))?")


def _options(text: str) -> dict[str, str]:
    return {letter: argument for letter, argument in _OPTION.findall(text)}


def _timeout_option(text: str) -> int | None:
    try:
        return max(int(text), 0)
    except ValueError:
        log.warning("Invalid duration '%s' for the t() option: using the lot's", text)
        return None


@application(
    "Park",
    "Park yourself.",
    "Park([parking_lot_name[,options]])",
    "Parks the calling channel in the lot (default: 'default'); options: t(seconds) time "
    "limit, c(context,extension,priority) where a timed-out call goes, s silence.",
)
async def park_app(channel: Channel, data: str) -> None:
    args = split_args(data) + [""]
    lot_name, options = args[0].strip(), _options(args[1])
    request: ParkRequest | None = getattr(channel, "park_request", None)
    channel.park_request = None  # type: ignore[attr-defined]
    timeout = _timeout_option(options["t"]) if "t" in options else None
    if request is not None:
        lot_name = request.lot or lot_name
        timeout = request.timeout if request.timeout is not None else timeout
    lot_name = lot_name or channel.get_variable("PARKINGLOT") or ""
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.UP)
    parking = parking_of(channel.pbx)
    user = parking.park(channel, lot_name, timeout=timeout, comeback=options.get("c", ""))
    if user is None:
        return  # as Asterisk: the dialplan goes on after a failed park
    hung_up = asyncio.ensure_future(channel.hung_up.wait())
    try:
        await asyncio.wait({hung_up, user.resolution}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hung_up.cancel()
    if not user.resolution.done():
        parking.give_up(user)
        return
    outcome = user.resolution.result()
    if outcome == "retrieved":
        await channel.hung_up.wait()  # the retriever's bridge owns the call now
    elif outcome == "timeout" and not channel.hangup_requested:
        _come_back(channel, user.comeback, parking.comeback_target(user))


def _come_back(channel: Channel, comeback: str, target: tuple[str, str, int] | None) -> None:
    if comeback:
        context, exten, priority = parse_target(channel, comeback.replace(":", ","))
        if priority and goto(channel, context, exten, priority):
            return
    elif target is not None and goto(channel, *target):
        return
    channel.request_hangup(causes.NORMAL_CLEARING)


@application(
    "ParkedCall",
    "Retrieve a parked call.",
    "ParkedCall([parking_lot_name[,parking_space]])",
    "Bridges the caller with the call parked in the space (the longest parked call of the "
    "lot when no space is given).",
)
async def parked_call_app(channel: Channel, data: str) -> None:
    args = split_args(data) + [""]
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.UP)
    parking = parking_of(channel.pbx)
    lot = parking.lot(args[0].strip() or channel.get_variable("PARKINGLOT") or "")
    if lot is None:
        log.error("Could not find the requested parking lot")
        await _invalid(channel)
        return
    space_text = args[1].strip()
    space = None
    if space_text:
        if not space_text.isdigit():
            await _invalid(channel)
            log.error(
                "value '%s' for parking_space argument is invalid. Must be an integer "
                "greater than 0.",
                space_text,
            )
            return
        space = int(space_text)
    user = parking.retrieve(lot, space, channel)
    if user is None:
        await _invalid(channel)
        return
    parkee = user.channel
    bridge = Bridge(channel.pbx)
    bridge.join(parkee)
    bridge.join(channel)
    ended = {
        asyncio.ensure_future(channel.hung_up.wait()),
        asyncio.ensure_future(parkee.hung_up.wait()),
    }
    try:
        await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in ended:
            waiting.cancel()
    bridge.destroy()
    for party in (parkee, channel):
        party.request_hangup(causes.NORMAL_CLEARING)


async def _invalid(channel: Channel) -> None:
    await play(channel, "pbx-invalidpark")
    channel.request_hangup(causes.NORMAL_CLEARING)
