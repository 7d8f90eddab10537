"""What happens in queues, as immutable events on the PBX bus (the manager words them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..channel import ChannelSnapshot


class MemberSnapshot(NamedTuple):
    """A queue member as it was when something happened to it."""

    queue: str
    name: str
    interface: str
    state_interface: str
    dynamic: bool
    penalty: int
    calls: int
    lastcall: int
    lastpause: int
    logintime: int
    in_call: bool
    status: int  # Asterisk's device state number
    paused: bool
    reason: str
    ringinuse: bool
    wrapuptime: int


@dataclass(frozen=True, slots=True)
class MemberEvent:
    member: MemberSnapshot


@dataclass(frozen=True, slots=True)
class MemberAdded(MemberEvent):
    """AMI ``QueueMemberAdded``."""


@dataclass(frozen=True, slots=True)
class MemberRemoved(MemberEvent):
    """AMI ``QueueMemberRemoved``."""


@dataclass(frozen=True, slots=True)
class MemberPaused(MemberEvent):
    """AMI ``QueueMemberPause`` (paused or unpaused)."""


@dataclass(frozen=True, slots=True)
class MemberStatusChanged(MemberEvent):
    """AMI ``QueueMemberStatus``: the member's device changed state."""


@dataclass(frozen=True, slots=True)
class MemberPenaltyChanged(MemberEvent):
    """AMI ``QueueMemberPenalty``."""


@dataclass(frozen=True, slots=True)
class MemberRingInUseChanged(MemberEvent):
    """AMI ``QueueMemberRingInUse``."""


@dataclass(frozen=True, slots=True)
class CallerJoined:
    """AMI ``QueueCallerJoin`` (``Join`` in the classic dialect)."""

    queue: str
    caller: ChannelSnapshot
    position: int
    count: int


@dataclass(frozen=True, slots=True)
class CallerLeft:
    """AMI ``QueueCallerLeave`` (``Leave`` in the classic dialect)."""

    queue: str
    caller: ChannelSnapshot
    position: int
    count: int


@dataclass(frozen=True, slots=True)
class CallerAbandoned:
    """AMI ``QueueCallerAbandon``: the caller hung up while waiting."""

    queue: str
    caller: ChannelSnapshot
    position: int
    original_position: int
    holdtime: int


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """Something between a waiting caller and a member's channel."""

    caller: ChannelSnapshot
    agent: ChannelSnapshot
    member: MemberSnapshot


@dataclass(frozen=True, slots=True)
class AgentCalled(AgentEvent):
    """AMI ``AgentCalled``: the member's channel rings."""


@dataclass(frozen=True, slots=True)
class AgentRingNoAnswer(AgentEvent):
    """AMI ``AgentRingNoAnswer``; ``ringtime`` in seconds."""

    ringtime: int = 0


@dataclass(frozen=True, slots=True)
class AgentConnected(AgentEvent):
    """AMI ``AgentConnect``."""

    holdtime: int = 0
    ringtime: int = 0


@dataclass(frozen=True, slots=True)
class AgentCompleted(AgentEvent):
    """AMI ``AgentComplete``; ``reason`` is caller, agent or transfer."""

    holdtime: int = 0
    talktime: int = 0
    reason: str = "caller"


@dataclass(frozen=True, slots=True)
class AgentDumped(AgentEvent):
    """AMI ``AgentDump``: the member hung up before the call was bridged."""
