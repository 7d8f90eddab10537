"""Client side of the manager protocol (uses only pbxd.protocol): ``AmiClient`` (asyncio)
and ``SyncClient`` (blocking, for scripts)."""

from .actions import EventList, Response, command_output
from .client import AmiClient
from .errors import (
    ActionError,
    AmiConnectionError,
    AmiError,
    ConnectionLost,
    EventOverflow,
    LoginError,
)
from .events import EventStream
from .sync import SyncClient

__all__ = [
    "ActionError",
    "AmiClient",
    "AmiConnectionError",
    "AmiError",
    "ConnectionLost",
    "EventList",
    "EventOverflow",
    "EventStream",
    "LoginError",
    "Response",
    "SyncClient",
    "command_output",
]
