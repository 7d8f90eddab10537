"""``<astlogdir>/queue_log``: one ``epoch|callid|queue|agent|EVENT|data...`` line per event."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ..clock import Clock

log = logging.getLogger("pbxd.queues")


class QueueLog:
    """Appends lines as Asterisk writes them; a failed write is logged, never raised."""

    def __init__(self, path: Path | None, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self._file: IO[str] | None = None

    def write(self, queue: str, callid: str, agent: str, event: str, *data: object) -> None:
        if self.path is None:
            return
        fields = "|".join(str(value) for value in data)
        line = f"{int(self.clock())}|{callid}|{queue}|{agent}|{event}|{fields}\n"
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            self._file.write(line)
            self._file.flush()
        except OSError as exc:
            log.error("queue_log %s not written: %s", self.path, exc)
            self.close()

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None
