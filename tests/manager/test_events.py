"""AmiEvent serialization and EventHub fan-out: read classes, filters, batching, timestamps."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pbxd.manager.events import AmiEvent, EventHub
from pbxd.manager.filters import EventFilters, parse_legacy
from pbxd.manager.privileges import Privilege

EVENT_CASES = [
    # (name, privilege, lines, timestamp, wire text)
    ("FullyBooted", Privilege.SYSTEM, ["Uptime: 269", "LastReload: 269", "Status: Fully Booted"], None,
     "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 269\r\nLastReload: 269\r\n"
     "Status: Fully Booted\r\n\r\n"),
    ("UserEvent", Privilege.USER, ["UserEvent: Second", "X-Foo:nospace"], None,
     "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Second\r\nX-Foo:nospace\r\n\r\n"),
    ("Empty", Privilege.CALL, [], None, "Event: Empty\r\nPrivilege: call,all\r\n\r\n"),
    ("Reload", Privilege.SYSTEM, ["Module: All"], 1795680831.411107,
     "Event: Reload\r\nPrivilege: system,all\r\nTimestamp: 1795680831.411107\r\nModule: All\r\n\r\n"),
    ("Tick", 0, [], 12.5, "Event: Tick\r\nPrivilege: <none>\r\nTimestamp: 12.500000\r\n\r\n"),
]


@pytest.mark.parametrize(("name", "privilege", "lines", "timestamp", "text"), EVENT_CASES)
def test_event_wire_format(
    name: str, privilege: int, lines: list[str], timestamp: float | None, text: str
) -> None:
    event = AmiEvent(name, privilege, lines, timestamp)
    assert event.text == text
    assert event.data == text.encode()


def test_event_lookup() -> None:
    event = AmiEvent.from_pairs("Newchannel", Privilege.CALL, [("Channel", "Local/100@x-1;1"),
                                                               ("Exten", " 100"), ("Exten", "2")])
    assert event.lines == ["Channel: Local/100@x-1;1", "Exten:  100", "Exten: 2"]
    assert event.get("event") == "Newchannel"
    assert event.get("CHANNEL") == "Local/100@x-1;1"
    assert event.get("exten") == "100"
    assert event.get("missing", "d") == "d"
    assert event.get("Privilege") == ""  # the class is not one of the event's own headers


class FakeSession:
    """What the hub needs of a session."""

    def __init__(self, read: int, filters: EventFilters | None = None, authenticated: bool = True):
        self.authenticated = authenticated
        self.recv_mask = read
        self.filters = filters
        self.pushed: list[bytes] = []
        self.flushes = 0

    def receive(self, data: bytes) -> None:
        self.pushed.append(data)

    def flush(self) -> None:
        self.flushes += 1


def make_hub(**kwargs: object) -> tuple[EventHub, list[Callable[[], None]]]:
    scheduled: list[Callable[[], None]] = []
    hub = EventHub(scheduled.append, lambda: 1000.25, **kwargs)  # type: ignore[arg-type]
    return hub, scheduled


DELIVERY_CASES = [
    # (session read classes, event classes, delivered?)
    (Privilege.ALL, Privilege.CALL, True),
    (Privilege.CALL, Privilege.CALL, True),
    (Privilege.CALL, Privilege.USER, False),
    (Privilege.SYSTEM | Privilege.CALL, Privilege.SYSTEM | Privilege.REPORTING, False),
    (Privilege.SYSTEM | Privilege.REPORTING, Privilege.SYSTEM | Privilege.REPORTING, True),
    (Privilege.CALL, Privilege.CALL | Privilege.USER, False),  # ALL the classes, not ANY
    (Privilege.CALL, 0, True),
    (0, Privilege.CALL, False),
]


@pytest.mark.parametrize(("read", "classes", "delivered"), DELIVERY_CASES)
def test_delivery_needs_all_classes(read: int, classes: int, delivered: bool) -> None:
    hub, _ = make_hub()
    session = FakeSession(read)
    hub.receivers[session] = None  # type: ignore[index]
    hub.publish("E", classes, ["A: 1"])
    assert bool(session.pushed) is delivered


def test_serialized_once_and_shared() -> None:
    hub, _ = make_hub()
    sessions = [FakeSession(Privilege.ALL) for _ in range(5)]
    for session in sessions:
        hub.watch(session)  # type: ignore[arg-type]
    event = hub.publish("UserEvent", Privilege.USER, ["UserEvent: X"])
    assert event is not None
    for session in sessions:
        assert len(session.pushed) == 1
        assert session.pushed[0] is event.data
    assert hub.published == 1


def test_watch_and_forget() -> None:
    hub, _ = make_hub()
    reader, deaf, stranger = (
        FakeSession(Privilege.ALL), FakeSession(0), FakeSession(Privilege.ALL, authenticated=False)
    )
    for session in (reader, deaf, stranger):
        hub.watch(session)  # type: ignore[arg-type]
    assert list(hub.receivers) == [reader]
    hub.forget(reader)  # type: ignore[arg-type]
    hub.forget(reader)  # type: ignore[arg-type]
    hub.publish("E", Privilege.CALL, [])
    assert reader.pushed == []


def test_filters_apply_per_session() -> None:
    hub, _ = make_hub()
    only_user = EventFilters()
    only_user.add(parse_legacy("Event: UserEvent"))
    filtered, unfiltered = FakeSession(Privilege.ALL, only_user), FakeSession(Privilege.ALL)
    for session in (filtered, unfiltered):
        hub.watch(session)  # type: ignore[arg-type]
    hub.publish("UserEvent", Privilege.USER, ["UserEvent: A"])
    hub.publish("Newchannel", Privilege.CALL, ["Channel: x"])
    assert len(filtered.pushed) == 1
    assert len(unfiltered.pushed) == 2


def test_disabled_events_are_not_built() -> None:
    hub, _ = make_hub(disabled=["Newexten", "VarSet"])
    session = FakeSession(Privilege.ALL)
    hub.watch(session)  # type: ignore[arg-type]
    assert hub.publish("newexten", Privilege.DIALPLAN, []) is None
    assert hub.publish("Hangup", Privilege.CALL, []) is not None
    assert len(session.pushed) == 1


TIMESTAMP_CASES = [(False, b"Event: E\r\nPrivilege: call,all\r\n\r\n"),
                   (True, b"Event: E\r\nPrivilege: call,all\r\nTimestamp: 1000.250000\r\n\r\n")]


@pytest.mark.parametrize(("on", "data"), TIMESTAMP_CASES)
def test_timestampevents(on: bool, data: bytes) -> None:
    hub, _ = make_hub(timestamps=on)
    event = hub.publish("E", Privilege.CALL, [])
    assert event is not None and event.data == data
    assert hub.make("E", Privilege.CALL, []).data == data


def test_flush_is_batched_once_per_turn() -> None:
    hub, scheduled = make_hub()
    first, second = FakeSession(Privilege.ALL), FakeSession(Privilege.ALL)
    hub.mark_dirty(first)  # type: ignore[arg-type]
    hub.mark_dirty(second)  # type: ignore[arg-type]
    assert len(scheduled) == 1
    scheduled.pop()()
    assert (first.flushes, second.flushes) == (1, 1)
    hub.mark_dirty(first)  # type: ignore[arg-type]
    assert len(scheduled) == 1
