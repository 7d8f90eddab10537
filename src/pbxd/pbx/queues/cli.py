"""The ``queue`` CLI commands: show, add/remove member, pause/unpause member, reload, reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cli import CliFailure, ShowUsage
from .model import DEVICE_TEXTS

if TYPE_CHECKING:
    from ..core import PBX
    from .model import Queue
    from .system import QueueSystem

ADD_USAGE = (
    "Usage: queue add member <dial string> to <queue> [penalty <penalty> [as <membername> "
    "[state_interface <interface>]]]\n"
)
REMOVE_USAGE = "Usage: queue remove member <channel> from <queue>\n"
PAUSE_USAGE = (
    "Usage: queue {pause|unpause} member <member> [queue <queue> [reason <reason>]]\n"
    "\tPause or unpause a queue member. Not specifying a particular queue\n"
    "\twill pause or unpause a member across all queues to which the member\n"
    "\tbelongs."
)


def show_lines(system: QueueSystem, queue: Queue) -> list[str]:
    """One queue as ``queue show`` prints it."""
    now = system.pbx.clock()
    s = queue.settings
    perf, perf2 = queue.service_levels()
    limit = str(s.maxlen) if s.maxlen else "unlimited"
    lines = [
        f"{queue.name} has {len(queue.callers)} calls (max {limit}) in '{s.strategy}' strategy "
        f"({queue.holdtime}s holdtime, {queue.talktime}s talktime), W:{s.weight}, "
        f"C:{queue.completed}, A:{queue.abandoned}, SL:{perf:.1f}%, SL2:{perf2:.1f}% "
        f"within {s.servicelevel}s"
    ]
    if not queue.members:
        lines.append("   No Members")
    else:
        lines.append("   Members: ")
        for member in queue.members.values():
            system.refresh(member, queue)
            text = f"      {member.name}"
            if member.name.lower() != member.interface.lower():
                text += f" ({member.interface}"
                if member.state_interface != member.interface:
                    text += f" from {member.state_interface}"
                text += ")"
            if member.penalty:
                text += f" with penalty {member.penalty}"
            text += f" (ringinuse {'enabled' if member.ringinuse else 'disabled'})"
            if member.dynamic:
                text += " (dynamic)"
            if member.in_call:
                text += " (in call)"
            if member.paused:
                reason = f":{member.reason}" if member.reason else ""
                text += f" (paused{reason} was {int(now - member.lastpause)} secs ago)"
            text += f" ({DEVICE_TEXTS[member.status] if member.status < len(DEVICE_TEXTS) else 'Unknown'})"
            if member.calls:
                text += (
                    f" has taken {member.calls} calls "
                    f"(last was {int(now - member.lastcall)} secs ago)"
                )
            else:
                text += " has taken no calls yet"
            text += f" (login was {int(now - member.logintime)} secs ago)"
            lines.append(text)
    if not queue.callers:
        lines.append("   No Callers")
    else:
        lines.append("   Callers: ")
        for position, caller in enumerate(queue.callers, 1):
            waited = int(now - caller.start)
            lines.append(
                f"      {position}. {caller.channel.name} (wait: {waited // 60}:{waited % 60:02d}, "
                f"prio: {caller.priority})"
            )
    lines.append("")
    return lines


def register_cli(pbx: PBX, system: QueueSystem) -> None:
    cli = pbx.cli

    @cli.register(
        "queue show",
        "Show status of a specified queue",
        "Usage: queue show\n       Provides summary information on a specified queue.",
        takes_args=True,
    )
    def show(args: list[str]) -> list[str]:
        if len(args) > 1:
            raise ShowUsage
        if args:
            queue = system.get(args[0])
            if queue is None:
                return [f"No such queue: {args[0]}."]
            return show_lines(system, queue)
        queues = system.sorted()
        if not queues:
            return ["No queues."]
        return [line for queue in queues for line in show_lines(system, queue)]

    @cli.register("queue add member", "Add a channel to a specified queue", ADD_USAGE,
                  takes_args=True)  # fmt: skip
    def add(args: list[str]) -> list[str]:
        if len(args) not in (3, 5, 7, 9) or args[1].lower() != "to":
            raise ShowUsage
        extra = dict(zip(args[3::2], args[4::2], strict=False))
        if [k.lower() for k in extra] != ["penalty", "as", "state_interface"][: len(extra)]:
            raise ShowUsage
        interface, queue = args[0], args[2]
        penalty_text = extra.get("penalty", "0")
        penalty = int(penalty_text) if penalty_text.isdigit() else 0
        status = system.add_member(
            queue, interface, penalty=penalty, name=extra.get("as", ""),
            state_interface=extra.get("state_interface", ""), callid="CLI",
        )  # fmt: skip
        if status == "ADDED":
            return [f"Added interface '{interface}' to queue '{queue}'"]
        if status == "MEMBERALREADY":
            raise CliFailure(
                f"Unable to add interface '{interface}' to queue '{queue}': Already there"
            )
        raise CliFailure(f"Unable to add interface to queue '{queue}': No such queue")

    @cli.register("queue remove member", "Removes a channel from a specified queue",
                  REMOVE_USAGE, takes_args=True)  # fmt: skip
    def remove(args: list[str]) -> list[str]:
        if len(args) != 3 or args[1].lower() != "from":
            raise ShowUsage
        interface, queue = args[0], args[2]
        status = system.remove_member(queue, interface, "CLI")
        if status == "REMOVED":
            return [f"Removed interface {interface} from queue '{queue}'"]
        if status == "NOTINQUEUE":
            raise CliFailure(
                f"Unable to remove interface '{interface}' from queue '{queue}': Not there"
            )
        if status == "NOTDYNAMIC":
            raise CliFailure(
                f"Unable to remove interface '{interface}' from queue '{queue}': "
                "Member is not dynamic"
            )
        raise CliFailure(f"Unable to remove interface from queue '{queue}': No such queue")

    def pause_command(paused: bool) -> None:
        verb = "pause" if paused else "unpause"

        @cli.register(f"queue {verb} member", f"{verb.capitalize()} queue member", PAUSE_USAGE,
                      takes_args=True)  # fmt: skip
        def pause(args: list[str]) -> list[str]:
            if len(args) not in (1, 3, 5):
                raise ShowUsage
            extra = {k.lower(): v for k, v in zip(args[1::2], args[2::2], strict=False)}
            if not set(extra) <= {"queue", "reason"}:
                raise ShowUsage
            interface, queue, reason = args[0], extra.get("queue", ""), extra.get("reason", "")
            if not system.pause(interface, paused, queue, reason):
                where = f" in queue '{queue}'" if queue else ""
                raise CliFailure(f"Unable to {verb} interface '{interface}'{where}")
            text = f"{verb}d interface '{interface}'"
            if queue:
                text += f" in queue '{queue}'"
            if reason:
                text += f" for reason '{reason}'"
            return [text]

    pause_command(True)
    pause_command(False)

    @cli.register(
        "queue reload",
        "Reload queues, members, queue rules, or parameters",
        "Usage: queue reload {parameters|members|rules|all} [<queuenames>]\n"
        "Reload queues. If <queuenames> are specified, only reload information pertaining\n"
        "to <queuenames>. One of 'parameters,' 'members,' 'rules,' or 'all' must be\n"
        "specified in order to know what information to reload.",
        takes_args=True,
    )
    def reload(args: list[str]) -> list[str]:
        what = args[0].lower() if args else "all"
        if what not in ("all", "members", "parameters", "rules"):
            raise ShowUsage
        names = args[1:] or [""]
        for name in names:
            status = system.reload(
                name, members=what in ("all", "members"), params=what in ("all", "parameters")
            )
            if status != "Success":
                raise CliFailure("queues.conf could not be read: the old queues stay")
        return []

    @cli.register(
        "queue reset stats",
        "Reset statistics for a queue",
        "Usage: queue reset stats [<queuenames>]\n\nIssuing this command will reset statistics "
        "for\n<queuenames>, or for all queues if no queue is\nspecified.",
        takes_args=True,
    )
    def reset(args: list[str]) -> list[str]:
        for name in args or [""]:
            system.reset_stats(name)
        return []
