"""Prompts that digits can interrupt, and numbers said digit by digit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..applications.media import find_sound, sound_length
from ..flag import wait_any

if TYPE_CHECKING:
    from .dtmf import DigitReader

log = logging.getLogger("pbxd.voicemail")


async def stream(reader: DigitReader, name: str, escape: str = "") -> str | None:
    """Play ``name`` (a sound, or an absolute path without extension) on the reader's channel
    until it ends or a digit of ``escape`` arrives (other digits are dropped, as Asterisk
    drops them). Returns that digit, "" when the file ended (or is missing: logged), None
    when the channel hung up."""
    channel = reader.channel
    if channel.hangup_requested:
        return None
    path = find_sound(channel.pbx, name, channel.language)
    if path is None:
        log.warning("Unable to open %s (format (slin)): No such file or directory", name)
        return ""
    clock = channel.pbx.clock
    end = clock() + sound_length(path)
    while True:
        while reader.pending:
            digit = reader.pending.popleft()
            if digit in escape:
                return digit
        left = end - clock()
        if left <= 0:
            return ""
        reader.arrived.clear()
        await wait_any((reader.arrived, channel.hung_up), left, clock)
        if channel.hangup_requested:
            return None


async def stream_all(reader: DigitReader, names: list[str], escape: str = "") -> str | None:
    """Several prompts in a row; stops at the first digit of ``escape`` (or hangup)."""
    for name in names:
        result = await stream(reader, name, escape)
        if result != "":
            return result
    return ""


async def ask_digits(reader: DigitReader, prompt: str, timeout: float) -> str | None:
    """Play ``prompt`` (a key pressed during it is the first of the answer), then digits up
    to ``#`` or a pause of ``timeout``; None if the channel hung up."""
    first = await stream(reader, prompt, "0123456789*#")
    if first is None:
        return None
    if first:
        reader.pending.appendleft(first)
    return await reader.digits(timeout)


def number_files(number: int) -> list[str]:
    """The sound files that say a count, digit by digit (``digits/1``, ``digits/2``)."""
    return [f"digits/{char}" for char in str(number)]
