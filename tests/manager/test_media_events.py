"""Hold/Unhold and ChanSpyStart/ChanSpyStop on the wire."""

from __future__ import annotations

from types import SimpleNamespace

from pbxd.manager.media_events import MediaEventTranslator
from pbxd.manager.privileges import Privilege
from pbxd.pbx.applications.chanspy import ChanSpyStarted, ChanSpyStopped
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.core import PBX
from pbxd.pbx.media import HoldChanged

from .test_events import FakeSession, make_hub


def test_start_and_stop() -> None:
    hub, scheduled = make_hub()
    session = FakeSession(int(Privilege.CALL))
    hub.watch(session)  # type: ignore[arg-type]
    translator = MediaEventTranslator(SimpleNamespace(hub=hub))  # type: ignore[arg-type]
    pbx = PBX()
    translator.subscribe_to(pbx.bus)
    spy = Channel(pbx, "SIP/dave-00000003", "SIP", state=ChannelState.UP)
    spied = Channel(pbx, "SIP/carol-00000001", "SIP", state=ChannelState.UP)
    pbx.bus.publish(ChanSpyStarted(spy.snapshot(), spied.snapshot()))
    pbx.bus.publish(ChanSpyStopped(spy.snapshot(), None))
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


def test_hold_and_unhold() -> None:
    hub, scheduled = make_hub()
    session = FakeSession(int(Privilege.CALL))
    hub.watch(session)  # type: ignore[arg-type]
    translator = MediaEventTranslator(SimpleNamespace(hub=hub))  # type: ignore[arg-type]
    pbx = PBX()
    translator.subscribe_to(pbx.bus)
    channel = Channel(pbx, "SIP/alice-00000001", "SIP", state=ChannelState.UP)
    for event in (
        HoldChanged(channel.snapshot(), True),
        HoldChanged(channel.snapshot(), True, "jazz"),
        HoldChanged(channel.snapshot(), False),
    ):
        pbx.bus.publish(event)
    for run in scheduled:
        run()
    held, jazz, unheld = b"".join(session.pushed).decode().split("\r\n\r\n")[:3]
    assert held.startswith("Event: Hold\r\nPrivilege: call,all\r\nChannel: SIP/alice-00000001\r\n")
    assert held.endswith("Linkedid: " + channel.linkedid)
    assert jazz.endswith("\r\nMusicClass: jazz")
    assert unheld.startswith("Event: Unhold\r\nPrivilege: call,all\r\nChannel: SIP/alice")


def test_nothing_is_translated_while_no_session_could_receive_it() -> None:
    """A translator subscribed with the hub's receivers skips its work while there are none
    (as Asterisk skips manager events without listeners), and resumes when one logs in."""
    hub, scheduled = make_hub()
    translator = MediaEventTranslator(SimpleNamespace(hub=hub))  # type: ignore[arg-type]
    pbx = PBX()
    translator.subscribe_to(pbx.bus, hub.receivers)
    spy = Channel(pbx, "SIP/dave-00000003", "SIP", state=ChannelState.UP)
    pbx.bus.publish(ChanSpyStarted(spy.snapshot(), None))
    assert hub.published == 0
    session = FakeSession(int(Privilege.CALL))
    hub.watch(session)  # type: ignore[arg-type]
    pbx.bus.publish(ChanSpyStopped(spy.snapshot(), None))
    for run in scheduled:
        run()
    assert hub.published == 1
    assert b"".join(session.pushed).startswith(b"Event: ChanSpyStop\r\n")
