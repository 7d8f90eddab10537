"""PBX bus events about CDRs and recordings, turned into AMI events.

``Cdr`` (class ``cdr``) carries cdr_manager's fields; MonitorStart/MonitorStop and
MixMonitorStart/MixMonitorStop/MixMonitorMute (class ``call``) carry the channel block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..pbx import recording as rec
from ..pbx.cdr import CdrPosted, format_time
from .channel_events import channel_lines, channelvar_lines
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from ..pbx.channel import ChannelSnapshot
    from .server import Manager

CALL = int(Privilege.CALL)
CDR = int(Privilege.CDR)


class CdrEventTranslator(TableTranslator):
    """Subscribed to the PBX bus next to ChannelEventTranslator."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self._table: dict[type, Callable[[object], None]] = {
            CdrPosted: self._cdr,  # type: ignore[dict-item]
            rec.MonitorStarted: self._channel_event("MonitorStart"),
            rec.MonitorStopped: self._channel_event("MonitorStop"),
            rec.MixMonitorStarted: self._channel_event("MixMonitorStart"),
            rec.MixMonitorStopped: self._channel_event("MixMonitorStop"),
            rec.MixMonitorMuted: self._mute,  # type: ignore[dict-item]
        }

    def _channel_event(self, name: str) -> Callable[[object], None]:
        def publish(event: object) -> None:
            snapshot: ChannelSnapshot = event.channel  # type: ignore[attr-defined]
            lines = channel_lines(snapshot) + channelvar_lines(self.manager, snapshot)
            self.manager.hub.publish(name, CALL, lines)

        return publish

    def _mute(self, event: rec.MixMonitorMuted) -> None:
        lines = channel_lines(event.channel) + [
            f"Direction: {event.direction}",
            f"State: {1 if event.state else 0}",
        ]
        lines += channelvar_lines(self.manager, event.channel)
        self.manager.hub.publish("MixMonitorMute", CALL, lines)

    def _cdr(self, event: CdrPosted) -> None:
        if not event.manager:
            return  # cdr_manager is not enabled (cdr_manager.conf), as Asterisk ships it
        cdr = event.cdr
        pairs = [
            ("AccountCode", cdr.accountcode),
            ("Source", cdr.src),
            ("Destination", cdr.dst),
            ("DestinationContext", cdr.dcontext),
            ("CallerID", cdr.clid),
            ("Channel", cdr.channel),
            ("DestinationChannel", cdr.dstchannel),
            ("LastApplication", cdr.lastapp),
            ("LastData", cdr.lastdata),
            ("StartTime", format_time(cdr.start)),
            ("AnswerTime", format_time(cdr.answer)),
            ("EndTime", format_time(cdr.end)),
            ("Duration", str(cdr.duration)),
            ("BillableSeconds", str(cdr.billsec)),
            ("Disposition", cdr.disposition),
            ("AMAFlags", cdr.amaflags),
            ("UniqueID", cdr.uniqueid),
            ("UserField", cdr.userfield),
        ]
        self.manager.hub.publish("Cdr", CDR, [f"{key}: {value}" for key, value in pairs])
