"""Attended transfer, as Asterisk's basic bridge does it.

The transferer's bridge (the transferee's, say the one Dial made) is held together while the
transferer is moved into a new bridge with a call to exten@context. From there:

- the target answers, then the transferer hangs up (or dials ``atxfercomplete``): the target's
  bridge merges into the transferee's, the transferer is kicked out (DestType ``Bridge``);
- the transferer hangs up while the target still rings: the same merge at once (a "blond"
  transfer), the target rings on in the transferee's bridge;
- the target does not answer in ``atxfernoanswertimeout`` seconds, hangs up, or the
  transferer dials ``atxferabort``: the transferer goes back to the transferee;
- ``atxferthreeway``: all three in the transferee's bridge (DestType ``Threeway``);
- ``atxferswap``: the transferer goes back and forth between the two;
- the transferee hangs up: the transfer fails (the transferer stays with the target once it
  answered).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from typing import TYPE_CHECKING

from . import causes
from .bridge import Bridge, run_imparted
from .channel import NOBODY
from .flag import Flag, wait_any
from .technology import ChannelUnavailable
from .transfer_events import AttendedTransferred, Held, Unheld

if TYPE_CHECKING:
    from .channel import Channel
    from .features import FeatureConfig

log = logging.getLogger("pbxd.features")


class Stimulus(enum.Enum):
    TRANSFEREE_HANGUP = "Transferee Hangup"
    TRANSFERER_HANGUP = "Transferer Hangup"
    TARGET_HANGUP = "Transfer Target Hangup"
    TARGET_ANSWER = "Transfer Target Answer"
    TIMEOUT = "Timeout"
    ABORT = "DTMF Abort"
    COMPLETE = "DTMF Complete"
    THREEWAY = "DTMF Threeway"
    SWAP = "DTMF Swap"


def transfer_context(channel: Channel, context: str = "") -> str:
    """Where the transfer extension is looked up: the given context, ``TRANSFER_CONTEXT``,
    the channel's own context, else ``default``."""
    return context or channel.get_variable("TRANSFER_CONTEXT") or channel.context or "default"


class AttendedTransfer:
    """One attended transfer started by ``transferer`` from ``bridge``."""

    def __init__(
        self, transferer: Channel, bridge: Bridge, exten: str, context: str, config: FeatureConfig
    ) -> None:
        self.pbx = transferer.pbx
        self.transferer = transferer
        self.bridge = bridge
        self.exten, self.context = exten, context
        self.config = config
        self.transferees = [c for c in bridge.channels if c is not transferer]
        self.target: Channel | None = None
        self.target_bridge: Bridge | None = None
        self.answered = Flag()
        self.poked = Flag()  # a DTMF stimulus arrived
        self._stimuli: list[Stimulus] = []
        self._target_status = ""

    def stimulate(self, stimulus: Stimulus) -> None:
        """A transfer code the transferer dialed (abort, complete, threeway, swap)."""
        self._stimuli.append(stimulus)
        self.poked.set()

    async def run(self) -> None:
        target = self._dial_target()
        if target is None:
            self.transferer.publish(Unheld(self.transferer.snapshot()))
            return
        self.target = target
        self.target_bridge = Bridge(self.pbx)
        self.bridge.dissolves = self.target_bridge.dissolves = False
        call = asyncio.ensure_future(
            self.pbx.technologies["local"].call(target, self.config.atxfernoanswertimeout)
        )
        call.add_done_callback(self._called)
        self.target_bridge.join(target)
        asyncio.ensure_future(run_imparted(target))
        self.target_bridge.join(self.transferer)  # the move: the transferee's bridge holds
        await self._calling_target()

    def _dial_target(self) -> Channel | None:
        transferer = self.transferer
        technology = self.pbx.technologies.get("local")
        if technology is None:
            return None
        try:
            target = technology.request(f"{self.exten}@{self.context}", transferer, NOBODY)
        except ChannelUnavailable as exc:
            log.error(
                "Channel %s: Unable to request outbound channel for attended transfer target (%s).",
                transferer.name,
                exc,
            )
            return None
        target.set_variable("TRANSFERERNAME", transferer.name)
        target.set_variable("ATTENDEDTRANSFER", transferer.name)
        target.set_connected(transferer.caller.number, transferer.caller.name)
        return target

    def _called(self, call: asyncio.Future[str]) -> None:
        """The call to the target ended ringing; unanswered, it is hung up (wherever it is)."""
        self._target_status = "CANCEL" if call.cancelled() else call.result()
        self.answered.set()
        target = self.target
        if self._target_status != "ANSWER" and target is not None and not target.hangup_requested:
            target.request_hangup(causes.NO_ANSWER)

    async def _next(self, ringing: bool) -> Stimulus:
        """Wait for what happens next to the parties, or a transfer code."""
        assert self.target is not None
        while True:
            if self._stimuli:
                return self._stimuli.pop(0)
            if self.transferer.hangup_requested:
                return Stimulus.TRANSFERER_HANGUP
            if all(c.hangup_requested for c in self.transferees):
                return Stimulus.TRANSFEREE_HANGUP
            if ringing and self.answered.is_set():
                if self._target_status == "ANSWER":
                    return Stimulus.TARGET_ANSWER
                return (
                    Stimulus.TIMEOUT
                    if self._target_status == "NOANSWER"
                    else (Stimulus.TARGET_HANGUP)
                )
            if self.target.hangup_requested:
                return Stimulus.TARGET_HANGUP
            self.poked.clear()
            flags = [self.poked, self.transferer.hung_up, self.target.hung_up]
            flags += [c.hung_up for c in self.transferees]
            if ringing:
                flags.append(self.answered)
            await wait_any(flags)

    async def _calling_target(self) -> None:
        ringing, consulting_with = True, "target"  # who the transferer talks to
        while True:
            stimulus = await self._next(ringing)
            log.debug("attended transfer by %s: %s", self.transferer.name, stimulus.value)
            if stimulus is Stimulus.TARGET_ANSWER:
                ringing = False
            elif stimulus is Stimulus.TRANSFEREE_HANGUP:
                self._fail(announce=ringing or consulting_with == "transferee")
                return
            elif stimulus in (Stimulus.TRANSFERER_HANGUP, Stimulus.COMPLETE):
                self._complete()
                return
            elif stimulus is Stimulus.THREEWAY:
                self._threeway()
                return
            elif stimulus in (Stimulus.TARGET_HANGUP, Stimulus.TIMEOUT, Stimulus.ABORT):
                self._rebridge()
                return
            elif stimulus is Stimulus.SWAP:
                consulting_with = self._swap(consulting_with)

    def _swap(self, consulting_with: str) -> str:
        assert self.target_bridge is not None
        transferer = self.transferer
        if consulting_with == "target":
            self.bridge.join(transferer)
            transferer.publish(Unheld(transferer.snapshot()))
            return "transferee"
        transferer.publish(Held(transferer.snapshot()))
        self.target_bridge.join(transferer)
        return "target"

    def _publish(self, result: str, dest_type: str, dest_transferer: str = "") -> None:
        assert self.target_bridge is not None and self.target is not None
        transferer = self.transferer.snapshot()
        transferee = self.transferees[0].snapshot() if len(self.transferees) == 1 else None
        self.transferer.pbx.bus.publish(
            AttendedTransferred(
                result,
                transferer,
                self.bridge.snapshot(),
                transferer,
                self.target_bridge.snapshot(),
                transferee,
                self.target.snapshot(),
                dest_type,
                self.bridge.uniqueid if dest_type != "Fail" else "",
                dest_transferer,
            )
        )

    def _complete(self) -> None:
        """The target's bridge merges into the transferee's; the transferer is kicked out."""
        assert self.target_bridge is not None
        self.bridge.dissolves = True
        self.target_bridge.merge_into(self.bridge, kick=(self.transferer,))
        self._publish("Success", "Bridge")
        self.target_bridge.destroy()

    def _threeway(self) -> None:
        assert self.target_bridge is not None
        self.bridge.dissolves = True
        self.target_bridge.merge_into(self.bridge)
        self._publish("Success", "Threeway", self.transferer.name)
        self.target_bridge.destroy()

    def _rebridge(self) -> None:
        """The transferer goes back to the transferee; the call to the target ends."""
        assert self.target_bridge is not None and self.target is not None
        transferer = self.transferer
        if transferer.bridge_id != self.bridge.uniqueid:
            self.bridge.join(transferer)
            transferer.publish(Unheld(transferer.snapshot()))
        self.bridge.dissolves = True
        if not self.target.hangup_requested:
            self.target.request_hangup(causes.NORMAL_CLEARING)
        self.target_bridge.destroy()

    def _fail(self, announce: bool) -> None:
        """The transferee hung up. While the target still rang (or the transferer was back
        with the transferee) the transfer fails and ends; once the target answered, the
        transferer and the target stay together."""
        assert self.target_bridge is not None and self.target is not None
        if announce:
            self._publish("Fail", "Fail")
            self.target_bridge.destroy()
            if not self.target.hangup_requested:
                self.target.request_hangup(causes.NORMAL_CLEARING)
        else:
            self.target_bridge.dissolves = True
            if len(self.target_bridge.channels) < 2:
                self.target_bridge.dissolve()
        self.bridge.destroy()
