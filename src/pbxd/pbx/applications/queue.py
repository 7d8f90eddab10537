"""Queue and the queue member applications: AddQueueMember, RemoveQueueMember,
PauseQueueMember, UnpauseQueueMember and QueueLog (app_queue's)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .. import causes
from ..queues import queues_of
from ..queues.calling import QueueRequest, enter_queue
from . import application, split_args

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.queues")


def _arg(args: list[str], index: int) -> str:
    return args[index].strip() if len(args) > index else ""


def _own_interface(channel: Channel) -> str:
    """``SIP/100-00000001`` → ``SIP/100``: a channel's device, its default interface."""
    head, dash, _ = channel.name.rpartition("-")
    return head if dash else channel.name


@application(
    "Queue",
    "Queue a call for a call queue.",
    "Queue(queuename[,options[,URL[,announceoverride[,timeout[,AGI[,macro[,gosub[,rule"
    "[,position]]]]]]]]])",
    "Waits in the queue until a member answers, the timeout passes or an empty-queue rule "
    "applies; sets QUEUESTATUS (TIMEOUT, FULL, JOINEMPTY, LEAVEEMPTY, JOINUNAVAIL, "
    "LEAVEUNAVAIL, CONTINUE). Options: c continue when the member hangs up, n no retries.",
)
async def queue_app(channel: Channel, data: str) -> None:
    args = split_args(data)
    name = _arg(args, 0)
    if not name:
        log.warning(
            "Queue requires an argument: queuename[,options[,URL[,announceoverride[,timeout"
            "[,agi[,gosub[,rule[,position]]]]]]]]"
        )
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    timeout = _number(_arg(args, 4), "timeout")
    position = int(_number(_arg(args, 9), "position") or 0)
    options = _arg(args, 1)
    request = QueueRequest(name, options, _arg(args, 2), timeout or None, position)
    outcome = await enter_queue(channel, request)
    if outcome.status:
        channel.set_variable("QUEUESTATUS", outcome.status)
        return
    if outcome.ender == "callee" and "c" in options and not channel.hangup_requested:
        channel.set_variable("QUEUESTATUS", "CONTINUE")
        return
    if outcome.ender and not channel.hangup_requested:
        channel.request_hangup(causes.NORMAL_CLEARING)


def _number(text: str, what: str) -> float:
    if not text:
        return 0.0
    try:
        return max(float(text), 0.0)
    except ValueError:
        log.warning("Queue: ignoring invalid %s '%s'", what, text)
        return 0.0


@application(
    "AddQueueMember",
    "Dynamically adds queue members.",
    "AddQueueMember(queuename[,interface[,penalty[,options[,membername[,stateinterface"
    "[,wrapuptime]]]]]])",
    "Adds the interface (default: the channel's own device) to the queue; sets AQMSTATUS "
    "(ADDED, MEMBERALREADY, NOSUCHQUEUE).",
)
async def add_queue_member(channel: Channel, data: str) -> None:
    args = split_args(data)
    queue = _arg(args, 0)
    if not queue:
        log.warning(
            "AddQueueMember requires an argument (queuename[,interface[,penalty[,options"
            "[,membername[,stateinterface][,wrapuptime]]]]])"
        )
        return
    interface = _arg(args, 1) or _own_interface(channel)
    penalty_text = _arg(args, 2)
    penalty = 0
    if penalty_text:
        if penalty_text.isdigit():
            penalty = int(penalty_text)
        else:
            log.warning("Penalty '%s' is invalid, must be an integer >= 0", penalty_text)
    wrapup = _arg(args, 6)
    status = queues_of(channel.pbx).add_member(
        queue, interface, penalty=penalty, name=_arg(args, 4), state_interface=_arg(args, 5),
        wrapuptime=int(wrapup) if wrapup.isdigit() else None, callid=channel.uniqueid,
    )  # fmt: skip
    if status == "MEMBERALREADY":
        log.warning("Unable to add interface '%s' to queue '%s': Already there", interface, queue)
    elif status == "NOSUCHQUEUE":
        log.warning("Unable to add interface to queue '%s': No such queue", queue)
    channel.set_variable("AQMSTATUS", status)


@application(
    "RemoveQueueMember",
    "Dynamically removes queue members.",
    "RemoveQueueMember(queuename[,interface])",
    "Sets RQMSTATUS (REMOVED, NOTINQUEUE, NOSUCHQUEUE, NOTDYNAMIC).",
)
async def remove_queue_member(channel: Channel, data: str) -> None:
    args = split_args(data)
    queue = _arg(args, 0)
    if not queue:
        log.warning("RemoveQueueMember requires an argument (queuename[,interface])")
        return
    interface = _arg(args, 1) or _own_interface(channel)
    status = queues_of(channel.pbx).remove_member(queue, interface, channel.uniqueid)
    if status == "NOTINQUEUE":
        log.warning("Unable to remove interface '%s' from queue '%s': Not there", interface, queue)
    elif status == "NOSUCHQUEUE":
        log.warning("Unable to remove interface from queue '%s': No such queue", queue)
    elif status == "NOTDYNAMIC":
        log.warning(
            "Unable to remove interface from queue '%s': '%s' is not a dynamic member",
            queue,
            interface,
        )
    channel.set_variable("RQMSTATUS", status)


async def _pause(channel: Channel, data: str, paused: bool) -> None:
    args = split_args(data)
    name = "PauseQueueMember" if paused else "UnpauseQueueMember"
    interface = _arg(args, 1)
    if not interface:
        log.warning("%s requires an argument ([queuename],interface[,options][,reason])", name)
        return
    found = queues_of(channel.pbx).pause(
        interface, paused, _arg(args, 0), _arg(args, 3), channel.uniqueid
    )
    if not found:
        log.warning("Attempt to %s interface %s, not found", "pause" if paused else "unpause",
                    interface)  # fmt: skip
    variable = "PQMSTATUS" if paused else "UPQMSTATUS"
    channel.set_variable(variable, ("PAUSED" if paused else "UNPAUSED") if found else "NOTFOUND")


@application(
    "PauseQueueMember",
    "Pauses a queue member.",
    "PauseQueueMember([queuename],interface[,options[,reason]])",
    "Pauses the interface in the queue (in every queue without one); sets PQMSTATUS "
    "(PAUSED, NOTFOUND).",
)
async def pause_queue_member(channel: Channel, data: str) -> None:
    await _pause(channel, data, True)


@application(
    "UnpauseQueueMember",
    "Unpauses a queue member.",
    "UnpauseQueueMember([queuename],interface[,options[,reason]])",
    "Unpauses the interface; sets UPQMSTATUS (UNPAUSED, NOTFOUND).",
)
async def unpause_queue_member(channel: Channel, data: str) -> None:
    await _pause(channel, data, False)


@application(
    "QueueLog",
    "Writes to the queue_log file.",
    "QueueLog(queuename,uniqueid,agent,event[,additionalinfo])",
    "Writes a custom line to the queue_log.",
)
async def queue_log_app(channel: Channel, data: str) -> None:
    args = split_args(data)
    queue, uniqueid, agent, event = (_arg(args, i) for i in range(4))
    if not (queue and uniqueid and agent and event):
        log.warning("QueueLog requires arguments (queuename,uniqueid,agent,event[,additionalinfo])")
        return
    queues_of(channel.pbx).queue_log.write(queue, uniqueid, agent, event, _arg(args, 4))
