"""Channel technologies as plug-ins registered by name (Local, SIP, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from . import causes

if TYPE_CHECKING:
    from .channel import Channel, Party


class ChannelUnavailable(Exception):
    """A technology could not make the channel; ``cause`` says why (a hangup cause)."""

    def __init__(self, message: str, cause: int = causes.CHAN_NOT_IMPLEMENTED) -> None:
        super().__init__(message)
        self.cause = cause


class Technology(Protocol):
    name: str

    def request(self, resource: str, requestor: Channel | None, caller: Party) -> Channel:
        """A new outbound channel for ``resource`` (not yet called)."""
        ...

    async def call(self, channel: Channel, timeout: float) -> str:
        """Ring the far end; returns a DIALSTATUS: ANSWER, BUSY, NOANSWER, CONGESTION,
        CHANUNAVAIL or CANCEL.

        A technology that places its calls at once may also offer ``place(channel)`` and
        ``async answered(channel, timeout)`` (``call`` is the two in a row), so that
        Originate can announce the dial between them without a task of its own."""
        ...
