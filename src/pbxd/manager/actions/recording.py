"""Recording: Monitor, StopMonitor, ChangeMonitor, PauseMonitor, UnpauseMonitor (res_monitor);
MixMonitor, StopMixMonitor, MixMonitorMute (app_mixmonitor)."""

from __future__ import annotations

import logging

from ...config.values import is_true
from ...pbx.applications.recording import parse_options, start_mixmonitor
from ...pbx.recording import RecordingError, recorder_for
from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, success
from ..session import Session
from .lookup import NO_CHANNEL, required_channel

log = logging.getLogger("pbxd.manager")


@action(
    "Monitor",
    Privilege.CALL,
    "Monitor a channel.",
    description="This action may be used to record the audio on a specified channel.",
    arguments=(
        Argument("Channel", "Used to specify the channel to record.", True),
        Argument(
            "File",
            "Is the name of the file created in the monitor spool directory. Defaults to the "
            "same name as the channel (with slashes replaced with dashes).",
        ),
        Argument("Format", "Is the audio recording format. Defaults to wav."),
        Argument(
            "Mix",
            "Boolean parameter as to whether to mix the input and output channels together "
            "after the recording is finished.",
        ),
    ),
    since="0.4.0",
    provided_by="res_monitor",
)
def monitor(session: Session, message: Message) -> Response:
    found = required_channel(session, message.get("channel"))
    base = message.get("file") or found.name.replace("/", "-")
    recorder = recorder_for(session.manager.pbx)
    try:
        started = recorder.start_monitor(found, message.get("format"), base)
    except RecordingError as exc:
        log.warning("%s", exc)
        return error("Could not start monitoring channel")
    if started is None and not recorder.change_monitor(found, base):
        return error("Could not start monitoring channel")
    monitor_session = recorder.monitors.get(found)
    if monitor_session is not None and is_true(message.get("mix")):
        monitor_session.join = True
    return success("Started monitoring channel")


@action(
    "StopMonitor",
    Privilege.CALL,
    "Stop monitoring a channel.",
    description="This action may be used to end a previously started 'Monitor' action.",
    arguments=(Argument("Channel", "The name of the channel monitored.", True),),
    since="0.4.0",
    provided_by="res_monitor",
)
def stop_monitor(session: Session, message: Message) -> Response:
    found = required_channel(session, message.get("channel"))
    recorder_for(session.manager.pbx).stop_monitor(found)
    return success("Stopped monitoring channel")


@action(
    "ChangeMonitor",
    Privilege.CALL,
    "Change monitoring filename of a channel.",
    description="This action may be used to change the file started by a previous 'Monitor' "
    "action.",
    arguments=(
        Argument("Channel", "Used to specify the channel to record.", True),
        Argument(
            "File", "Is the new name of the file created in the monitor spool directory.", True
        ),
    ),
    since="1.0.0",
    provided_by="res_monitor",
)
def change_monitor(session: Session, message: Message) -> Response:
    if not message.get("channel"):
        return error(NO_CHANNEL)
    base = message.get("file")
    if not base:
        return error("No filename specified")
    found = required_channel(session, message.get("channel"))
    if not recorder_for(session.manager.pbx).change_monitor(found, base):
        return error("Could not change monitored filename of channel")
    return success("Changed monitor filename")


def _pause(session: Session, message: Message, paused: bool) -> Response:
    found = required_channel(session, message.get("channel"))
    recorder_for(session.manager.pbx).set_monitor_paused(found, paused)
    return success(
        "Paused monitoring of the channel" if paused else "Unpaused monitoring of the channel"
    )


@action(
    "PauseMonitor",
    Privilege.CALL,
    "Pause monitoring of a channel.",
    description="This action may be used to temporarily stop the recording of a channel.",
    arguments=(Argument("Channel", "Used to specify the channel to record.", True),),
    since="1.4.0",
    provided_by="res_monitor",
)
def pause_monitor(session: Session, message: Message) -> Response:
    return _pause(session, message, True)


@action(
    "UnpauseMonitor",
    Privilege.CALL,
    "Unpause monitoring of a channel.",
    description="This action may be used to re-enable recording of a channel after calling "
    "PauseMonitor.",
    arguments=(Argument("Channel", "Used to specify the channel to record.", True),),
    since="1.4.0",
    provided_by="res_monitor",
)
def unpause_monitor(session: Session, message: Message) -> Response:
    return _pause(session, message, False)


@action(
    "MixMonitor",
    Privilege.SYSTEM,
    "Record a call and mix the audio during the recording.  Use of StopMixMonitor is required "
    "to guarantee the audio file is available for processing during dialplan execution.",
    description="This action records the audio on the current channel to the specified file.",
    arguments=(
        Argument("Channel", "Used to specify the channel to record.", True),
        Argument(
            "File",
            "Is the name of the file created in the monitor spool directory. It is optional "
            "if unidirectional audio is recorded with the r(filename) or t(filename) options.",
        ),
        Argument("options", "Options that apply to the MixMonitor as in the application."),
        Argument(
            "Command",
            "Will be executed when the recording is over. Any strings matching ^{X} will be "
            "unescaped to ${X}. All variables will be evaluated at the time MixMonitor is "
            "called.",
        ),
    ),
    since="11.0.0",
    provided_by="app_mixmonitor",
)
def mixmonitor(session: Session, message: Message) -> Response:
    found = required_channel(session, message.get("channel"))
    args = f"{message.get('file')},{message.get('options')},{message.get('command')}"
    try:
        started = start_mixmonitor(found, args)
    except RecordingError as exc:
        log.warning("%s", exc)
        return error("Could not start monitoring channel")
    if parse_options(message.get("options")).get("i", "").strip():
        return success(None, (("MixMonitorID", started.ident),))
    return success()


@action(
    "StopMixMonitor",
    Privilege.SYSTEM | Privilege.CALL,
    "Stop recording a call through MixMonitor, and free the recording's file handle.",
    description="This action stops the audio recording that was started with the MixMonitor "
    "action on the current channel.",
    arguments=(
        Argument("Channel", "The name of the channel monitored.", True),
        Argument(
            "MixMonitorID",
            "If a valid ID is provided, then this command will stop only that specific MixMonitor.",
        ),
    ),
    since="11.0.0",
    provided_by="app_mixmonitor",
)
def stop_mixmonitor(session: Session, message: Message) -> Response:
    found = required_channel(session, message.get("channel"))
    recorder = recorder_for(session.manager.pbx)
    if not recorder.stop_mixmonitor(found, message.get("mixmonitorid")):
        return error("Could not stop monitoring channel")
    return success()


@action(
    "MixMonitorMute",
    Privilege.SYSTEM | Privilege.CALL,
    "Mute / unMute a Mixmonitor recording.",
    description="This action may be used to mute a MixMonitor recording.",
    arguments=(
        Argument("Channel", "Used to specify the channel to mute.", True),
        Argument(
            "Direction",
            "Which part of the recording to mute:  read, write or both (from channel, to "
            "channel or both channels).",
        ),
        Argument("State", "Turn mute on or off : 1 to turn on, 0 to turn off."),
    ),
    since="1.8.0",
    provided_by="app_mixmonitor",
)
def mixmonitor_mute(session: Session, message: Message) -> Response:
    direction = message.get("direction").lower()
    if not direction:
        return error("No direction specified. Must be read, write or both")
    if direction not in ("read", "write", "both"):
        return error("Invalid direction specified. Must be read, write or both")
    if not message.get("channel"):
        return error(NO_CHANNEL)
    state = message.get("state")
    if not state:
        return error("No state specified")
    found = required_channel(session, message.get("channel"))
    muted = not _is_false(state)
    if not recorder_for(session.manager.pbx).mute_mixmonitor(found, direction, muted):
        return error("Cannot set mute flag")
    return success()


def _is_false(text: str) -> bool:
    """ast_false: no, false, n, f, 0, off."""
    return text.strip().lower() in ("no", "false", "n", "f", "0", "off")
