"""PBX bus events about channels, bridges and devices, turned into AMI events."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..pbx import causes
from ..pbx import events as ev
from ..pbx.channel import ChannelState
from ..techs.local import LocalOptimizationBegan, LocalOptimizationEnded
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from ..pbx.channel import ChannelSnapshot
    from .server import Manager

CALL = int(Privilege.CALL)
DIALPLAN = int(Privilege.DIALPLAN)
USER = int(Privilege.USER)
DTMF = int(Privilege.DTMF)
UNKNOWN = "<unknown>"


#: "ChannelState: N\r\n...ChannelStateDesc: Text" for each state, indexed by its number.
_STATE_LINES = tuple(
    (f"ChannelState: {int(state)}", f"ChannelStateDesc: {state.description}")
    for state in sorted(ChannelState)
)


def channel_lines(snapshot: ChannelSnapshot, prefix: str = "") -> list[str]:
    """The standard channel block, optionally prefixed (``Dest``, ``LocalOne`` ...).

    The block comes as one string of CRLF-separated lines (one join fewer per event).
    """
    state, desc = _STATE_LINES[snapshot.state]
    caller, connected = snapshot.caller, snapshot.connected
    if prefix:
        state, desc = prefix + state, prefix + desc
    p = prefix
    return [
        f"{p}Channel: {snapshot.name}\r\n{state}\r\n{desc}\r\n"
        f"{p}CallerIDNum: {caller.number or UNKNOWN}\r\n"
        f"{p}CallerIDName: {caller.name or UNKNOWN}\r\n"
        f"{p}ConnectedLineNum: {connected.number or UNKNOWN}\r\n"
        f"{p}ConnectedLineName: {connected.name or UNKNOWN}\r\n"
        f"{p}Language: {snapshot.language}\r\n{p}AccountCode: {snapshot.accountcode}\r\n"
        f"{p}Context: {snapshot.context}\r\n{p}Exten: {snapshot.exten}\r\n"
        f"{p}Priority: {snapshot.priority}\r\n{p}Uniqueid: {snapshot.uniqueid}\r\n"
        f"{p}Linkedid: {snapshot.linkedid}"
    ]


def bridge_lines(bridge: ev.BridgeSnapshot, prefix: str = "") -> list[str]:
    """The standard bridge block, optionally prefixed (``Orig``, ``Second``)."""
    return [
        f"{prefix}BridgeUniqueid: {bridge.uniqueid}",
        f"{prefix}BridgeType: {bridge.type}",
        f"{prefix}BridgeTechnology: {bridge.technology}",
        f"{prefix}BridgeCreator: {bridge.creator or UNKNOWN}",
        f"{prefix}BridgeName: {bridge.name or UNKNOWN}",
        f"{prefix}BridgeNumChannels: {bridge.num_channels}",
        f"{prefix}BridgeVideoSourceMode: {bridge.video_source_mode}",
    ]


def channelvar_lines(manager: Manager, snapshot: ChannelSnapshot) -> list[str]:
    """``ChanVariable: name=value`` for each of manager.conf's ``channelvars``."""
    names = manager.settings.channelvars
    channel = manager.pbx.channels.get(snapshot.name) if names else None
    if channel is None:
        return []
    lines = []
    for name in names:
        value = channel.get_variable(name)
        lines.append(f"ChanVariable: {name}={value if value is not None else ''}")
    return lines


class ChannelEventTranslator(TableTranslator):
    """Subscribed to the PBX bus; publishes the AMI form of each event it knows."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self._table: dict[type, Callable[[object], None]] = {
            ev.NewChannel: self._newchannel,
            ev.NewState: self._newstate,
            ev.NewExten: self._newexten,
            ev.VarSet: self._varset,
            ev.CallerIdChanged: self._callerid,
            ev.ConnectedLineChanged: self._connected,
            ev.AccountCodeChanged: self._accountcode,
            ev.HangupRequested: self._hangup_request,
            ev.HungUp: self._hangup,
            ev.DialBegin: self._dial("DialBegin"),
            ev.DialState: self._dial("DialState"),
            ev.DialEnd: self._dial("DialEnd"),
            ev.LocalBridge: self._local_bridge,
            LocalOptimizationBegan: self._local_optimization_began,
            LocalOptimizationEnded: self._local_optimization_ended,
            ev.BridgeCreated: self._bridge("BridgeCreate"),
            ev.BridgeDestroyed: self._bridge("BridgeDestroy"),
            ev.BridgeEntered: self._bridge_member("BridgeEnter"),
            ev.BridgeLeft: self._bridge_member("BridgeLeave"),
            ev.DeviceStateChanged: self._device_state,
            ev.Dtmf: self._dtmf,
            ev.UserEventRaised: self._user_event,
        }

    def _publish(
        self, name: str, privilege: int, lines: list[str], snapshot: ChannelSnapshot | None = None
    ) -> None:
        if snapshot is not None and self.manager.settings.channelvars:
            lines = lines + channelvar_lines(self.manager, snapshot)
        self.manager.hub.publish(name, privilege, lines)

    def _newchannel(self, event: ev.NewChannel) -> None:  # type: ignore[override]
        self._publish("Newchannel", CALL, channel_lines(event.channel), event.channel)

    def _newstate(self, event: ev.NewState) -> None:
        self._publish("Newstate", CALL, channel_lines(event.channel), event.channel)

    def _newexten(self, event: ev.NewExten) -> None:
        lines = channel_lines(event.channel)
        lines += [
            f"Extension: {event.channel.exten}",
            f"Application: {event.application}",
            f"AppData: {event.data}",
        ]
        self._publish("Newexten", DIALPLAN, lines, event.channel)

    def _varset(self, event: ev.VarSet) -> None:
        if event.channel is None:
            lines = ["Channel: none", f"Variable: {event.variable}", f"Value: {event.value}"]
        else:
            lines = channel_lines(event.channel) + [
                f"Variable: {event.variable}",
                f"Value: {event.value}",
            ]
        self._publish("VarSet", DIALPLAN, lines)

    def _callerid(self, event: ev.CallerIdChanged) -> None:
        lines = channel_lines(event.channel) + [
            "CID-CallingPres: 0 (Presentation Allowed, Not Screened)"
        ]
        self._publish("NewCallerid", CALL, lines, event.channel)

    def _connected(self, event: ev.ConnectedLineChanged) -> None:
        self._publish("NewConnectedLine", CALL, channel_lines(event.channel), event.channel)

    def _accountcode(self, event: ev.AccountCodeChanged) -> None:
        lines = channel_lines(event.channel) + [f"OldAccountCode: {event.old}"]
        self._publish("NewAccountCode", CALL, lines, event.channel)

    def _hangup_request(self, event: ev.HangupRequested) -> None:
        name = "SoftHangupRequest" if event.soft else "HangupRequest"
        self._publish(
            name, CALL, channel_lines(event.channel) + [f"Cause: {event.cause}"], event.channel
        )

    def _hangup(self, event: ev.HungUp) -> None:
        lines = channel_lines(event.channel) + [
            f"Cause: {event.cause}",
            f"Cause-txt: {causes.text(event.cause)}",
        ]
        self._publish("Hangup", CALL, lines, event.channel)

    def _dial(self, name: str) -> Callable[[object], None]:
        def publish(event: object) -> None:
            assert isinstance(event, ev.DialBegin | ev.DialState | ev.DialEnd)
            lines = channel_lines(event.caller) if event.caller is not None else []
            lines += channel_lines(event.dest, "Dest")
            if isinstance(event, ev.DialBegin):
                lines.append(f"DialString: {event.dialstring}")
            else:
                lines.append(f"DialStatus: {event.status}")
            self._publish(name, CALL, lines, event.dest)

        return publish

    def _local_bridge(self, event: ev.LocalBridge) -> None:
        lines = channel_lines(event.one, "LocalOne") + channel_lines(event.two, "LocalTwo")
        lines += [
            f"Context: {event.context}",
            f"Exten: {event.exten}",
            f"LocalOptimization: {'Yes' if event.optimization else 'No'}",
        ]
        self._publish("LocalBridge", CALL, lines)

    def _local_optimization_began(self, event: LocalOptimizationBegan) -> None:
        lines = channel_lines(event.one, "LocalOne") + channel_lines(event.two, "LocalTwo")
        if event.source is not None:
            lines += channel_lines(event.source, "Source")
        lines += [f"DestUniqueId: {event.dest_uniqueid}", f"Id: {event.id}"]
        self._publish("LocalOptimizationBegin", CALL, lines)

    def _local_optimization_ended(self, event: LocalOptimizationEnded) -> None:
        lines = channel_lines(event.one, "LocalOne") + channel_lines(event.two, "LocalTwo")
        lines += [f"Success: {'Yes' if event.success else 'No'}", f"Id: {event.id}"]
        self._publish("LocalOptimizationEnd", CALL, lines)

    def _bridge(self, name: str) -> Callable[[object], None]:
        def publish(event: object) -> None:
            assert isinstance(event, ev.BridgeCreated | ev.BridgeDestroyed)
            self._publish(name, CALL, bridge_lines(event.bridge))

        return publish

    def _bridge_member(self, name: str) -> Callable[[object], None]:
        def publish(event: object) -> None:
            assert isinstance(event, ev.BridgeEntered | ev.BridgeLeft)
            lines = bridge_lines(event.bridge) + channel_lines(event.channel)
            if isinstance(event, ev.BridgeEntered) and event.swap:
                lines.append(f"SwapUniqueid: {event.swap}")
            self._publish(name, CALL, lines, event.channel)

        return publish

    def _device_state(self, event: ev.DeviceStateChanged) -> None:
        self._publish(
            "DeviceStateChange", CALL, [f"Device: {event.device}", f"State: {event.state}"]
        )

    def _dtmf(self, event: ev.Dtmf) -> None:
        lines = channel_lines(event.channel) + [f"Digit: {event.digit}"]
        if not event.begin:
            lines.append(f"DurationMs: {event.duration_ms}")
        lines.append(f"Direction: {event.direction}")
        self._publish("DTMFBegin" if event.begin else "DTMFEnd", DTMF, lines, event.channel)

    def _user_event(self, event: ev.UserEventRaised) -> None:
        lines = channel_lines(event.channel) if event.channel is not None else []
        lines.append(f"UserEvent: {event.name}")
        lines += [f"{key}: {value}" for key, value in event.fields]
        self._publish("UserEvent", USER, lines)
