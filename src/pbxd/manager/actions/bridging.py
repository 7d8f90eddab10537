"""Putting channels together and moving them: Bridge, BlindTransfer, Atxfer, CancelAtxfer."""

from __future__ import annotations

from ...pbx import causes
from ...pbx.bridge import Bridge, stay_in
from ...pbx.channel import Channel
from ...pbx.engine import goto
from ...pbx.features import blind_transfer as announce_blind_transfer
from ...pbx.features import features_of, receive_dtmf
from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, success
from ..session import Session
from .lookup import channel_by_prefix


@action(
    "Bridge",
    Privilege.CALL,
    "Bridge two channels already in the PBX.",
    description="Bridge together two channels already in the PBX.",
    arguments=(
        Argument("Channel1", "Channel to Bridge to Channel2.", True),
        Argument("Channel2", "Channel to Bridge to Channel1.", True),
        Argument("Tone", "Play courtesy tone to Channel 2: no, Channel1, Channel2, Both."),
    ),
    since="1.6.0",
)
def bridge(session: Session, message: Message) -> Response:
    name1, name2 = message.get("channel1"), message.get("channel2")
    if not (name1 and name2):
        return error("Missing channel parameter in request")
    one = channel_by_prefix(session, name1)
    if one is None:
        return error(f"Channel1 does not exist: {name1}")
    two = channel_by_prefix(session, name2)
    if two is None:
        return error(f"Channel2 does not exist: {name2}")
    if one is two:
        return error("Unable to bridge a channel to itself")
    target = Bridge(session.manager.pbx)
    for channel in (one, two):
        channel.divert(lambda ch: stay_in(target, ch))
    return success("Channels have been bridged")


@action(
    "BlindTransfer",
    Privilege.CALL,
    "Blind transfer channel(s) to the given destination",
    description="Redirect all channels currently bridged to the specified channel to the "
    "specified destination.",
    arguments=(
        Argument("Channel", "The channel whose bridged peers are transferred.", True),
        Argument("Context", "The context to transfer to."),
        Argument("Exten", "The extension to transfer to.", True),
    ),
    since="12.0.0",
)
def blind_transfer(session: Session, message: Message) -> Response:
    name, exten = message.get("channel"), message.get("exten")
    if not name:
        return error("No channel specified")
    if not exten:
        return error("No extension specified")
    channel = session.manager.pbx.find_channel(name)
    if channel is None:
        return error("Channel specified does not exist")
    current = session.manager.pbx.bridges.get(channel.bridge_id)
    peers = [c for c in current.channels if c is not channel] if current is not None else []
    if not peers:
        return error("Transfer invalid")
    context = message.get("context") or channel.context
    dialplan = session.manager.pbx.dialplan
    if dialplan is None or not dialplan.exists(context, exten, 1, peers[0].caller.number):
        return error("Transfer failed")
    for peer in peers:
        goto(peer, context, exten, 1)
        peer.redirect()
    assert current is not None
    announce_blind_transfer(channel, current, context, exten, external=True)
    channel.request_hangup(causes.NORMAL_CLEARING)
    return success("Transfer succeeded")


def _queue_digits(session: Session, channel: Channel, digits: str) -> None:
    """The digits reach the channel as if it dialed them, after the action's response."""

    def deliver() -> None:
        for digit in digits:
            if not channel.gone:
                receive_dtmf(channel, digit)

    session.manager.loop.call_soon(deliver)


@action(
    "Atxfer",
    Privilege.CALL,
    "Attended transfer.",
    description="Attended transfer.",
    arguments=(
        Argument("Channel", "Transferer's channel.", True),
        Argument("Exten", "Extension to transfer to.", True),
        Argument("Context", "Context to transfer to."),
    ),
    since="1.6.0",
)
def atxfer(session: Session, message: Message) -> Response:
    name, exten, context = message.get("channel"), message.get("exten"), message.get("context")
    if not name:
        return error("No channel specified")
    if not exten:
        return error("No extension specified")
    channel = session.manager.pbx.find_channel(name)
    if channel is None or channel.gone:
        return error("Channel specified does not exist")
    code = features_of(session.manager.pbx).config.atxfer
    if not code:
        return error("No attended transfer feature code found")
    if context:
        channel.set_variable("TRANSFER_CONTEXT", context)
    _queue_digits(session, channel, code + exten)
    return success("Atxfer successfully queued")


@action(
    "CancelAtxfer",
    Privilege.CALL,
    "Cancel an attended transfer.",
    description="Cancel an attended transfer. Note, this uses the configured cancel attended "
    "transfer feature option (atxferabort) to cancel the transfer. If not available this "
    "action will fail.",
    arguments=(Argument("Channel", "The transferer channel's name", True),),
    since="17.0.0",
)
def cancel_atxfer(session: Session, message: Message) -> Response:
    name = message.get("channel")
    if not name:
        return error("No channel specified")
    channel = session.manager.pbx.find_channel(name)
    if channel is None or channel.gone:
        return error("Channel specified does not exist")
    code = features_of(session.manager.pbx).config.atxferabort
    if not code:
        return error("No disconnect feature code found")
    _queue_digits(session, channel, code)
    return success("CancelAtxfer successfully queued")
