"""Queues, their members and their waiting callers, with Asterisk's statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..flag import Flag
from .events import MemberSnapshot

if TYPE_CHECKING:
    from ..channel import Channel

STRATEGIES = (
    "ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom", "rrordered",
)  # fmt: skip
#: Asterisk's device state numbers (``Status:`` of queue members) by state name.
DEVICE_STATES = {
    "UNKNOWN": 0, "NOT_INUSE": 1, "INUSE": 2, "BUSY": 3, "INVALID": 4, "UNAVAILABLE": 5,
    "RINGING": 6, "RINGINUSE": 7, "ONHOLD": 8,
}  # fmt: skip
#: ``queue show``'s words for each device state number.
DEVICE_TEXTS = (
    "Unknown", "Not in use", "In use", "Busy", "Invalid", "Unavailable", "Ringing", "Ring+Inuse",
    "On Hold",
)  # fmt: skip
NOT_INUSE, INUSE, BUSY, INVALID, UNAVAILABLE, RINGING, RINGINUSE = 1, 2, 3, 4, 5, 6, 7
#: joinempty / leavewhenempty conditions: a member in one of these states does not count.
EMPTY_CONDITIONS = (
    "penalty", "paused", "inuse", "ringing", "unavailable", "invalid", "unknown", "wrapup",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """A queue's parameters from ``queues.conf``, with app_queue's defaults."""

    name: str
    strategy: str = "ringall"
    timeout: int = 15  # seconds each member rings
    retry: int = 5  # seconds between ring cycles
    wrapuptime: int = 0  # seconds a member rests after a call
    maxlen: int = 0  # callers allowed to wait; 0: unlimited
    weight: int = 0  # a heavier queue takes shared members first
    servicelevel: int = 0  # seconds: answered within counts for ServicelevelPerf
    joinempty: frozenset[str] = frozenset()
    leavewhenempty: frozenset[str] = frozenset()
    ringinuse: bool = True
    autopause: str = "no"  # no, yes (this queue), all (every queue)
    autofill: bool = True  # several callers ring members at once


@dataclass(eq=False)
class Member:
    """One member of one queue."""

    interface: str
    name: str
    state_interface: str
    penalty: int = 0
    dynamic: bool = False
    paused: bool = False
    reason: str = ""
    ringinuse: bool = True
    wrapuptime: int | None = None  # None: the queue's
    calls: int = 0
    lastcall: float = 0.0
    lastpause: float = 0.0
    logintime: float = 0.0
    in_call: bool = False
    status: int = 0
    ringing: bool = False  # rung for a caller right now
    order: int = 0  # position in the queue (linear, rrordered)

    def snapshot(self, queue: str, wrapuptime: int) -> MemberSnapshot:
        return MemberSnapshot(
            queue,
            self.name,
            self.interface,
            self.state_interface,
            self.dynamic,
            self.penalty,
            self.calls,
            int(self.lastcall),
            int(self.lastpause),
            int(self.logintime),
            self.in_call,
            self.status,
            self.paused,
            self.reason,
            self.ringinuse,
            self.wrapuptime if self.wrapuptime is not None else wrapuptime,
        )


@dataclass(eq=False)
class Caller:
    """A channel waiting in a queue (``QueueEntry``)."""

    channel: Channel
    start: float
    priority: int = 0
    original_position: int = 0
    linear_next: int = 0  # linear: the member position this caller tries next


@dataclass(eq=False)
class Queue:
    settings: QueueSettings
    members: dict[str, Member] = field(default_factory=dict)  # by interface, lower-case
    callers: list[Caller] = field(default_factory=list)
    holdtime: int = 0
    talktime: int = 0
    completed: int = 0
    abandoned: int = 0
    completed_in_sl: int = 0
    abandoned_in_sl: int = 0
    rr_next: int = 0  # rrmemory/rrordered: where the next round starts
    changed: Flag = field(default_factory=Flag)  # set when waiting callers should look again

    @property
    def name(self) -> str:
        return self.settings.name

    def member(self, interface: str) -> Member | None:
        return self.members.get(interface.lower())

    def snapshot(self, member: Member) -> MemberSnapshot:
        return member.snapshot(self.name, self.settings.wrapuptime)

    def position(self, caller: Caller) -> int:
        return self.callers.index(caller) + 1

    def insert(self, caller: Caller, wanted: int = 0) -> int:
        """Place the caller by priority (and at ``wanted`` if given); its position."""
        index = len(self.callers)
        for i, waiting in enumerate(self.callers):
            if caller.priority > waiting.priority or (wanted and i + 1 >= wanted):
                index = i
                break
        self.callers.insert(index, caller)
        caller.original_position = index + 1
        self.wake()
        return index + 1

    def wake(self) -> None:
        """Waiting callers look at the queue again."""
        self.changed.set()
        self.changed = Flag()

    def service_levels(self) -> tuple[float, float]:
        """ServicelevelPerf and ServicelevelPerf2, in percent."""
        perf = 100 * self.completed_in_sl / self.completed if self.completed else 0.0
        total = self.completed + self.abandoned
        perf2 = 100 * (self.completed_in_sl + self.abandoned_in_sl) / total if total else 0.0
        return perf, perf2

    def record_holdtime(self, seconds: int) -> None:
        """Asterisk's running average: the first call sets it, later ones weigh 1/4."""
        if self.completed + self.abandoned == 0:
            self.holdtime = seconds
        else:
            self.holdtime = (self.holdtime * 3 + seconds) >> 2

    def record_completed(self, talktime: int, in_sl: bool) -> None:
        self.completed += 1
        if in_sl:
            self.completed_in_sl += 1
        if self.completed == 1:
            self.talktime = talktime
        else:
            self.talktime = (self.talktime * 3 + talktime) >> 2

    def record_abandoned(self, waited: int) -> None:
        if waited <= self.settings.servicelevel:
            self.abandoned_in_sl += 1
        self.abandoned += 1

    def reset_stats(self) -> None:
        self.holdtime = self.talktime = 0
        self.completed = self.abandoned = 0
        self.completed_in_sl = self.abandoned_in_sl = 0
        for member in self.members.values():
            member.calls = 0
            member.lastcall = 0.0
