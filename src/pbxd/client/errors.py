"""What can go wrong between a program and an AMI server, as exception types."""

from __future__ import annotations

from ..protocol import Message


class AmiError(Exception):
    """Base of every error the client raises."""


class AmiConnectionError(AmiError, ConnectionError):
    """The server could not be reached, or the connection broke."""


class ConnectionLost(AmiConnectionError):
    """The connection closed while an action waited for its answer."""


class LoginError(AmiError):
    """The server refused the login (its ``Message:`` is the text)."""


class ActionError(AmiError):
    """The server answered an action with ``Response: Error``."""

    def __init__(self, response: Message) -> None:
        super().__init__(response.get("message") or "action failed")
        self.response = response


class EventOverflow(AmiError):
    """An event stream with the ``raise`` policy filled up: ``dropped`` events were lost."""

    def __init__(self, dropped: int) -> None:
        super().__init__(f"{dropped} event(s) dropped: the program reads slower than they come")
        self.dropped = dropped
