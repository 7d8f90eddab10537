"""ChanSpy: listen to another channel's real audio, both directions mixed.

The spy taps the spied channel's media port: every frame it receives (``read``) and sends
(``write``) is decoded into one of two buffers, and every 20 ms on the PBX clock the spy's
phone gets the sum of 160 samples of each (silence for what did not come). Only channels
with media can be spied on and can spy. ``ChanSpyStart``/``ChanSpyStop`` are published as
the spying begins and ends.
"""

from __future__ import annotations

import logging
from array import array
from typing import TYPE_CHECKING, NamedTuple

from ...media import g711
from ..channel import ChannelState
from ..engine import wait, wait_for_hangup
from ..flag import wait_any
from ..media import FRAME_SAMPLES, FRAME_SECONDS, READ, Frame
from . import application, split_args

if TYPE_CHECKING:
    from ..channel import Channel, ChannelSnapshot

log = logging.getLogger("pbxd.dialplan")

SCAN_INTERVAL = 0.1  # seconds between looks for a channel to spy on
MAX_BUFFERED = 8000  # samples (1 s) a direction may run ahead before the oldest are dropped


class ChanSpyStarted(NamedTuple):
    spyer: ChannelSnapshot
    spyee: ChannelSnapshot


class ChanSpyStopped(NamedTuple):
    spyer: ChannelSnapshot
    spyee: ChannelSnapshot | None


class Listener:
    """The tap on the spied channel: its two directions, buffered as 16-bit samples."""

    def __init__(self) -> None:
        self.buffers = {READ: array("h"), "write": array("h")}

    def __call__(self, direction: str, frame: Frame) -> None:
        buffer = self.buffers[direction]
        buffer.frombytes(frame.pcm())
        if len(buffer) > MAX_BUFFERED:
            del buffer[: len(buffer) - MAX_BUFFERED]

    def mix(self) -> bytes:
        """The next 20 ms: both directions added (clipped), silence where nothing came."""
        out = array("h", bytes(2 * FRAME_SAMPLES))
        for buffer in self.buffers.values():
            take = min(len(buffer), FRAME_SAMPLES)
            for i in range(take):
                total = out[i] + buffer[i]
                out[i] = 32767 if total > 32767 else -32768 if total < -32768 else total
            del buffer[:take]
        return out.tobytes()


def choose(spy: Channel, prefix: str, bridged_only: bool) -> Channel | None:
    """The first channel (by name) with media whose name starts with ``prefix``."""
    lowered = prefix.lower()
    for channel in sorted(spy.pbx.channels.values(), key=lambda c: c.name):
        if (
            channel is not spy
            and channel.media is not None
            and not channel.gone
            and not channel.hangup_requested
            and channel.name.lower().startswith(lowered)
            and (channel.bridge_id or not bridged_only)
        ):
            return channel
    return None


@application(
    "ChanSpy",
    "Listen to a channel, and optionally whisper into it.",
    "ChanSpy([chanprefix][,options])",
    "Listens to the audio of the first channel whose name starts with chanprefix (both "
    "directions mixed), then the next one, until the spy hangs up. Options: b (only "
    "channels in a bridge), E (end when the spied channel hangs up).",
)
async def chanspy(spy: Channel, data: str) -> None:
    args = split_args(data) + [""]
    prefix, options = args[0].strip(), args[1]
    port = spy.media
    if spy.state != ChannelState.UP:
        spy.set_state(ChannelState.UP)
    if port is None:
        log.warning("ChanSpy: %s has no audio to hear a channel with", spy.name)
        await wait_for_hangup(spy)
        return
    while not spy.hangup_requested:
        target = choose(spy, prefix, "b" in options)
        if target is None:
            if not await wait(spy, SCAN_INTERVAL):
                return
            continue
        await _spy_on(spy, target)
        if "E" in options:
            return


async def _spy_on(spy: Channel, target: Channel) -> None:
    port, spied = spy.media, target.media
    assert port is not None and spied is not None
    listener = Listener()
    spied.add_tap(listener)
    log.info("Spying on channel %s", target.name)
    spy.publish(ChanSpyStarted(spy.snapshot(), target.snapshot()))
    clock = spy.pbx.clock
    start, ticks = clock(), 0
    try:
        while not spy.hangup_requested and not target.gone and not target.hangup_requested:
            port.write(Frame(port.codec, g711.encode(port.codec, listener.mix())))
            ticks += 1
            delay = start + ticks * FRAME_SECONDS - clock()
            if delay > 0:
                await wait_any((spy.hung_up, target.hung_up), delay, clock)
    finally:
        spied.remove_tap(listener)
        spy.publish(ChanSpyStopped(spy.snapshot(), None if target.gone else target.snapshot()))
