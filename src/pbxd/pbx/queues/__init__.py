"""Call queues, as Asterisk's app_queue: ``queues.conf``, members, callers and statistics.

:func:`queues_of` gives a PBX its :class:`~.system.QueueSystem` (``pbx.queues``); the Queue
application and the member applications live in ``pbx/applications/queue.py``.
"""

from __future__ import annotations

from .system import QueueSystem, queues_of

__all__ = ["QueueSystem", "queues_of"]
