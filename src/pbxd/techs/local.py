"""Local channels: a pair of channels (;1 and ;2) that loops a call back into the dialplan.

``Local/exten@context`` gives ;1 to whoever asked for it; calling it starts the dialplan at
exten@context on ;2. An answer on ;2 answers ;1; a hangup on either side hangs up the other.
Once both halves are in two-party bridges the pair optimizes itself away, as Asterisk's
does: the party bridged with ;2 takes ;1's place and both halves hang up
(LocalOptimizationBegin/End). ``/n`` keeps the pair in the call. A pair bridged with
channels that carry audio passes it through (``provide_media``) while it is there;
otherwise it has no media at all.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ..pbx import causes
from ..pbx.channel import NOBODY, Channel, ChannelState, Party
from ..pbx.engine import run_dialplan
from ..pbx.events import BridgeEntered, ConnectedLineChanged, LocalBridge
from ..pbx.flag import Flag, wait_any
from ..pbx.media import PassThrough
from ..pbx.technology import ChannelUnavailable

if TYPE_CHECKING:
    from ..pbx.channel import ChannelSnapshot
    from ..pbx.core import PBX


class LocalPair:
    """The driver of both halves."""

    def __init__(self, one: Channel, two: Channel, context: str, exten: str, keep: bool) -> None:
        self.one, self.two = one, two
        self.context, self.exten = context, exten
        self.keep = keep
        self.optimized = False
        self.answered = Flag()
        self.task: asyncio.Task[None] | None = None
        #: called when the pair stops being in use (its first half is destroyed)
        self.on_ended: Callable[[LocalPair], None] | None = None

    def state_changed(self, channel: Channel) -> None:
        if channel is self.two and channel.state == ChannelState.UP:
            self.one.set_state(ChannelState.UP)
            self.answered.set()
        elif channel is self.two and channel.state == ChannelState.RINGING:
            self.one.set_state(ChannelState.RINGING)
        elif (
            channel is self.one
            and channel.state == ChannelState.UP
            and self.two.state != ChannelState.UP
        ):
            self.two.set_state(ChannelState.UP)

    def hangup_requested(self, channel: Channel) -> None:
        self.answered.set()  # a ringing ;1 stops waiting

    def provide_media(self) -> None:
        """A half is bridged with a channel that has media: both halves pass audio through
        to each other, and a bridge the other half is already in is wired again."""
        if self.one.media is not None:
            return
        one, two = PassThrough(self.one), PassThrough(self.two)
        one.partner, two.partner = two, one
        self.one.media, self.two.media = one, two
        for half in (self.one, self.two):
            bridge = half.pbx.bridges.get(half.bridge_id)
            if bridge is not None:
                bridge.wire_media()

    def destroyed(self, channel: Channel) -> None:
        """One half is gone: the other gets a hangup queued with its cause (often 0)."""
        other = self.two if channel is self.one else self.one
        if not other.gone:
            if self.on_ended is not None:
                self.on_ended(self)
            other.queue_hangup(channel.hangup_cause)


class LocalTechnology:
    name = "Local"
    #: Local channels set AST_FLAG_DISABLE_DEVSTATE_CACHE: every change is announced
    uncached_device_state = True

    def __init__(self, pbx: PBX) -> None:
        self.pbx = pbx
        self._sequence = itertools.count(1)
        self._optimizations = itertools.count(0)
        #: pairs in use by "exten@context": their dialplan side started and both halves are
        #: still there (chan_local's owner plus caretaker thread)
        self._in_use: dict[str, set[LocalPair]] = {}
        self._targets: dict[str, bool] = {}  # "exten@context" exists? (for one dialplan)
        self._targets_of: tuple[object, int] | None = None
        pbx.bus.subscribe(self._bridged, (BridgeEntered,))

    def _bridged(self, event: BridgeEntered) -> None:
        """A Local half entered a bridge: once both halves are bridged, optimize (soon, so
        whatever bridged it finishes first)."""
        if not event.channel.name.startswith("Local/"):
            return
        channel = self.pbx.channels.get(event.channel.name)
        pair = channel.driver if channel is not None else None
        if isinstance(pair, LocalPair) and not pair.keep and not pair.optimized:
            asyncio.get_running_loop().call_soon(self._optimize, pair)

    def _optimize(self, pair: LocalPair) -> None:
        one, two = pair.one, pair.two
        bridges = self.pbx.bridges
        dest, source_bridge = bridges.get(one.bridge_id), bridges.get(two.bridge_id)
        if pair.optimized or dest is None or source_bridge is None or dest is source_bridge:
            return
        if any(
            len(b.channels) != 2 or b.type != "basic" or not b.dissolves
            for b in (dest, source_bridge)
        ):
            return
        source = source_bridge.peer(two)
        if source is None or one.hangup_requested or two.hangup_requested:
            return
        pair.optimized = True
        number = next(self._optimizations)
        self.pbx.bus.publish(
            LocalOptimizationBegan(
                one.snapshot(), two.snapshot(), source.snapshot(), one.uniqueid, number
            )
        )
        dest.join(source, swap=one.uniqueid)  # it leaves ;2's bridge without dissolving it
        dest.leave(one, dissolve=False)
        self.pbx.bus.publish(LocalOptimizationEnded(one.snapshot(), two.snapshot(), True, number))
        for half in (one, two):
            half.request_hangup(causes.NORMAL_CLEARING)

    def device_state(self, resource: str) -> str:
        """``Local/exten@context``: INVALID without the extension, INUSE while a call
        to it runs, else NOT_INUSE."""
        exten, _, context = resource.partition("/")[0].partition("@")
        target = f"{exten}@{context or 'default'}"
        if not self._exists(target, exten, context or "default"):
            return "INVALID"
        return "INUSE" if self._in_use.get(target) else "NOT_INUSE"

    def _exists(self, target: str, exten: str, context: str) -> bool:
        """Whether the dialplan has exten@context, remembered until the dialplan changes
        (a device state is worked out at every state change of every Local channel)."""
        dialplan = self.pbx.dialplan
        if dialplan is None:
            return False
        seen = self._targets_of
        if (
            seen is None
            or seen[0] is not dialplan
            or seen[1] != dialplan.generation
            or len(self._targets) > 4096
        ):
            self._targets, self._targets_of = {}, (dialplan, dialplan.generation)
        found = self._targets.get(target)
        if found is None:
            found = self._targets[target] = dialplan.exists(context, exten)
        return found

    def _ended(self, pair: LocalPair) -> None:
        key = f"{pair.exten}@{pair.context}"
        pairs = self._in_use.get(key)
        if pairs is not None:
            pairs.discard(pair)
            if not pairs:
                del self._in_use[key]

    def request(self, resource: str, requestor: Channel | None, caller: Party) -> Channel:
        target, _, options = resource.partition("/")
        exten, _, context = target.partition("@")
        context = context or "default"
        if not exten:
            raise ChannelUnavailable(
                f"Local channel '{resource}' has no extension", causes.UNALLOCATED
            )
        base = f"Local/{exten}@{context}-{next(self._sequence):08x}"
        pbx = self.pbx
        one = Channel(
            pbx, base + ";1", "Local", context=context, exten=exten, caller=caller, parent=requestor
        )
        two = Channel(
            pbx,
            base + ";2",
            "Local",
            context=context,
            exten=exten,
            state=ChannelState.RING,
            linkedid=one.linkedid,
            caller=caller,
            parent=requestor,
        )
        pair = LocalPair(one, two, context, exten, "n" in options)
        one.driver = two.driver = pair
        pair.on_ended = self._ended
        pbx.add_channel(one)
        pbx.add_channel(two)
        return one

    async def call(self, channel: Channel, timeout: float) -> str:
        self.place(channel)
        return await self.answered(channel, timeout)

    def place(self, channel: Channel) -> None:
        """Start the call at once: ;2 takes ;1's variables and caller, LocalBridge is
        announced and ;2's dialplan starts."""
        pair = channel.driver
        assert isinstance(pair, LocalPair)
        two = pair.two
        for key, value in list(channel.variables.items()):
            two.set_variable(key, value)
        # ;2 calls with ;1's connected line as its caller ID, and is connected to ;1's caller.
        connected_changed = channel.caller != NOBODY and two.connected != channel.caller
        if connected_changed:
            two.connected = channel.caller
        if channel.connected != NOBODY:
            two.set_caller(channel.connected.number, channel.connected.name)
        if connected_changed:
            two.publish(ConnectedLineChanged(two.snapshot()))
        channel.publish(
            LocalBridge(channel.snapshot(), two.snapshot(), pair.context, pair.exten, not pair.keep)
        )
        pair.task = asyncio.ensure_future(run_dialplan(two))
        self._in_use.setdefault(f"{pair.exten}@{pair.context}", set()).add(pair)

    async def answered(self, channel: Channel, timeout: float) -> str:
        """After :meth:`place`: the DIALSTATUS once ;2 answers, fails or ``timeout`` passes."""
        pair = channel.driver
        assert isinstance(pair, LocalPair)
        two = pair.two
        await wait_any((pair.answered,), timeout, self.pbx.clock)
        if channel.state == ChannelState.UP:
            return "ANSWER"
        if two.hangup_requested or channel.hangup_requested:
            cause = two.hangup_cause
            return {causes.USER_BUSY: "BUSY", causes.CONGESTION: "CONGESTION"}.get(
                cause,
                "NOANSWER"
                if cause in (causes.NO_ANSWER, causes.NORMAL_CLEARING)
                else "CHANUNAVAIL",
            )
        return "NOANSWER"


class LocalOptimizationBegan(NamedTuple):
    """A Local pair started to take itself out of the call: ``source`` moves into the bridge
    of the half ``dest_uniqueid`` names."""

    one: ChannelSnapshot
    two: ChannelSnapshot
    source: ChannelSnapshot | None
    dest_uniqueid: str
    id: int


class LocalOptimizationEnded(NamedTuple):
    one: ChannelSnapshot
    two: ChannelSnapshot
    success: bool
    id: int
