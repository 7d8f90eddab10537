"""Finding the channel an action names, with Asterisk's error texts."""

from __future__ import annotations

from ...pbx.channel import Channel
from ..response import ActionError
from ..session import Session

NO_CHANNEL = "No channel specified"
NO_SUCH_CHANNEL = "No such channel"


def required_channel(
    session: Session, name: str, missing: str = NO_CHANNEL, unknown: str = NO_SUCH_CHANNEL
) -> Channel:
    """The live channel called ``name`` (or with that Uniqueid); else the action's error."""
    if not name:
        raise ActionError(missing)
    channel = session.manager.pbx.find_channel(name)
    if channel is None or channel.gone:
        raise ActionError(unknown)
    return channel


def channel_by_prefix(session: Session, name: str) -> Channel | None:
    """A channel by exact name, Uniqueid, or unique name prefix (as Asterisk looks it up)."""
    pbx = session.manager.pbx
    channel = pbx.find_channel(name)
    if channel is None:
        matches = [c for c in pbx.channels.values() if c.name.startswith(name)]
        channel = matches[0] if len(matches) == 1 else None
    return channel
