"""Responses on the wire: header order, ActionID echo, list framing, the classic Command body."""

from __future__ import annotations

import pytest

from pbxd.manager.response import (
    ActionError,
    Response,
    error,
    event_list,
    session_event,
    success,
)

ENCODE_CASES = [
    # (response, ActionID, wire text)
    (success("Authentication accepted"), "", "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"),
    (success("Authentication accepted"), "login-1",
     "Response: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n"),
    (error("Permission denied"), "pre-1", "Response: Error\r\nActionID: pre-1\r\nMessage: Permission denied\r\n\r\n"),
    (Response("Success", None, [("Ping", "Pong"), ("Timestamp", "1.000000")]), "case-1",
     "Response: Success\r\nActionID: case-1\r\nPing: Pong\r\nTimestamp: 1.000000\r\n\r\n"),
    (success(None, [("Challenge", "660021739")]), "pre-4",
     "Response: Success\r\nActionID: pre-4\r\nChallenge: 660021739\r\n\r\n"),
    (Response("Goodbye", "Thanks for all the fish."), "bye-1",
     "Response: Goodbye\r\nActionID: bye-1\r\nMessage: Thanks for all the fish.\r\n\r\n"),
    # order: Response, ActionID, EventList, Message, then the fields
    (Response("Success", "DialPlan list will follow", [("X", "1")], "start"), "sd-1",
     "Response: Success\r\nActionID: sd-1\r\nEventList: start\r\n"
     "Message: DialPlan list will follow\r\nX: 1\r\n\r\n"),
    (Response("Success", ""), "", "Response: Success\r\nMessage: \r\n\r\n"),
    (Response("Success"), "", "Response: Success\r\n\r\n"),
    # the ActionID is echoed as it came, trailing blanks and all (transcript 28)
    (error("x"), "spaces-1   ", "Response: Error\r\nActionID: spaces-1   \r\nMessage: x\r\n\r\n"),
]


@pytest.mark.parametrize(("response", "action_id", "text"), ENCODE_CASES)
def test_encode(response: Response, action_id: str, text: str) -> None:
    assert response.encode(action_id) == text.encode()


def test_encode_non_utf8_survives() -> None:
    assert success(None, [("Value", "\udcff")]).encode("") == b"Response: Success\r\nValue: \xff\r\n\r\n"


def test_event_list_framing() -> None:
    items = [("ListDialplan", [("Priority", "1")]), ("ListDialplan", [("Priority", "2")])]
    response = event_list("DialPlan list will follow", items, "ShowDialPlanComplete",
                          [("ListExtensions", "1")])
    assert response.encode("sd").decode() == (
        "Response: Success\r\nActionID: sd\r\nEventList: start\r\n"
        "Message: DialPlan list will follow\r\n\r\n"
        "Event: ListDialplan\r\nActionID: sd\r\nPriority: 1\r\n\r\n"
        "Event: ListDialplan\r\nActionID: sd\r\nPriority: 2\r\n\r\n"
        "Event: ShowDialPlanComplete\r\nActionID: sd\r\nEventList: Complete\r\n"
        "ListItems: 2\r\nListExtensions: 1\r\n\r\n"
    )


def test_empty_event_list() -> None:
    response = event_list("Channels will follow", [], "CoreShowChannelsComplete")
    assert response.encode("").decode() == (
        "Response: Success\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
        "Event: CoreShowChannelsComplete\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
    )


SESSION_EVENT_CASES = [
    ("WaitEventComplete", "", (), "Event: WaitEventComplete\r\n\r\n"),
    ("WaitEventComplete", "w-1", (), "Event: WaitEventComplete\r\nActionID: w-1\r\n\r\n"),
    ("X", "a", [("K", "v")], "Event: X\r\nActionID: a\r\nK: v\r\n\r\n"),
]


@pytest.mark.parametrize(("name", "action_id", "fields", "text"), SESSION_EVENT_CASES)
def test_session_event(name: str, action_id: str, fields: list[tuple[str, str]], text: str) -> None:
    assert session_event(name, action_id, fields) == text


CLASSIC_CASES = [
    ("", "Response: Follows\r\nPrivilege: Command\r\n--END COMMAND--\r\n\r\n"),
    ("c-1", "Response: Follows\r\nPrivilege: Command\r\nActionID: c-1\r\n--END COMMAND--\r\n\r\n"),
]


@pytest.mark.parametrize(("action_id", "head"), CLASSIC_CASES)
def test_classic_output(action_id: str, head: str) -> None:
    response = Response("Follows", classic_output="one\ntwo\n")
    text = response.encode(action_id).decode()
    assert text == head.replace("--END", "one\ntwo\n--END")


def test_action_error() -> None:
    exc = ActionError("No such channel", [("Channel", "x")])
    assert (str(exc), exc.message, list(exc.fields)) == (
        "No such channel", "No such channel", [("Channel", "x")]
    )


def test_helpers() -> None:
    assert (success().kind, success().message) == ("Success", None)
    assert (error("e").kind, error("e").message) == ("Error", "e")
    assert not success().close
