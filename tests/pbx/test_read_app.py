"""Read on channels without media: nothing can be pressed, so it times out (or skips)."""

from __future__ import annotations

import asyncio

from pbxd.pbx.applications import APPLICATIONS
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX


def run_read(data: str, state: ChannelState) -> tuple[Channel, float]:
    async def main() -> tuple[Channel, float]:
        clock = VirtualClock()
        pbx = PBX(clock)
        channel = Channel(pbx, "Local/1@x-00000001;2", "Local", state=state)
        app = APPLICATIONS.get("Read")
        assert app is not None
        started = clock()
        task = asyncio.ensure_future(app.handler(channel, data))
        await clock.advance(60)
        await task
        return channel, clock() - started

    return asyncio.run(asyncio.wait_for(main(), 10))


def test_read_times_out_per_attempt() -> None:
    channel, _ = run_read("PIN,,4,,2,3", ChannelState.RING)
    assert channel.get_variable("PIN") == ""
    assert channel.get_variable("READSTATUS") == "TIMEOUT"
    assert channel.state == ChannelState.UP  # answered first


def test_read_skips_a_channel_not_up() -> None:
    channel, _ = run_read("PIN,,4,s", ChannelState.RING)
    assert channel.get_variable("READSTATUS") == "SKIPPED"
    assert channel.state == ChannelState.RING


def test_read_needs_a_variable() -> None:
    channel, _ = run_read(",beep", ChannelState.UP)
    assert channel.get_variable("READSTATUS") == "ERROR"
