"""Digits a channel receives, for applications that read DTMF (VoiceMailMain, VoiceMail).

pbxd channels have no frame queue: received digits are the ``Dtmf`` events published on the
PBX bus (``PlayDTMF`` with ``Receive: yes``, or a technology that decodes them), so a reader
subscribes to those of its channel while the application runs.
"""

from __future__ import annotations

from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING

from ..events import Dtmf
from ..flag import Flag, wait_any

if TYPE_CHECKING:
    from ..channel import Channel


class DigitReader:
    """Use as a context manager around the part of an application that reads digits."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.pending: deque[str] = deque()
        self.arrived = Flag()
        self._unsubscribe = channel.pbx.bus.subscribe(self._on_dtmf, (Dtmf,))

    def _on_dtmf(self, event: Dtmf) -> None:
        if (
            event.channel.name == self.channel.name
            and event.direction == "Received"
            and not event.begin
        ):
            self.pending.append(event.digit)
            self.arrived.set()

    async def digit(self, timeout: float) -> str | None:
        """The next digit; None after ``timeout`` seconds or when the channel hangs up."""
        if not self.pending:
            self.arrived.clear()
            channel = self.channel
            await wait_any((self.arrived, channel.hung_up), timeout, channel.pbx.clock)
        if self.pending and not self.channel.hangup_requested:
            return self.pending.popleft()
        return None

    async def digits(self, timeout: float, maximum: int = 80, end: str = "#") -> str | None:
        """Digits up to ``end`` (not included), ``maximum`` of them, or a pause of
        ``timeout``; None if the channel hung up."""
        text = ""
        while len(text) < maximum:
            digit = await self.digit(timeout)
            if digit is None:
                return None if self.channel.hangup_requested else text
            if digit in end:
                break
            text += digit
        return text

    def flush(self) -> None:
        self.pending.clear()

    def close(self) -> None:
        self._unsubscribe()

    def __enter__(self) -> DigitReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
