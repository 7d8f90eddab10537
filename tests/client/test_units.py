"""Unit tests of the client's pieces: filters, streams, lists, headers, Command output."""

from __future__ import annotations

import asyncio

import pytest

from pbxd.client import ActionError, EventOverflow, Response
from pbxd.client.actions import ActionIds, EventList, command_output, header_pairs
from pbxd.client.events import EventFilter, EventHub, EventStream
from pbxd.protocol import Message

NEWCHANNEL = Message(["Event: Newchannel", "Channel: SIP/alice-0001", "Context: from-internal"])

FILTER_CASES = [
    # (pattern, headers, matches NEWCHANNEL)
    ("Newchannel", None, True),
    ("newCHANNEL", None, True),
    ("New*", None, True),
    ("*", None, True),
    ("Hangup", None, False),
    ("New?hannel", None, True),
    ("*", {"Channel": "SIP/*"}, True),
    ("*", {"channel": "sip/alice-*"}, True),
    ("*", {"Channel": "IAX2/*"}, False),
    ("Newchannel", {"Context": "from-internal", "Channel": "SIP/*"}, True),
    ("Newchannel", {"Missing": "*"}, True),  # an absent header is ""
    ("Newchannel", {"Missing": "?*"}, False),
]


@pytest.mark.parametrize(("pattern", "headers", "expected"), FILTER_CASES)
def test_event_filter(pattern: str, headers: dict[str, str] | None, expected: bool) -> None:
    event_filter = EventFilter(pattern, headers)
    hub = EventHub()
    seen: list[Message] = []
    stream = EventStream(event_filter, hub, 10, "drop_oldest")
    hub.add(stream)
    hub.dispatch(NEWCHANNEL, "Newchannel")
    seen.extend(stream._queue)
    assert event_filter.matches(NEWCHANNEL, "Newchannel") is expected
    assert (seen == [NEWCHANNEL]) is expected


def tick(n: int) -> Message:
    return Message(["Event: Tick", f"N: {n}"])


@pytest.mark.parametrize(
    ("policy", "kept"),
    [("drop_oldest", ["2", "3", "4"]), ("drop_newest", ["0", "1", "2"]), ("raise", ["0", "1", "2"])],
)
def test_overflow_policies(policy: str, kept: list[str]) -> None:
    async def scenario() -> None:
        hub = EventHub()
        stream = EventStream(EventFilter(), hub, 3, policy)  # type: ignore[arg-type]
        hub.add(stream)
        for n in range(5):
            hub.dispatch(tick(n), "Tick")
        assert stream.dropped == 2
        if policy == "raise":
            with pytest.raises(EventOverflow, match="2 event"):
                await stream.get(1)
        assert [(await stream.get(1)).get("N") for _ in range(3)] == kept
        stream.close()
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()
        hub.dispatch(tick(9), "Tick")  # closed: no longer subscribed
        assert len(stream) == 0

    asyncio.run(scenario())


def test_unknown_policy() -> None:
    with pytest.raises(ValueError, match="overflow must be one of"):
        EventStream(EventFilter(), EventHub(), 3, "block")  # type: ignore[arg-type]


def test_event_list_to_complete() -> None:
    async def scenario() -> None:
        events = EventList("a1")
        events.on_response(Response(["Response: Success", "EventList: start"]))
        events.on_event(Message(["Event: Item", "N: 1"]), "Item")
        events.on_event(Message(["Event: Item", "N: 2"]), "Item")
        assert not events.done
        events.on_event(Message(["Event: ItemsComplete", "EventList: Complete"]), "ItemsComplete")
        assert [item.get("N") for item in await events] == ["1", "2"]
        assert events.complete is not None and events.complete.get("Event") == "ItemsComplete"

    asyncio.run(scenario())


def test_event_list_until_for_old_servers_and_errors() -> None:
    async def scenario() -> None:
        old = EventList("a1", until="StatusComplete")
        old.on_response(Response(["Response: Success", "Message: Channel status will follow"]))
        old.on_event(Message(["Event: Status", "Channel: X"]), "Status")
        old.on_event(Message(["Event: StatusComplete"]), "StatusComplete")
        assert len(await old) == 1
        plain = EventList("a2")
        plain.on_response(Response(["Response: Success"]))  # no list follows
        assert await plain == []
        refused = EventList("a3")
        refused.on_response(Response(["Response: Error", "Message: Permission denied"]))
        with pytest.raises(ActionError, match="Permission denied"):
            await refused

    asyncio.run(scenario())


def test_header_pairs() -> None:
    assert header_pairs({"A": 1, "B": None, "C": True}, {"D": False}) == [
        ("A", "1"), ("C", "yes"), ("D", "no"),
    ]
    assert header_pairs([("Variable", ["x=1", "y=2"])], {}) == [
        ("Variable", "x=1"), ("Variable", "y=2"),
    ]


def test_command_output_keeps_leading_spaces() -> None:
    response = Message(["Response: Success", "Output:   indented", "output: lower", "Output:"])
    assert command_output(response) == ["  indented", "lower", ""]


def test_action_ids_differ_between_generators() -> None:
    one, two = ActionIds(), ActionIds()
    ids = [next(one) for _ in range(3)] + [next(two) for _ in range(3)]
    assert len(set(ids)) == 6
    assert next(ActionIds("x-")) == "x-1"


def test_response_ok() -> None:
    for word in ("Success", "Follows", "Goodbye", "Pong"):
        assert Response([f"Response: {word}"]).ok
    error = Response(["Response: Error", "Message: No such channel"])
    with pytest.raises(ActionError, match="No such channel"):
        error.raise_for_error()
