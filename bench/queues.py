"""Queue benchmark, in process on the virtual clock: 1,000 callers queued across 10 queues
with 100 members (Local channels that answer and talk for 60 s), until all are served.

Reports the wall time of the whole run, the AMI events per second the manager built and
fanned out meanwhile, and the QueueStatus latency (handler plus encoding) with every caller
still waiting.

    PYTHONPATH=src .venv/bin/python bench/queues.py
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from pbxd.config.conf import loads
from pbxd.configuration import load_configuration
from pbxd.manager.server import Manager
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import run_dialplan
from pbxd.pbx.queues import QueueSystem
from pbxd.pbx.queues.config import read_queues_conf
from pbxd.protocol import ClientConnection
from pbxd.techs.local import LocalTechnology

QUEUES, MEMBERS_PER_QUEUE, CALLERS, TALK = 10, 10, 1000, 60
REFERENCE = Path("/work/shared/reference/asterisk-20/conf")


class Sink:
    """A session's transport that keeps nothing (counts bytes)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)

    def close(self) -> None: ...
    def abort(self) -> None: ...
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def buffered(self) -> int:
        return 0


async def main() -> None:
    clock = VirtualClock()
    pbx = PBX(clock)
    pbx.technologies["local"] = LocalTechnology(pbx)
    members = "\n".join(
        f"[q{q}]\nringinuse = no\n" + "".join(
            f"member => Local/{1000 + q * 100 + m}@agents,0,agent{q}-{m}\n"
            for m in range(MEMBERS_PER_QUEUE)
        )
        for q in range(QUEUES)
    )  # fmt: skip
    pbx.dialplan = Dialplan.load(
        loads(
            f"[agents]\nexten => _X.,1,Answer()\n same => n,Wait({TALK})\n"
            "[callers]\nexten => _q.,1,Answer()\n same => n,Queue(${EXTEN})\n",
            "extensions.conf",
        )
    )
    system = QueueSystem(pbx)
    pbx.queues = system
    system.load(read_queues_conf(loads(members, "queues.conf")))
    manager = Manager(load_configuration(REFERENCE).manager, pbx, asyncio.get_running_loop())
    sink = Sink()
    session = manager.open_session(sink, ("127.0.0.1", 5038), ("127.0.0.1", 4000), 9)
    assert session is not None
    conn = ClientConnection()
    session.data_received(conn.send_action("Login", [("Username", "admin"),
                                                     ("Secret", "adminpass")]))  # fmt: skip
    await clock.advance(0.1)

    started = time.perf_counter()
    published = manager.hub.published
    for n in range(CALLERS):
        channel = Channel(pbx, f"Bench/{n}-1", "Bench", context="callers",
                          exten=f"q{n % QUEUES}", state=ChannelState.RING)  # fmt: skip
        pbx.add_channel(channel)
        asyncio.ensure_future(run_dialplan(channel))
    await clock.advance(1)
    waiting = sum(len(q.callers) for q in system.queues.values())

    latencies = []
    request = conn.send_action("QueueStatus", [("ActionID", "bench")])
    for _ in range(20):
        before = time.perf_counter()
        session.data_received(request)
        latencies.append(time.perf_counter() - before)
        await asyncio.sleep(0)

    seconds = 0
    while any(q.callers for q in system.queues.values()) and seconds < 10 * TALK * CALLERS:
        await clock.advance(TALK)
        seconds += TALK
    await clock.advance(TALK + 5)
    elapsed = time.perf_counter() - started
    events = manager.hub.published - published
    completed = sum(q.completed for q in system.queues.values())
    print(f"callers waiting after 1 s: {waiting}; calls completed: {completed}")
    print(f"virtual time: {seconds + TALK + 6} s; wall time: {elapsed:.2f} s")
    print(f"AMI events: {events} ({events / elapsed:,.0f} per second of wall time)")
    print(f"QueueStatus with {waiting} entries: median {statistics.median(latencies) * 1000:.1f} ms,"
          f" max {max(latencies) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
