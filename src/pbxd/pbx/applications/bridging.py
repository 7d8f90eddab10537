"""Bridge: join the running channel with another channel already in the PBX."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from .. import causes
from ..bridge import Bridge, stay_bridged, stay_in
from ..channel import ChannelState
from ..engine import goto
from ..features import features_of
from . import application, split_args
from .dial import DialOptions

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.dialplan")


def _find(channel: Channel, name: str) -> Channel | None:
    """By exact name or Uniqueid, else the first channel whose name starts with ``name``."""
    pbx = channel.pbx
    found = pbx.find_channel(name)
    if found is None:
        found = next((c for c in pbx.channels.values() if c.name.startswith(name)), None)
    return found if found is not None and not found.gone else None


@application(
    "Bridge",
    "Bridge two channels.",
    "Bridge(channel[,options])",
)
async def bridge(channel: Channel, data: str) -> None:
    args = split_args(data)
    if not args[0].strip():
        log.warning("Bridge require at least 1 argument specifying the other end of the conference")
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    name = args[0].strip()
    options_text = args[1] if len(args) > 1 else ""
    peer = _find(channel, name)
    if peer is None:
        log.warning("Bridge failed because channel %s does not exist", name)
        channel.set_variable("BRIDGERESULT", "NONEXISTENT")
        return
    if peer is channel:
        log.warning("Unable to bridge channel %s with itself", channel.name)
        channel.set_variable("BRIDGERESULT", "LOOP")
        return
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.UP)
    options = DialOptions.parse(options_text)
    features = features_of(channel.pbx)
    features.allow(channel, options.caller_features)
    features.allow(peer, options.callee_features)
    after = _after_bridge(options_text)
    target = Bridge(channel.pbx)

    async def join_peer(joined: Channel) -> None:
        await stay_in(target, joined)
        if joined.hangup_requested:
            return
        if after == "hangup":
            joined.request_hangup(causes.NORMAL_CLEARING)
        elif after is not None:
            context, exten, priority = after
            goto(joined, context, exten, priority or 1)

    peer.divert(join_peer)
    channel.set_variable("BRIDGERESULT", "SUCCESS")
    target.join(channel)
    timer = None
    if options.limit:
        timer = channel.pbx.clock.call_later(options.limit, target.dissolve)
    try:
        await stay_bridged(channel)
    finally:
        if timer is not None:
            timer.cancel()


def _after_bridge(options: str) -> str | tuple[str, str, str] | None:
    """Where the other channel goes after the bridge: ``x`` hangs it up, ``F(ctx^exten^pri)``
    sends it there; otherwise it carries on where it was."""
    if "x" in re.sub(r"\([^)]*\)", "", options):
        return "hangup"
    start = options.find("F(")
    if start < 0:
        return None
    place = options[start + 2 :].split(")")[0]
    parts = (place.split("^") + ["", "", ""])[:3]
    return parts[0], parts[1], parts[2]
