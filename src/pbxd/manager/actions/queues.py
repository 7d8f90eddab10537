"""Call queues: QueueStatus, QueueSummary, QueueAdd, QueueRemove, QueuePause, QueuePenalty,
QueueMemberRingInUse, QueueLog, QueueReload, QueueReset (app_queue's actions), and the AMI 1.0
``Queues`` text listing that only the classic dialect offers (Asterisk 20 has none).

They live in their own registries as a module of their own would; ``install()`` adds the
current ones to a registry, ``with_classic()`` makes the classic dialect's.
"""

from __future__ import annotations

from ...config.values import is_true, parse_bool
from ...pbx.queues import QueueSystem, queues_of
from ...pbx.queues.cli import show_lines
from ...pbx.queues.model import INVALID, NOT_INUSE, UNAVAILABLE
from ...protocol import Message
from ..privileges import Privilege
from ..registry import ACTIONS, ActionRegistry, Argument
from ..response import ActionError, Response, success
from ..session import Session

QUEUE_ACTIONS = ActionRegistry()
CLASSIC_QUEUE_ACTIONS = ActionRegistry()
action = QUEUE_ACTIONS.action
PROVIDER = "app_queue"


def install(registry: ActionRegistry = ACTIONS) -> None:
    """Offer the queue actions in ``registry`` (those it already has are left alone)."""
    for spec in QUEUE_ACTIONS:
        if registry.lookup(spec.name) is None:
            registry.add(spec)


def with_classic(registry: ActionRegistry) -> ActionRegistry:
    """A copy of ``registry`` with the actions only the classic (AMI 1.0) dialect has."""
    combined = ActionRegistry()
    for spec in registry:
        combined.add(spec)
    for spec in CLASSIC_QUEUE_ACTIONS:
        if combined.lookup(spec.name) is None:
            combined.add(spec)
    return combined


def _system(session: Session) -> QueueSystem:
    return queues_of(session.manager.pbx)


def _block(name: str, fields: list[tuple[str, object]], action_id: str) -> str:
    """A list item as app_queue writes it: its ActionID comes last."""
    text = f"Event: {name}\r\n" + "".join(f"{key}: {value}\r\n" for key, value in fields)
    if action_id:
        text += f"ActionID: {action_id}\r\n"
    return text + "\r\n"


def _listed(message: Message, text: str, items: list[str], complete: str) -> Response:
    action_id = message.head()[1]
    tail = f"ActionID: {action_id}\r\n" if action_id else ""
    done = f"Event: {complete}\r\n{tail}EventList: Complete\r\nListItems: {len(items)}\r\n\r\n"
    return Response("Success", text, (), "start", raw_events=(*items, done))


@action(
    "QueueStatus",
    Privilege.NONE,
    "Show queue status.",
    description="Check the status of one or more queues.",
    arguments=(
        Argument("Queue", "Limit the response to the status of the specified queue."),
        Argument("Member", "Limit the response to the status of the specified member."),
    ),
    since="0.2.0",
    list_responses=("QueueParams", "QueueMember", "QueueEntry"),
    final_response="QueueStatusComplete",
    provided_by=PROVIDER,
)
def queue_status(session: Session, message: Message) -> Response:
    system = _system(session)
    wanted, member_filter = message.get("queue"), message.get("member")
    action_id = message.head()[1]
    now = session.manager.pbx.clock()
    items: list[str] = []
    for queue in system.sorted():
        if wanted and queue.name.lower() != wanted.lower():
            continue
        perf, perf2 = queue.service_levels()
        s = queue.settings
        items.append(
            _block(
                "QueueParams",
                [
                    ("Queue", queue.name), ("Max", s.maxlen), ("Strategy", s.strategy),
                    ("Calls", len(queue.callers)), ("Holdtime", queue.holdtime),
                    ("TalkTime", queue.talktime), ("Completed", queue.completed),
                    ("Abandoned", queue.abandoned), ("ServiceLevel", s.servicelevel),
                    ("ServicelevelPerf", f"{perf:.1f}"), ("ServicelevelPerf2", f"{perf2:.1f}"),
                    ("Weight", s.weight),
                ],
                action_id,
            )
        )  # fmt: skip
        for member in queue.members.values():
            if member_filter and member_filter not in (member.interface, member.name):
                continue
            system.refresh(member, queue)
            snap = queue.snapshot(member)
            items.append(
                _block(
                    "QueueMember",
                    [
                        ("Queue", queue.name), ("Name", snap.name), ("Location", snap.interface),
                        ("StateInterface", snap.state_interface),
                        ("Membership", "dynamic" if snap.dynamic else "static"),
                        ("Penalty", snap.penalty), ("CallsTaken", snap.calls),
                        ("LastCall", snap.lastcall), ("LastPause", snap.lastpause),
                        ("LoginTime", snap.logintime), ("InCall", int(snap.in_call)),
                        ("Status", snap.status), ("Paused", int(snap.paused)),
                        ("PausedReason", snap.reason), ("Wrapuptime", snap.wrapuptime),
                    ],
                    action_id,
                )
            )  # fmt: skip
        for position, caller in enumerate(queue.callers, 1):
            channel = caller.channel
            items.append(
                _block(
                    "QueueEntry",
                    [
                        ("Queue", queue.name), ("Position", position), ("Channel", channel.name),
                        ("Uniqueid", channel.uniqueid),
                        ("CallerIDNum", channel.caller.number or "unknown"),
                        ("CallerIDName", channel.caller.name or "unknown"),
                        ("ConnectedLineNum", channel.connected.number or "unknown"),
                        ("ConnectedLineName", channel.connected.name or "unknown"),
                        ("Wait", int(now - caller.start)), ("Priority", caller.priority),
                    ],
                    action_id,
                )
            )  # fmt: skip
    return _listed(message, "Queue status will follow", items, "QueueStatusComplete")


@action(
    "QueueSummary",
    Privilege.NONE,
    "Show queue summary.",
    description="Request the manager to send a QueueSummary event.",
    arguments=(Argument("Queue", "Queue for which the summary is requested."),),
    since="1.4.0",
    list_responses=("QueueSummary",),
    final_response="QueueSummaryComplete",
    provided_by=PROVIDER,
)
def queue_summary(session: Session, message: Message) -> Response:
    system = _system(session)
    wanted = message.get("queue")
    action_id = message.head()[1]
    now = session.manager.pbx.clock()
    items = []
    for queue in system.sorted():
        if wanted and queue.name.lower() != wanted.lower():
            continue
        logged_in = available = 0
        for member in queue.members.values():
            system.refresh(member, queue)
            if member.status not in (UNAVAILABLE, INVALID):
                logged_in += 1
                if member.status in (NOT_INUSE, 0) and not member.paused:
                    available += 1
        longest = int(now - queue.callers[0].start) if queue.callers else 0
        items.append(
            _block(
                "QueueSummary",
                [
                    ("Queue", queue.name), ("LoggedIn", logged_in), ("Available", available),
                    ("Callers", len(queue.callers)), ("HoldTime", queue.holdtime),
                    ("TalkTime", queue.talktime), ("LongestHoldTime", longest),
                ],
                action_id,
            )
        )  # fmt: skip
    return _listed(message, "Queue summary will follow", items, "QueueSummaryComplete")


@action(
    "QueueAdd",
    Privilege.AGENT,
    "Add interface to queue.",
    arguments=(
        Argument("Queue", "Queue's name.", True),
        Argument("Interface", "The name of the interface (tech/name) to add to the queue.", True),
        Argument("Penalty", "A penalty (number) to apply to this member."),
        Argument("Paused", "To pause or not the member initially (true/false or 1/0)."),
        Argument("MemberName", "Text alias for the interface."),
        Argument("StateInterface", "The interface whose device state the member follows."),
        Argument("Reason", "The reason the member starts paused."),
    ),
    since="1.2.0",
    provided_by=PROVIDER,
)
def queue_add(session: Session, message: Message) -> Response:
    queue, interface = message.get("queue"), message.get("interface")
    if not queue:
        raise ActionError("'Queue' not specified.")
    if not interface:
        raise ActionError("'Interface' not specified.")
    penalty_text = message.get("penalty").strip()
    penalty = int(penalty_text) if penalty_text.isdigit() else 0
    status = _system(session).add_member(
        queue, interface, penalty=penalty, paused=is_true(message.get("paused")),
        name=message.get("membername"), state_interface=message.get("stateinterface"),
        reason=message.get("reason"),
    )  # fmt: skip
    if status == "ADDED":
        return success("Added interface to queue")
    if status == "MEMBERALREADY":
        raise ActionError("Unable to add interface: Already there")
    raise ActionError("Unable to add interface to queue: No such queue")


@action(
    "QueueRemove",
    Privilege.AGENT,
    "Remove interface from queue.",
    arguments=(
        Argument("Queue", "The name of the queue to take action on.", True),
        Argument("Interface", "The interface (tech/name) to remove from queue.", True),
    ),
    since="1.2.0",
    provided_by=PROVIDER,
)
def queue_remove(session: Session, message: Message) -> Response:
    queue, interface = message.get("queue"), message.get("interface")
    if not queue or not interface:
        raise ActionError("Need 'Queue' and 'Interface' parameters.")
    status = _system(session).remove_member(queue, interface)
    if status == "REMOVED":
        return success("Removed interface from queue")
    if status == "NOTINQUEUE":
        raise ActionError("Unable to remove interface: Not there")
    if status == "NOTDYNAMIC":
        raise ActionError("Member not dynamic")
    raise ActionError("Unable to remove interface from queue: No such queue")


@action(
    "QueuePause",
    Privilege.AGENT,
    "Makes a queue member temporarily unavailable.",
    arguments=(
        Argument("Interface", "The name of the interface (tech/name) to pause or unpause.", True),
        Argument("Paused", "Pause or unpause the interface. Set to 'true' to pause the member "
                 "or 'false' to unpause.", True),
        Argument("Queue", "The name of the queue in which to pause or unpause this member. "
                 "If not specified, the member will be paused or unpaused in all the queues "
                 "it is a member of."),
        Argument("Reason", "Text description, returned in the event QueueMemberPaused."),
    ),
    since="1.2.0",
    provided_by=PROVIDER,
)  # fmt: skip
def queue_pause(session: Session, message: Message) -> Response:
    interface, paused_text = message.get("interface"), message.get("paused")
    if not interface or not paused_text:
        raise ActionError("Need 'Interface' and 'Paused' parameters.")
    paused = is_true(paused_text)
    if not _system(session).pause(interface, paused, message.get("queue"), message.get("reason")):
        raise ActionError("Interface not found")
    return success(f"Interface {'paused' if paused else 'unpaused'} successfully")


@action(
    "QueuePenalty",
    Privilege.AGENT,
    "Set the penalty for a queue member.",
    arguments=(
        Argument("Interface", "The interface (tech/name) of the member whose penalty to change.",
                 True),
        Argument("Penalty", "The new penalty (number) for the member. Must be nonnegative.", True),
        Argument("Queue", "If specified, only set the penalty for the member of this queue. "
                 "Otherwise, set the penalty for the member in all queues to which the member "
                 "belongs."),
    ),
    since="1.6.0",
    provided_by=PROVIDER,
)  # fmt: skip
def queue_penalty(session: Session, message: Message) -> Response:
    interface, penalty_text = message.get("interface"), message.get("penalty")
    if not interface:
        raise ActionError("'Interface' not specified.")
    if not penalty_text:
        raise ActionError("'Penalty' not specified.")
    text = penalty_text.strip()
    penalty = int(text) if text.lstrip("-").isdigit() else 0
    if not _system(session).set_penalty(interface, penalty, message.get("queue")):
        raise ActionError("Invalid interface, queuename or penalty")
    return success("Interface penalty set successfully")


@action(
    "QueueMemberRingInUse",
    Privilege.AGENT,
    "Set the ringinuse value for a queue member.",
    arguments=(
        Argument("Interface", "The interface (tech/name) of the member.", True),
        Argument("RingInUse", "Whether the member may be rung while in use (yes/no).", True),
        Argument("Queue", "The queue (all of the member's queues when not given)."),
    ),
    since="12.0.0",
    provided_by=PROVIDER,
)
def queue_member_ring_in_use(session: Session, message: Message) -> Response:
    interface, value = message.get("interface"), message.get("ringinuse")
    if not interface:
        raise ActionError("'Interface' not specified.")
    if not value:
        raise ActionError("'RingInUse' not specified.")
    ringinuse = parse_bool(value)
    if ringinuse is None or not _system(session).set_ringinuse(
        interface, ringinuse, message.get("queue")
    ):
        raise ActionError("Invalid interface, queuename, or ringinuse value")
    return success("Interface ringinuse set successfully")


@action(
    "QueueLog",
    Privilege.AGENT,
    "Adds custom entry in queue_log.",
    arguments=(
        Argument("Queue", "The queue the entry is about.", True),
        Argument("Event", "The event name.", True),
        Argument("Uniqueid", "The call's unique id (NONE when not given)."),
        Argument("Interface", "The member the entry is about."),
        Argument("Message", "The entry's data."),
    ),
    since="1.4.0",
    provided_by=PROVIDER,
)
def queue_log_action(session: Session, message: Message) -> Response:
    queue, event = message.get("queue"), message.get("event")
    if not queue or not event:
        raise ActionError("Need 'Queue' and 'Event' parameters.")
    _system(session).queue_log.write(
        queue, message.get("uniqueid") or "NONE", message.get("interface"), event,
        message.get("message"),
    )  # fmt: skip
    return success("Event added successfully")


@action(
    "QueueReload",
    Privilege.NONE,
    "Reload a queue, queues, or any sub-section of a queue or queues.",
    arguments=(
        Argument("Queue", "The name of the queue to take action on. If no queue name is "
                 "specified, then all queues are affected."),
        Argument("Members", "Whether to reload the queue's members (yes or no)."),
        Argument("Rules", "Whether to reload queuerules.conf (yes or no)."),
        Argument("Parameters", "Whether to reload the other queue options (yes or no)."),
    ),
    since="1.6.0",
    provided_by=PROVIDER,
)  # fmt: skip
def queue_reload(session: Session, message: Message) -> Response:
    parts = [message.get(name) for name in ("members", "rules", "parameters")]
    everything = not any(parts)
    members = everything or is_true(parts[0])
    params = everything or is_true(parts[2])
    queue = message.get("queue")
    system = _system(session)
    if queue and system.get(queue) is None:
        raise ActionError("Error encountered while reloading queue")
    if system.reload(queue, members=members, params=params) != "Success":
        raise ActionError("Error encountered while reloading queue")
    return success("Queue reloaded successfully")


@action(
    "QueueReset",
    Privilege.NONE,
    "Reset queue statistics.",
    arguments=(Argument("Queue", "The name of the queue on which to reset statistics."),),
    since="1.6.0",
    provided_by=PROVIDER,
)
def queue_reset(session: Session, message: Message) -> Response:
    _system(session).reset_stats(message.get("queue"))
    return success("Queue stats reset successfully")


@CLASSIC_QUEUE_ACTIONS.action(
    "Queues",
    Privilege.NONE,
    "Queues.",
    description="Show queues information, as the CLI's queue show writes it (AMI 1.0).",
    provided_by=PROVIDER,
)
def queues(session: Session, message: Message) -> Response:
    system = _system(session)
    lines = [line for queue in system.sorted() for line in show_lines(system, queue)]
    return Response(raw_text="".join(f"{line}\r\n" for line in lines) + "\r\n")
