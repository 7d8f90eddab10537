"""Which members may ring for a caller, in the order each strategy tries them."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .model import DEVICE_STATES, INUSE, INVALID, RINGING, UNAVAILABLE

if TYPE_CHECKING:
    from .model import Caller, Member, Queue
    from .system import QueueSystem

_BUSY_STATES = frozenset(range(2, 9)) - {INVALID, UNAVAILABLE}


def last_call(system: QueueSystem, member: Member) -> float:
    """When the member last ended a call (in any queue, with ``shared_lastcall``)."""
    if not system.shared_lastcall:
        return member.lastcall
    key = member.interface.lower()
    return max(
        (m.lastcall for q in system.queues.values() if (m := q.members.get(key)) is not None),
        default=member.lastcall,
    )


def in_wrapup(system: QueueSystem, queue: Queue, member: Member, now: float) -> bool:
    wrapup = member.wrapuptime if member.wrapuptime is not None else queue.settings.wrapuptime
    lastcall = last_call(system, member)
    return bool(wrapup and lastcall and now - lastcall < wrapup)


def outranked(system: QueueSystem, queue: Queue, member: Member) -> bool:
    """A heavier queue with callers waiting shares this member: it goes there first."""
    key = member.interface.lower()
    return any(
        other is not queue
        and other.settings.weight > queue.settings.weight
        and other.callers
        and key in other.members
        for other in system.queues.values()
    )


def ringable(system: QueueSystem, queue: Queue, member: Member, now: float) -> bool:
    """The member may be rung now (not paused, resting, ringing, unreachable or, without
    ringinuse, busy)."""
    if member.paused or member.ringing or in_wrapup(system, queue, member, now):
        return False
    status = DEVICE_STATES.get(system.pbx.device_state(member.state_interface), 0)
    if status in (INVALID, UNAVAILABLE):
        return False
    if not member.ringinuse and (member.in_call or status in _BUSY_STATES):
        return False
    return not outranked(system, queue, member)


def is_empty(system: QueueSystem, queue: Queue, conditions: frozenset[str], now: float) -> bool:
    """No member could take a call under ``joinempty``/``leavewhenempty`` ``conditions``."""
    for member in queue.members.values():
        status = member.status
        if (
            ("paused" in conditions and member.paused)
            or ("wrapup" in conditions and in_wrapup(system, queue, member, now))
            or ("inuse" in conditions and status == INUSE)
            or ("ringing" in conditions and status == RINGING)
            or ("unavailable" in conditions and status == UNAVAILABLE)
            or ("invalid" in conditions and status == INVALID)
            or ("unknown" in conditions and status == 0)
        ):
            continue
        return False
    return True


def available_count(system: QueueSystem, queue: Queue, now: float) -> int:
    return sum(1 for member in queue.members.values() if ringable(system, queue, member, now))


def is_turn(system: QueueSystem, queue: Queue, caller: Caller, now: float) -> bool:
    """The head of the queue rings; with autofill, as many more as members are free."""
    index = queue.callers.index(caller)
    if index == 0:
        return True
    return queue.settings.autofill and index < available_count(system, queue, now)


def members_in_order(queue: Queue) -> list[Member]:
    return sorted(queue.members.values(), key=lambda m: m.order)


def choose(
    system: QueueSystem, queue: Queue, caller: Caller, now: float
) -> tuple[list[Member], dict[int, int]]:
    """The members to ring this round (all the best ones for ringall, else the best one)
    and the position of each member (by ``id``) in the queue's member order."""
    ordered = members_in_order(queue)
    positions = {id(member): index for index, member in enumerate(ordered)}
    candidates = [m for m in ordered if ringable(system, queue, m, now)]
    if not candidates:
        return [], positions
    strategy = queue.settings.strategy

    def rank(member: Member) -> tuple[float, float]:
        pos = positions[id(member)]
        if strategy == "ringall":
            return member.penalty, 0
        if strategy in ("rrmemory", "rrordered"):
            return member.penalty, pos if pos >= queue.rr_next else 1000 + pos
        if strategy == "linear":
            return member.penalty, pos if pos >= caller.linear_next else 1000 + pos
        if strategy == "leastrecent":
            return member.penalty, last_call(system, member)
        if strategy == "fewestcalls":
            return member.penalty, member.calls
        if strategy == "wrandom":
            return 0, random.random() * 1000 * (1 + member.penalty)
        return member.penalty, random.random()

    ranked = sorted(candidates, key=rank)
    if strategy == "ringall":
        best = ranked[0].penalty
        return [m for m in ranked if m.penalty == best], positions
    return ranked[:1], positions
