"""The queues of one PBX: loading, members (static, dynamic, persistent), pause, penalty,
device state, statistics and the queue_log."""

from __future__ import annotations

import itertools
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from ...config.conf import load
from ..astdb import AstDBError
from ..events import DeviceStateChanged
from . import events as qe
from .config import MemberConfig, QueuesConfig, read_queues_conf
from .model import DEVICE_STATES, Member, Queue
from .queue_log import QueueLog

if TYPE_CHECKING:
    from ...config.conf import ConfigFile
    from ..core import PBX

log = logging.getLogger("pbxd.queues")

#: The ASTdb family where dynamic members are kept across restarts (as app_queue keeps them).
PERSISTENT_FAMILY = "Queue/PersistentMembers"


class QueueSystem:
    """``pbx.queues``: every queue by name (case-insensitive)."""

    def __init__(
        self, pbx: PBX, log_dir: Path | None = None, conf_path: Path | None = None
    ) -> None:
        self.pbx = pbx
        self.conf_path = conf_path  # queues.conf, read again by reload
        self.queues: dict[str, Queue] = {}
        self.persistent = True
        self.shared_lastcall = True
        self.queue_log = QueueLog(log_dir / "queue_log" if log_dir is not None else None, pbx.clock)
        self._order = itertools.count()
        pbx.bus.subscribe(self._device_changed, (DeviceStateChanged,))

    # -- configuration -------------------------------------------------------------------

    def load(
        self, config: QueuesConfig, *, only: str = "", members: bool = True, params: bool = True
    ) -> None:
        """Apply ``queues.conf``: new queues made, settings and static members brought up to
        date (dynamic members and statistics kept); with ``only``, just that queue."""
        self.persistent = config.persistentmembers
        self.shared_lastcall = config.shared_lastcall
        seen = set()
        for definition in config.queues:
            key = definition.settings.name.lower()
            if only and key != only.lower():
                continue
            seen.add(key)
            queue = self.queues.get(key)
            if queue is None:
                queue = self.queues[key] = Queue(definition.settings)
            elif params:
                queue.settings = definition.settings
            if members:
                self._sync_static(queue, definition.members)
            queue.wake()
        if not only:
            for key in [k for k in self.queues if k not in seen]:
                if not self.queues[key].callers:
                    del self.queues[key]

    def read_conf(self) -> QueuesConfig | None:
        """``queues.conf`` as it is on disk now; None (logged) when it cannot be read."""
        path = self.conf_path
        if path is None or not path.is_file():
            return QueuesConfig()
        config = load(path, include_root=path.parent)
        result = read_queues_conf(config)
        for problem in [*config.problems, *result.problems]:
            log.warning("%s", problem)
        return None if any(p.severity == "error" for p in config.problems) else result

    def reload(self, only: str = "", *, members: bool = True, params: bool = True) -> str:
        """``queue reload``, the QueueReload action and ``module reload app_queue``."""
        config = self.read_conf()
        if config is None:
            return "Error"
        self.load(config, only=only, members=members, params=params)
        return "Success"

    def _sync_static(self, queue: Queue, members: tuple[MemberConfig, ...]) -> None:
        wanted = {m.interface.lower() for m in members}
        for key, member in list(queue.members.items()):
            if not member.dynamic and key not in wanted:
                del queue.members[key]
        for config in members:
            member = queue.member(config.interface)
            if member is not None and member.dynamic:
                continue
            if member is None:
                member = Member(
                    config.interface, config.name, config.state_interface,
                    logintime=self.pbx.clock(), order=next(self._order),
                )  # fmt: skip
                queue.members[config.interface.lower()] = member
                member.status = self.live_status(member)
            member.name, member.state_interface = config.name, config.state_interface
            member.penalty = config.penalty
            member.ringinuse = (
                queue.settings.ringinuse if config.ringinuse is None else config.ringinuse
            )
            member.wrapuptime = config.wrapuptime

    def get(self, name: str) -> Queue | None:
        return self.queues.get(name.lower())

    def sorted(self) -> list[Queue]:
        return [self.queues[key] for key in sorted(self.queues)]

    # -- members -------------------------------------------------------------------------

    def live_status(self, member: Member) -> int:
        return DEVICE_STATES.get(self.pbx.device_state(member.state_interface), 0)

    def refresh(self, member: Member, queue: Queue) -> None:
        """Bring the member's status up to its device's; QueueMemberStatus if it changed."""
        self._set_status(queue, member, self.live_status(member))

    def _set_status(self, queue: Queue, member: Member, status: int) -> None:
        if status != member.status:
            member.status = status
            self.pbx.bus.publish(qe.MemberStatusChanged(queue.snapshot(member)))
            queue.wake()

    def _device_changed(self, event: DeviceStateChanged) -> None:
        device = event.device.lower()
        status = DEVICE_STATES.get(event.state.upper(), 0)
        for queue in self.queues.values():
            for member in queue.members.values():
                if member.state_interface.lower() == device:
                    self._set_status(queue, member, status)

    def add_member(
        self,
        queue_name: str,
        interface: str,
        *,
        penalty: int = 0,
        paused: bool = False,
        name: str = "",
        state_interface: str = "",
        reason: str = "",
        wrapuptime: int | None = None,
        callid: str = "MANAGER",
        dump: bool = True,
    ) -> str:
        """A dynamic member: ADDED, MEMBERALREADY or NOSUCHQUEUE."""
        queue = self.get(queue_name)
        if queue is None:
            return "NOSUCHQUEUE"
        if queue.member(interface) is not None:
            return "MEMBERALREADY"
        now = self.pbx.clock()
        member = Member(
            interface, name or interface, state_interface or interface, penalty, dynamic=True,
            paused=paused, reason=reason if paused else "", ringinuse=queue.settings.ringinuse,
            wrapuptime=wrapuptime, logintime=now, lastpause=now if paused else 0.0,
            order=next(self._order),
        )  # fmt: skip
        member.status = self.live_status(member)
        queue.members[interface.lower()] = member
        self.pbx.bus.publish(qe.MemberAdded(queue.snapshot(member)))
        self.queue_log.write(
            queue.name, callid, member.name, "ADDMEMBER", "PAUSED" if paused else ""
        )
        if dump:
            self.dump(queue)
        queue.wake()
        return "ADDED"

    def remove_member(self, queue_name: str, interface: str, callid: str = "MANAGER") -> str:
        """REMOVED, NOTINQUEUE, NOSUCHQUEUE or NOTDYNAMIC."""
        queue = self.get(queue_name)
        if queue is None:
            return "NOSUCHQUEUE"
        member = queue.member(interface)
        if member is None:
            return "NOTINQUEUE"
        if not member.dynamic:
            return "NOTDYNAMIC"
        del queue.members[interface.lower()]
        self.pbx.bus.publish(qe.MemberRemoved(queue.snapshot(member)))
        self.queue_log.write(queue.name, callid, member.name, "REMOVEMEMBER", "")
        self.dump(queue)
        return "REMOVED"

    def _matching(self, interface: str, queue_name: str) -> list[tuple[Queue, Member]]:
        """The member ``interface`` in ``queue_name`` (every queue when empty)."""
        found = []
        for queue in self.sorted():
            if queue_name and queue.name.lower() != queue_name.lower():
                continue
            member = queue.member(interface)
            if member is not None:
                found.append((queue, member))
        return found

    def pause(
        self, interface: str, paused: bool, queue_name: str = "", reason: str = "",
        callid: str = "NONE",
    ) -> bool:  # fmt: skip
        """Pause or unpause the member (in one queue or all); False if it is nowhere."""
        found = self._matching(interface, queue_name)
        for queue, member in found:
            if paused and not member.paused:
                member.lastpause = self.pbx.clock()
            member.paused = paused
            member.reason = reason if paused else ""
            self.queue_log.write(
                queue.name, callid, member.name, "PAUSE" if paused else "UNPAUSE", reason
            )
            self.pbx.bus.publish(qe.MemberPaused(queue.snapshot(member)))
            if member.dynamic:
                self.dump(queue)
            queue.wake()
        return bool(found)

    def set_penalty(self, interface: str, penalty: int, queue_name: str = "") -> bool:
        if penalty < 0:
            return False
        found = self._matching(interface, queue_name)
        for queue, member in found:
            member.penalty = penalty
            self.queue_log.write(queue.name, "NONE", member.name, "PENALTY", penalty)
            self.pbx.bus.publish(qe.MemberPenaltyChanged(queue.snapshot(member)))
            if member.dynamic:
                self.dump(queue)
            queue.wake()
        return bool(found)

    def set_ringinuse(self, interface: str, ringinuse: bool, queue_name: str = "") -> bool:
        found = self._matching(interface, queue_name)
        for queue, member in found:
            member.ringinuse = ringinuse
            self.pbx.bus.publish(qe.MemberRingInUseChanged(queue.snapshot(member)))
            queue.wake()
        return bool(found)

    def reset_stats(self, queue_name: str = "") -> None:
        for queue in self.queues.values():
            if not queue_name or queue.name.lower() == queue_name.lower():
                queue.reset_stats()

    # -- persistence ---------------------------------------------------------------------

    def dump(self, queue: Queue) -> None:
        """The queue's dynamic members in the ASTdb (``interface;penalty;paused;name;
        state_interface;reason;wrapuptime``, ``|``-joined), as app_queue keeps them."""
        astdb = self.pbx.astdb
        if not self.persistent or astdb is None:
            return
        value = "|".join(
            f"{m.interface};{m.penalty};{int(m.paused)};{m.name};{m.state_interface};"
            f"{m.reason};{m.wrapuptime or 0}"
            for m in queue.members.values()
            if m.dynamic
        )
        try:
            if value:
                astdb.put(PERSISTENT_FAMILY, queue.name, value)
            else:
                astdb.delete(PERSISTENT_FAMILY, queue.name)
        except (AstDBError, sqlite3.Error) as exc:
            log.error("Persistent members of queue '%s' not saved: %s", queue.name, exc)

    def restore(self) -> None:
        """Dynamic members saved in the ASTdb join their queues again (after a restart)."""
        astdb = self.pbx.astdb
        if not self.persistent or astdb is None:
            return
        try:
            saved = astdb.get_tree(PERSISTENT_FAMILY)
        except (AstDBError, sqlite3.Error) as exc:
            log.error("Persistent queue members not read: %s", exc)
            return
        for key, value in saved:
            queue_name = key.rsplit("/", 1)[-1]
            if self.get(queue_name) is None:
                log.warning("Error loading persistent queue: '%s': it does not exist", queue_name)
                continue
            for text in value.split("|"):
                self._restore_member(queue_name, text)

    def _restore_member(self, queue_name: str, text: str) -> None:
        fields = text.split(";")
        if not fields[0]:
            return
        fields += [""] * (7 - len(fields))
        interface, penalty, paused, name, state_interface, reason, wrapuptime = fields[:7]
        try:
            penalty_value = int(penalty or 0)
            paused_value = bool(int(paused or 0))
        except ValueError:
            log.warning("Error parsing persistent member string for '%s': %s", queue_name, text)
            return
        self.add_member(
            queue_name, interface, penalty=penalty_value, paused=paused_value,
            name=name, state_interface=state_interface, reason=reason,
            wrapuptime=int(wrapuptime) if wrapuptime.isdigit() and int(wrapuptime) else None,
            dump=False,
        )  # fmt: skip

    def close(self) -> None:
        self.queue_log.close()


def configure(
    pbx: PBX, etc_dir: Path, log_dir: Path | None, conf: ConfigFile | None
) -> QueueSystem:
    """The PBX's queues from ``queues.conf`` (``conf``, already read from ``etc_dir``, its
    problems reported), persistent members restored, the queue_log started, reload and CLI
    commands registered."""
    from .cli import register_cli

    system = QueueSystem(pbx, log_dir, etc_dir / "queues.conf")
    pbx.queues = system
    system.load(read_queues_conf(conf))
    system.restore()
    system.queue_log.write("NONE", "NONE", "NONE", "QUEUESTART", "")
    pbx.reloaders["app_queue"] = system.reload
    register_cli(pbx, system)
    return system


def queues_of(pbx: PBX) -> QueueSystem:
    """The PBX's queues (``pbx.queues``), made empty on first use."""
    system = pbx.queues
    if system is None:
        system = pbx.queues = QueueSystem(pbx)
    return system
