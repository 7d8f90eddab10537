"""ChanSpyStart/ChanSpyStop on the wire: the spyer's block prefixed Spyer, the spyee's Spyee."""

from __future__ import annotations

from types import SimpleNamespace

from pbxd.manager.chanspy_events import ChanSpyEventTranslator
from pbxd.manager.privileges import Privilege
from pbxd.pbx.applications.chanspy import ChanSpyStarted, ChanSpyStopped
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.core import PBX

from .test_events import FakeSession, make_hub


def test_start_and_stop() -> None:
    hub, scheduled = make_hub()
    session = FakeSession(int(Privilege.CALL))
    hub.watch(session)  # type: ignore[arg-type]
    translator = ChanSpyEventTranslator(SimpleNamespace(hub=hub))  # type: ignore[arg-type]
    pbx = PBX()
    spy = Channel(pbx, "SIP/dave-00000003", "SIP", state=ChannelState.UP)
    spied = Channel(pbx, "SIP/carol-00000001", "SIP", state=ChannelState.UP)
    assert translator.handles == {ChanSpyStarted, ChanSpyStopped}
    translator(ChanSpyStarted(spy.snapshot(), spied.snapshot()))
    translator(ChanSpyStopped(spy.snapshot(), None))
    for run in scheduled:
        run()
    wire = b"".join(session.pushed).decode()
    start, stop = wire.split("\r\n\r\n")[:2]
    lines = start.split("\r\n")
    assert lines[:3] == [
        "Event: ChanSpyStart",
        "Privilege: call,all",
        "SpyerChannel: SIP/dave-00000003",
    ]
    assert "SpyeeChannel: SIP/carol-00000001" in lines
    assert lines.index("SpyerLinkedid: " + spy.linkedid) < lines.index(
        "SpyeeChannel: SIP/carol-00000001"
    )
    assert stop.startswith("Event: ChanSpyStop\r\nPrivilege: call,all\r\nSpyerChannel: SIP/dave")
    assert "Spyee" not in stop
