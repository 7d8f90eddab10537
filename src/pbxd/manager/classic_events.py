"""Call events in the AMI 1.0 forms that Asterisk 1.4-era clients parse (``dialect = classic``).

Newchannel/Newstate carry ``State:``; a two-party bridge is ``Link``/``Unlink`` with
Channel1/Channel2, Uniqueid1/Uniqueid2, CallerID1/CallerID2; dialing is ``Dial`` with
Source/Destination.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..pbx import causes
from ..pbx import events as ev
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from ..pbx.channel import ChannelSnapshot
    from .server import Manager

CALL = int(Privilege.CALL)
UNKNOWN = "<unknown>"


def _cid(snapshot: ChannelSnapshot) -> tuple[str, str]:
    return snapshot.caller.number or UNKNOWN, snapshot.caller.name or UNKNOWN


class ClassicEventTranslator(TableTranslator):
    """Subscribed to the PBX bus in the classic dialect instead of the AMI 9 translator."""

    stateless = False  # it pairs bridge members for Link/Unlink

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self._linked: dict[str, tuple[ChannelSnapshot, ChannelSnapshot]] = {}  # bridge id → pair
        self._members: dict[str, list[ChannelSnapshot]] = {}
        self._table: dict[type, Callable[[object], None]] = {
            ev.NewChannel: self._newchannel,
            ev.NewState: self._newstate,
            ev.NewExten: self._newexten,
            ev.HungUp: self._hangup,
            ev.DialBegin: self._dial,
            ev.BridgeEntered: self._entered,
            ev.BridgeLeft: self._left,
            ev.VarSet: self._varset,
        }

    def _publish(self, name: str, lines: list[str], privilege: int = CALL) -> None:
        self.manager.hub.publish(name, privilege, lines)

    def _newchannel(self, event: ev.NewChannel) -> None:  # type: ignore[override]
        c = event.channel
        number, name = _cid(c)
        self._publish(
            "Newchannel",
            [
                f"Channel: {c.name}",
                f"State: {c.state.description}",
                f"CallerIDNum: {number}",
                f"CallerIDName: {name}",
                f"Uniqueid: {c.uniqueid}",
            ],
        )

    def _newstate(self, event: ev.NewState) -> None:
        c = event.channel
        number, name = _cid(c)
        self._publish(
            "Newstate",
            [
                f"Channel: {c.name}",
                f"State: {c.state.description}",
                f"CallerID: {number}",
                f"CallerIDName: {name}",
                f"Uniqueid: {c.uniqueid}",
            ],
        )

    def _newexten(self, event: ev.NewExten) -> None:
        c = event.channel
        lines = [
            f"Channel: {c.name}",
            f"Context: {c.context}",
            f"Extension: {c.exten}",
            f"Priority: {c.priority}",
            f"Application: {event.application}",
            f"AppData: {event.data}",
            f"Uniqueid: {c.uniqueid}",
        ]
        self._publish("Newexten", lines)

    def _varset(self, event: ev.VarSet) -> None:
        name = event.channel.name if event.channel else "none"
        uniqueid = event.channel.uniqueid if event.channel else ""
        self._publish(
            "VarSet",
            [
                f"Channel: {name}",
                f"Variable: {event.variable}",
                f"Value: {event.value}",
                f"Uniqueid: {uniqueid}",
            ],
            int(Privilege.DIALPLAN),
        )

    def _hangup(self, event: ev.HungUp) -> None:
        c = event.channel
        self._publish(
            "Hangup",
            [
                f"Channel: {c.name}",
                f"Uniqueid: {c.uniqueid}",
                f"Cause: {event.cause}",
                f"Cause-txt: {causes.text(event.cause)}",
            ],
        )

    def _dial(self, event: ev.DialBegin) -> None:
        if event.caller is None:
            return
        number, name = _cid(event.caller)
        self._publish(
            "Dial",
            [
                f"Source: {event.caller.name}",
                f"Destination: {event.dest.name}",
                f"CallerID: {number}",
                f"CallerIDName: {name}",
                f"SrcUniqueID: {event.caller.uniqueid}",
                f"DestUniqueID: {event.dest.uniqueid}",
            ],
        )

    def _link_lines(self, one: ChannelSnapshot, two: ChannelSnapshot) -> list[str]:
        return [
            f"Channel1: {one.name}",
            f"Channel2: {two.name}",
            f"Uniqueid1: {one.uniqueid}",
            f"Uniqueid2: {two.uniqueid}",
            f"CallerID1: {_cid(one)[0]}",
            f"CallerID2: {_cid(two)[0]}",
        ]

    def _entered(self, event: ev.BridgeEntered) -> None:
        members = self._members.setdefault(event.bridge.uniqueid, [])
        members.append(event.channel)
        if len(members) == 2:
            self._linked[event.bridge.uniqueid] = (members[0], members[1])
            self._publish("Link", self._link_lines(members[0], members[1]))

    def _left(self, event: ev.BridgeLeft) -> None:
        bridge = event.bridge.uniqueid
        pair = self._linked.pop(bridge, None)
        if pair is not None:
            self._publish("Unlink", self._link_lines(*pair))
        members = [m for m in self._members.get(bridge, []) if m.uniqueid != event.channel.uniqueid]
        if members:
            self._members[bridge] = members
        else:
            self._members.pop(bridge, None)
