"""Recording applications: Monitor, StopMonitor, ChangeMonitor, PauseMonitor, UnpauseMonitor,
MixMonitor and StopMixMonitor (res_monitor and app_mixmonitor)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from ..recording import READ, WRITE, RecordingError, recorder_for
from . import application, split_args

if TYPE_CHECKING:
    from ..channel import Channel
    from ..recording import MixMonitorSession

log = logging.getLogger("pbxd.dialplan")

_OPTION = re.compile(r"([A-Za-z])(?:\(([^)]*)\))?")


def parse_options(text: str) -> dict[str, str]:
    """Asterisk's option letters, ``x`` or ``x(argument)``: letter to argument ("" if none)."""
    return {letter: argument for letter, argument in _OPTION.findall(text)}


def start_monitor_from_args(channel: Channel, data: str) -> bool:
    """Monitor([format[:urlbase]][,fname_base[,options]]); False when it could not start."""
    args = split_args(data)
    fmt = args[0].strip() if args else ""
    base = args[1].strip() if len(args) > 1 else ""
    options = parse_options(args[2]) if len(args) > 2 else {}
    fmt, _, urlbase = fmt.partition(":")
    record_in, record_out = "i" not in options, "o" not in options
    if "B" in options:
        log.debug("Monitor: the periodic beep needs media; not played")
    if urlbase and base:
        cdr = getattr(channel, "cdr", None)
        if cdr is not None:
            cdr["userfield"] = f"{urlbase}/{base}.{'wav' if fmt != 'gsm' else 'gsm'}"
    if "b" in options:
        # As Asterisk does: remember the request; it starts when the channel is bridged.
        head, sep, tail = data.rpartition(",")
        channel.set_variable("AUTO_MONITOR", head + sep + tail.replace("b", "X", 1))
        return True
    recorder = recorder_for(channel.pbx)
    try:
        session = recorder.start_monitor(channel, fmt, base, record_in, record_out)
    except RecordingError as exc:
        log.warning("%s", exc)
        return False
    if session is None and not recorder.change_monitor(channel, base):
        return False
    monitor = recorder.monitors.get(channel)
    if monitor is not None:
        join = "m" in options
        if join and not (record_in and record_out):
            log.warning("Won't mix streams unless both input and output streams are recorded")
            join = False
        monitor.join = join
    return True


@application(
    "Monitor",
    "Monitor a channel.",
    "Monitor([file_format[:urlbase],[fname_base,[options]]])",
    "Used to start monitoring a channel. The channel's input and output voice packets are "
    "logged to files until the channel hangs up or monitoring is stopped by the StopMonitor "
    "application.",
)
async def monitor(channel: Channel, data: str) -> None:
    if not data.strip():
        log.error("Monitor requires an argument")
        return
    start_monitor_from_args(channel, data)


@application("StopMonitor", "Stop monitoring a channel.", "StopMonitor()")
async def stop_monitor(channel: Channel, data: str) -> None:
    recorder_for(channel.pbx).stop_monitor(channel)


@application(
    "ChangeMonitor", "Change monitoring filename of a channel.", "ChangeMonitor(filename_base)"
)
async def change_monitor(channel: Channel, data: str) -> None:
    recorder_for(channel.pbx).change_monitor(channel, data.strip())


@application("PauseMonitor", "Pause monitoring of a channel.", "PauseMonitor()")
async def pause_monitor(channel: Channel, data: str) -> None:
    recorder_for(channel.pbx).set_monitor_paused(channel, True)


@application("UnpauseMonitor", "Unpause monitoring of a channel.", "UnpauseMonitor()")
async def unpause_monitor(channel: Channel, data: str) -> None:
    recorder_for(channel.pbx).set_monitor_paused(channel, False)


def _volume(options: dict[str, str], letter: str, what: str) -> int | None:
    """A volume option (-4..4) as an audiohook factor: 2**x, or -(2**|x|) to divide."""
    if letter not in options:
        return None
    text = options[letter].strip()
    if not text:
        log.warning("No volume level was provided for the %s volume ('%s') option.", what, letter)
        return None
    try:
        level = int(text)
    except ValueError:
        level = 99
    if not -4 <= level <= 4:
        log.info("%s volume must be a number between -4 and 4, not '%s'", what.title(), text)
        return None
    return 0 if level == 0 else (1 << level if level > 0 else -(1 << -level))


def start_mixmonitor(channel: Channel, data: str) -> MixMonitorSession:
    """MixMonitor(filename.ext[,options[,command]]); raises RecordingError when it cannot."""
    if not data.strip():
        raise RecordingError(
            "MixMonitor requires an argument (filename or ,t(filename) and/or r(filename)"
        )
    args = split_args(data)
    filename = args[0].strip()
    options = parse_options(args[1]) if len(args) > 1 else {}
    command = args[2] if len(args) > 2 else ""
    if not filename and "r" not in options and "t" not in options:
        raise RecordingError("MixMonitor requires an argument (filename)")
    gains: dict[str, int] = {}
    heard = _volume(options, "v", "heard")
    spoken = _volume(options, "V", "spoken")
    both = _volume(options, "W", "combined")
    if heard is not None:
        gains[READ] = heard
    if spoken is not None:
        gains[WRITE] = spoken
    if both is not None:
        gains[READ] = gains[WRITE] = both
    if command:
        from ..engine import substitute

        command = substitute(channel.pbx, channel, command.replace("^{", "${"))
    recorder = recorder_for(channel.pbx)
    session = recorder.start_mixmonitor(
        channel,
        filename,
        append="a" in options,
        bridged_only="b" in options,
        read_file=options.get("r", "").strip(),
        write_file=options.get("t", "").strip(),
        gains=gains,
        command=command,
    )
    channel.set_variable("MIXMONITOR_FILENAME", session.filename)
    uid_variable = options.get("i", "").strip()
    if uid_variable:
        channel.set_variable(uid_variable, session.ident)
    return session


@application(
    "MixMonitor",
    "Record a call and mix the audio during the recording.  Use of StopMixMonitor is required "
    "to guarantee the audio file is available for processing during dialplan execution.",
    "MixMonitor(filename.extension[,options[,command]])",
    "Records the audio on the current channel to the specified file. Relative names are "
    "created in the monitor directory.",
)
async def mixmonitor(channel: Channel, data: str) -> None:
    try:
        start_mixmonitor(channel, data)
    except RecordingError as exc:
        log.warning("%s", exc)


@application(
    "StopMixMonitor",
    "Stop recording a call through MixMonitor, and free the recording's file handle.",
    "StopMixMonitor([MixMonitorID])",
)
async def stop_mixmonitor(channel: Channel, data: str) -> None:
    recorder_for(channel.pbx).stop_mixmonitor(channel, data.strip())
