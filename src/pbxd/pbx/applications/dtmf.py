"""Reading DTMF: Read collects the digits a caller presses (RFC 4733 events on SIP)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..channel import ChannelState
from ..engine import wait
from . import application, split_args
from .media import play

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.dialplan")

#: Seconds Read waits for each digit when no timeout is given.
DIGIT_TIMEOUT = 10.0
MAX_DIGITS = 255


async def read_digit(channel: Channel, seconds: float) -> str | None:
    """The next digit pressed on the channel, None on timeout or hangup. A channel without
    media (Local) never hears one: it waits the time out."""
    port = channel.media
    if port is None:
        await wait(channel, seconds)
        return None
    return await port.read_digit(seconds)


@application(
    "Read",
    "Read a variable.",
    "Read(variable[,filename[&filename2[&...]]][,maxdigits][,options][,attempts][,timeout])",
    "Plays the files (a digit stops them), then reads digits until maxdigits, '#' or the "
    "timeout, into variable. Options: s (skip unless up), n (read without answering). "
    "Sets READSTATUS: OK, TIMEOUT, HANGUP, SKIPPED or ERROR.",
)
async def read(channel: Channel, data: str) -> None:
    args = split_args(data) + [""] * 6
    variable, files, options = args[0].strip(), args[1].strip(), args[3].strip()
    if not variable:
        log.warning("Read requires an variable name")
        channel.set_variable("READSTATUS", "ERROR")
        return
    maxdigits = _count(args[2], MAX_DIGITS, MAX_DIGITS) or MAX_DIGITS
    attempts = _count(args[4], 1, 100) or 1
    timeout = _seconds(args[5]) or DIGIT_TIMEOUT
    if channel.state != ChannelState.UP:
        if "s" in options:
            channel.set_variable(variable, "")
            channel.set_variable("READSTATUS", "SKIPPED")
            return
        if "n" not in options:
            channel.set_state(ChannelState.UP)
    status, digits = "TIMEOUT", ""
    port = channel.media
    for _ in range(attempts):
        if port is not None:
            port.digits.clear()
        for name in files.split("&") if files else ():
            if await _play_until_digit(channel, name) is None or (port and port.digits):
                break
        digits = await _collect(channel, maxdigits, timeout)
        if channel.hangup_requested:
            status = "HANGUP"
            break
        if digits:
            status = "OK"
            break
    channel.set_variable(variable, digits)
    channel.set_variable("READSTATUS", status)


async def _play_until_digit(channel: Channel, name: str) -> bool | None:
    """Play a prompt; a digit pressed meanwhile cuts it short."""
    port = channel.media
    if port is None:
        return await play(channel, name)
    port.digit_arrived.clear()
    return await play(channel, name, stop=port.digit_arrived)


async def _collect(channel: Channel, maxdigits: int, timeout: float) -> str:
    digits = ""
    while len(digits) < maxdigits:
        digit = await read_digit(channel, timeout)
        if digit is None or digit == "#":
            break
        digits += digit
    return digits


def _count(text: str, default: int, limit: int) -> int:
    text = text.strip()
    return min(int(text), limit) if text.isdigit() else default


def _seconds(text: str) -> float:
    try:
        return max(float(text.strip()), 0.0)
    except ValueError:
        return 0.0
