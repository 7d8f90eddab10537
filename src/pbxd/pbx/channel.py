"""Channels: the state machine, identities, caller ID, variables, and the hangup flag.

A channel never formats AMI: every change it goes through is published on the PBX bus as
an immutable event carrying a ``ChannelSnapshot``.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from . import causes
from .events import (
    AccountCodeChanged,
    CallerIdChanged,
    ConnectedLineChanged,
    HangupRequested,
    NewState,
    Progressed,
    VarSet,
)
from .flag import Flag

if TYPE_CHECKING:
    from .core import PBX
    from .media import MediaPort


#: Soft hangup reason flags, as Asterisk numbers them; the ``Cause`` of ``SoftHangupRequest``.
SOFTHANGUP_DEV = 1
SOFTHANGUP_TIMEOUT = 8
SOFTHANGUP_APPUNLOAD = 16  # the dialplan run on the channel has ended
SOFTHANGUP_EXPLICIT = 32


class ChannelState(enum.IntEnum):
    DOWN = 0
    RESERVED = 1
    OFFHOOK = 2
    DIALING = 3
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7
    DIALING_OFFHOOK = 8
    PRERING = 9

    @property
    def description(self) -> str:
        return _STATE_TEXT[self]


_STATE_TEXT = {
    ChannelState.DOWN: "Down",
    ChannelState.RESERVED: "Rsrvd",
    ChannelState.OFFHOOK: "OffHook",
    ChannelState.DIALING: "Dialing",
    ChannelState.RING: "Ring",
    ChannelState.RINGING: "Ringing",
    ChannelState.UP: "Up",
    ChannelState.BUSY: "Busy",
    ChannelState.DIALING_OFFHOOK: "Dialing Offhook",
    ChannelState.PRERING: "Pre-ring",
}


class Party(NamedTuple):
    """A caller ID or connected line: empty strings where unknown."""

    number: str = ""
    name: str = ""


NOBODY = Party()


class ChannelSnapshot(NamedTuple):
    """A channel as it was when an event happened."""

    name: str
    state: ChannelState
    caller: Party
    connected: Party
    language: str
    accountcode: str
    context: str
    exten: str
    priority: int
    uniqueid: str
    linkedid: str
    application: str
    data: str
    created: float
    bridge_id: str


_new_snapshot = tuple.__new__


class Channel:
    """One leg of a call. Its technology (``tech``) moves media and signalling."""

    media: MediaPort | None = None  # the channel's audio, when its technology carries any

    def __init__(
        self,
        pbx: PBX,
        name: str,
        tech: str,
        *,
        context: str = "default",
        exten: str = "s",
        priority: int = 1,
        state: ChannelState = ChannelState.DOWN,
        linkedid: str | None = None,
        language: str = "en",
        accountcode: str = "",
        caller: Party = NOBODY,
        parent: Channel | None = None,
    ) -> None:
        self.pbx = pbx
        self.name = name
        self.tech = tech
        self.uniqueid = pbx.new_uniqueid()
        self.linkedid = linkedid or (parent.linkedid if parent else self.uniqueid)
        self.context, self.exten, self.priority = context, exten, priority
        self.state = state
        self.caller = caller
        self.connected = Party()
        self.language = language
        self.accountcode = accountcode or (parent.accountcode if parent else "")
        self.variables: dict[str, str] = {}
        self.application = ""
        self.data = ""
        self.created = pbx.clock()
        self.answered_at: float | None = None
        self.bridge_id = ""
        self.hangup_cause = causes.UNKNOWN
        self.hung_up = Flag()  # set when a hangup is requested
        self.gone = False  # destroyed: no more events
        self.absolute_timeout: object | None = None
        self.jumped = False  # set by a Goto-like application: the engine does not step on
        self.interrupted = Flag()  # set by a redirect: the running application ends
        self.diversion: Callable[[Channel], Awaitable[None]] | None = None
        self.driver: ChannelDriver | None = None  # the technology side of this channel
        if parent is not None:
            self.inherit_from(parent)

    # -- snapshots and events ------------------------------------------------------------

    def snapshot(self) -> ChannelSnapshot:
        # tuple.__new__ directly: the NamedTuple's generated __new__ is one Python call more
        return _new_snapshot(
            ChannelSnapshot,
            (
                self.name,
                self.state,
                self.caller,
                self.connected,
                self.language,
                self.accountcode,
                self.context,
                self.exten,
                self.priority,
                self.uniqueid,
                self.linkedid,
                self.application,
                self.data,
                self.created,
                self.bridge_id,
            ),
        )

    def publish(self, event: object) -> None:
        if not self.gone:
            self.pbx.bus.publish(event)

    # -- state ---------------------------------------------------------------------------

    def set_state(self, state: ChannelState) -> None:
        if state == self.state:
            return
        self.state = state
        if state == ChannelState.UP and self.answered_at is None:
            self.answered_at = self.pbx.clock()
        self.publish(NewState(self.snapshot()))
        if not self.gone:
            self.pbx.devices.channel_changed(self)
        if self.driver is not None:
            self.driver.state_changed(self)

    @property
    def up(self) -> bool:
        return self.state == ChannelState.UP

    def progress(self) -> None:
        """Indicate progress before answering (Asterisk's AST_CONTROL_PROGRESS): early media
        may flow. A technology that signals it (SIP: 183 with SDP) has a ``progress`` hook."""
        if self.state == ChannelState.UP or self.gone or self.hangup_requested:
            return
        self.publish(Progressed(self.snapshot()))
        indicate = getattr(self.driver, "progress", None)
        if indicate is not None:
            indicate(self)

    # -- identities ----------------------------------------------------------------------

    def set_caller(self, number: str | None = None, name: str | None = None) -> None:
        party = Party(
            self.caller.number if number is None else number,
            self.caller.name if name is None else name,
        )
        if party != self.caller:
            self.caller = party
            self.publish(CallerIdChanged(self.snapshot()))

    def set_connected(self, number: str | None = None, name: str | None = None) -> None:
        party = Party(
            self.connected.number if number is None else number,
            self.connected.name if name is None else name,
        )
        if party != self.connected:
            self.connected = party
            self.publish(ConnectedLineChanged(self.snapshot()))

    def set_language(self, language: str) -> None:
        self.language = language

    def set_accountcode(self, code: str) -> None:
        if code != self.accountcode:
            old, self.accountcode = self.accountcode, code
            self.publish(AccountCodeChanged(self.snapshot(), old))

    # -- variables -----------------------------------------------------------------------

    def get_variable(self, name: str) -> str | None:
        """A channel variable (``_``/``__`` inheritance prefixes ignored), else None."""
        value = self.variables.get(name)
        if value is None:
            for prefix in ("_", "__"):
                value = self.variables.get(prefix + name)
                if value is not None:
                    break
        return value

    def set_variable(self, name: str, value: str) -> None:
        bare = name.lstrip("_")
        for key in (bare, "_" + bare, "__" + bare):
            if key != name:
                self.variables.pop(key, None)
        self.variables[name] = value
        self.publish(VarSet(self.snapshot(), bare, value))

    def delete_variable(self, name: str) -> None:
        bare = name.lstrip("_")
        for key in (bare, "_" + bare, "__" + bare):
            self.variables.pop(key, None)

    def inherit_from(self, parent: Channel) -> None:
        """``_X`` passes to the next channel (as ``X``), ``__X`` to every descendant."""
        for key, value in parent.variables.items():
            if key.startswith("__"):
                self.variables[key] = value
            elif key.startswith("_"):
                self.variables[key[1:]] = value

    def divert(self, run: Callable[[Channel], Awaitable[None]]) -> None:
        """Take the channel out of what it does to ``run`` something else (a bridge);
        whoever drives the channel runs it, then carries on."""
        self.diversion = run
        self.interrupted.set()

    async def run_diversion(self) -> bool:
        """Run a pending diversion; False if there was none."""
        run, self.diversion = self.diversion, None
        if run is None:
            return False
        self.interrupted.clear()
        await run(self)
        return True

    def redirect(self) -> None:
        """End the running application; the dialplan goes on where ``goto`` put it."""
        self.interrupted.set()

    # -- hanging up ----------------------------------------------------------------------

    @property
    def hangup_requested(self) -> bool:
        return self.hung_up.is_set()

    def request_hangup(self, cause: int = causes.NORMAL_CLEARING, soft: bool = True) -> None:
        """Flag the channel for hangup; whatever runs on it notices and ends.

        Silent, as Asterisk's ``ast_softhangup_nolock`` (the AMI Hangup action, Dial, timeouts):
        no event. A ``cause`` above 0 becomes the hangup cause if none is set yet.
        """
        if self.gone:
            return
        if cause > 0 and self.hangup_cause == causes.UNKNOWN:
            self.hangup_cause = cause
        self.hung_up.set()
        if self.driver is not None:
            self.driver.hangup_requested(self)

    def queue_hangup(self, cause: int = causes.UNKNOWN) -> None:
        """A hangup signalled by the far side (``HangupRequest`` with ``cause``), then the flag."""
        if self.gone:
            return
        if cause > 0 and self.hangup_cause == causes.UNKNOWN:
            self.hangup_cause = cause
        self.publish(HangupRequested(self.snapshot(), cause, False))
        self.request_hangup(causes.UNKNOWN)

    def soft_hangup(self, reason: int = SOFTHANGUP_EXPLICIT) -> None:
        """A soft hangup announced with its reason flag (``SoftHangupRequest`` ``Cause``)."""
        if self.gone:
            return
        self.publish(HangupRequested(self.snapshot(), reason, True))
        self.request_hangup(causes.UNKNOWN)


class ChannelDriver(Protocol):
    """The technology's hooks on its channels (a Local pair, a SIP dialog, ...)."""

    def state_changed(self, channel: Channel) -> None: ...
    def hangup_requested(self, channel: Channel) -> None: ...
    def destroyed(self, channel: Channel) -> None: ...
