"""PBX queue events turned into AMI events (class ``agent``), with Asterisk 20's fields:
QueueCallerJoin/Leave/Abandon, AgentCalled/Connect/Complete/RingNoAnswer/Dump and the
QueueMember* events. In the classic dialect callers ``Join`` and ``Leave`` as AMI 1.0 has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..pbx.queues import events as qe
from .channel_events import channel_lines
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

AGENT = int(Privilege.AGENT)

MEMBER_EVENTS: dict[type, str] = {
    qe.MemberAdded: "QueueMemberAdded",
    qe.MemberRemoved: "QueueMemberRemoved",
    qe.MemberPaused: "QueueMemberPause",
    qe.MemberStatusChanged: "QueueMemberStatus",
    qe.MemberPenaltyChanged: "QueueMemberPenalty",
    qe.MemberRingInUseChanged: "QueueMemberRingInUse",
}
AGENT_EVENTS: dict[type, str] = {
    qe.AgentCalled: "AgentCalled",
    qe.AgentRingNoAnswer: "AgentRingNoAnswer",
    qe.AgentConnected: "AgentConnect",
    qe.AgentCompleted: "AgentComplete",
    qe.AgentDumped: "AgentDump",
}


def member_lines(member: qe.MemberSnapshot) -> list[str]:
    """The body of every QueueMember* event."""
    return [
        f"Queue: {member.queue}",
        f"MemberName: {member.name}",
        f"Interface: {member.interface}",
        f"StateInterface: {member.state_interface}",
        f"Membership: {'dynamic' if member.dynamic else 'static'}",
        f"Penalty: {member.penalty}",
        f"CallsTaken: {member.calls}",
        f"LastCall: {member.lastcall}",
        f"LastPause: {member.lastpause}",
        f"LoginTime: {member.logintime}",
        f"InCall: {int(member.in_call)}",
        f"Status: {member.status}",
        f"Paused: {int(member.paused)}",
        f"PausedReason: {member.reason}",
        f"Ringinuse: {int(member.ringinuse)}",
        f"Wrapuptime: {member.wrapuptime}",
    ]


def agent_lines(event: qe.AgentEvent) -> list[str]:
    lines = channel_lines(event.caller) + channel_lines(event.agent, "Dest")
    member = event.member
    lines += [
        f"Queue: {member.queue}",
        f"Interface: {member.interface}",
        f"MemberName: {member.name}",
    ]
    if isinstance(event, qe.AgentConnected):
        lines += [f"HoldTime: {event.holdtime}", f"RingTime: {event.ringtime}"]
    elif isinstance(event, qe.AgentCompleted):
        lines += [
            f"HoldTime: {event.holdtime}",
            f"TalkTime: {event.talktime}",
            f"Reason: {event.reason}",
        ]
    elif isinstance(event, qe.AgentRingNoAnswer):
        lines.append(f"RingTime: {event.ringtime}")
    return lines


class QueueEventTranslator(TableTranslator):
    """Subscribed to the PBX bus beside the channel translator."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        classic = manager.settings.classic
        table: dict[type, Callable[[Any], None]] = {
            qe.CallerJoined: self._classic_join if classic else self._join,
            qe.CallerLeft: self._classic_leave if classic else self._leave,
            qe.CallerAbandoned: self._abandon,
        }
        for kind, name in MEMBER_EVENTS.items():
            table[kind] = self._member(name)
        for kind, name in AGENT_EVENTS.items():
            table[kind] = self._agent(name)
        self._table = table

    def _publish(self, name: str, lines: list[str]) -> None:
        self.manager.hub.publish(name, AGENT, lines)

    def _member(self, name: str) -> Callable[[qe.MemberEvent], None]:
        return lambda event: self._publish(name, member_lines(event.member))

    def _agent(self, name: str) -> Callable[[qe.AgentEvent], None]:
        return lambda event: self._publish(name, agent_lines(event))

    def _join(self, event: qe.CallerJoined) -> None:
        lines = channel_lines(event.caller)
        lines += [f"Queue: {event.queue}", f"Position: {event.position}", f"Count: {event.count}"]
        self._publish("QueueCallerJoin", lines)

    def _leave(self, event: qe.CallerLeft) -> None:
        lines = channel_lines(event.caller)
        lines += [f"Queue: {event.queue}", f"Position: {event.position}", f"Count: {event.count}"]
        self._publish("QueueCallerLeave", lines)

    def _abandon(self, event: qe.CallerAbandoned) -> None:
        lines = channel_lines(event.caller)
        lines += [
            f"Queue: {event.queue}",
            f"Position: {event.position}",
            f"OriginalPosition: {event.original_position}",
            f"HoldTime: {event.holdtime}",
        ]
        self._publish("QueueCallerAbandon", lines)

    def _classic_join(self, event: qe.CallerJoined) -> None:
        caller = event.caller
        self.manager.hub.publish(
            "Join",
            int(Privilege.CALL),
            [
                f"Channel: {caller.name}",
                f"CallerID: {caller.caller.number or 'unknown'}",
                f"CallerIDName: {caller.caller.name or 'unknown'}",
                f"Queue: {event.queue}",
                f"Position: {event.position}",
                f"Count: {event.count}",
                f"Uniqueid: {caller.uniqueid}",
            ],
        )

    def _classic_leave(self, event: qe.CallerLeft) -> None:
        self.manager.hub.publish(
            "Leave",
            int(Privilege.CALL),
            [
                f"Channel: {event.caller.name}",
                f"Queue: {event.queue}",
                f"Count: {event.count}",
                f"Uniqueid: {event.caller.uniqueid}",
            ],
        )
