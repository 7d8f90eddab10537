"""Call recording: WAV files, Monitor (two legs) and MixMonitor (one mixed file) sessions.

Files are RIFF/WAVE, 16-bit signed little-endian PCM, 8000 Hz mono, written with ``wave``.
A recording holds exactly the time it ran on the PBX clock (paused time excluded): the
audio of a channel with media (``channel.media``, a SIP call) reaches it through a tap on
the channel's media port, and silence pads the gaps (all of it for channels without media).

Directions, as Asterisk's audiohooks name them: ``read`` is what the channel receives
from its far end (Monitor's ``-in`` leg), ``write`` what it sends to it (``-out``).
"""

from __future__ import annotations

import itertools
import logging
import os
import shlex
import subprocess
import wave
import weakref
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.directories import Directories
from .events import BridgeEntered, BridgeLeft, HungUp

if TYPE_CHECKING:
    from .channel import Channel, ChannelSnapshot
    from .clock import TimerHandle
    from .core import PBX
    from .media import Frame

log = logging.getLogger("pbxd.recording")

RATE = 8000
SAMPLE_WIDTH = 2
READ, WRITE = "read", "write"
DIRECTIONS = (READ, WRITE)
SYNC_INTERVAL = 1.0  # seconds between silence flushes while a recording runs
_SILENCE_CHUNK = bytes(RATE * SAMPLE_WIDTH)


class RecordingError(Exception):
    """A recording could not be started (a file that cannot be created, a bad format...)."""


# -- bus events ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonitorStarted:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class MonitorStopped:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class MixMonitorStarted:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class MixMonitorStopped:
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True)
class MixMonitorMuted:
    channel: ChannelSnapshot
    direction: str  # "read", "write" or "both"
    state: bool


# -- WAV files -------------------------------------------------------------------------


class WavWriter:
    """One WAV file being written; ``frames`` counts the samples in it."""

    def __init__(self, path: Path, append: bool = False) -> None:
        self.path = path
        existing = b""
        if append and path.exists():
            try:
                with wave.open(str(path), "rb") as old:
                    if (old.getnchannels(), old.getsampwidth(), old.getframerate()) == (
                        1,
                        SAMPLE_WIDTH,
                        RATE,
                    ):
                        existing = old.readframes(old.getnframes())
            except (OSError, EOFError, wave.Error) as exc:
                log.warning("Cannot append to %s (%s): starting it afresh", path, exc)
        try:
            self._wav = wave.open(str(path), "wb")  # noqa: SIM115 - open while recording
        except OSError as exc:
            raise RecordingError(f"Could not create file {path}: {exc.strerror or exc}") from exc
        self._wav.setnchannels(1)
        self._wav.setsampwidth(SAMPLE_WIDTH)
        self._wav.setframerate(RATE)
        self.frames = 0
        self.closed = False
        if existing:
            self.write(existing)

    def write(self, pcm: bytes) -> None:
        if self.closed or not pcm:
            return
        self._wav.writeframesraw(pcm)
        self.frames += len(pcm) // SAMPLE_WIDTH

    def write_silence(self, frames: int) -> None:
        while frames > 0:
            chunk = min(frames, RATE)
            self.write(_SILENCE_CHUNK[: chunk * SAMPLE_WIDTH])
            frames -= chunk

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._wav.close()  # patches the RIFF/data sizes


def read_wav(path: Path) -> array:
    """The samples of a 16-bit mono WAV file."""
    with wave.open(str(path), "rb") as wav:
        samples = array("h")
        samples.frombytes(wav.readframes(wav.getnframes()))
    return samples


def mix_files(sources: Iterable[Path], target: Path, average: bool = True) -> None:
    """Mix WAV files into ``target`` (``sox -m`` style: averaged, so nothing clips)."""
    tracks = [read_wav(path) for path in sources]
    length = max((len(t) for t in tracks), default=0)
    mixed = array("h", bytes(length * SAMPLE_WIDTH))
    divisor = len(tracks) if average and tracks else 1
    for track in tracks:
        for i, sample in enumerate(track):
            mixed[i] = _clip(mixed[i] + sample // divisor)
    writer = WavWriter(target)
    writer.write(mixed.tobytes())
    writer.close()


def _clip(value: int) -> int:
    return 32767 if value > 32767 else -32768 if value < -32768 else value


# -- tracks and sessions ---------------------------------------------------------------


class Track:
    """One output file fed by one or more directions, mixed sample by sample."""

    def __init__(self, path: Path, directions: tuple[str, ...], append: bool = False) -> None:
        self.path = path
        self.directions = directions
        self.writer = WavWriter(path, append)
        self.pending: dict[str, array] = {d: array("h") for d in directions}

    def feed(self, direction: str, samples: array) -> None:
        if direction in self.pending:
            self.pending[direction].extend(samples)

    def advance(self, frames: int) -> None:
        """Write ``frames`` samples: fed audio mixed, silence where none was fed."""
        if frames <= 0:
            return
        heads = [p for p in self.pending.values() if p]
        if not heads:
            self.writer.write_silence(frames)
            return
        out = array("h", bytes(frames * SAMPLE_WIDTH))
        for direction, buffer in self.pending.items():
            take = min(len(buffer), frames)
            for i in range(take):
                out[i] = _clip(out[i] + buffer[i])
            self.pending[direction] = buffer[take:]
        self.writer.write(out.tobytes())

    def close(self) -> None:
        self.writer.close()


class RecordingSession:
    """A recording on one channel, timed by the PBX clock.

    ``frames`` = 8000 x the seconds it has run (not paused, and for ``bridged_only`` ones
    only while the channel is in a bridge).
    """

    kind = "recording"

    def __init__(self, recorder: Recorder, channel: Channel, tracks: list[Track]) -> None:
        self.recorder = recorder
        self.channel = channel
        self.tracks = tracks
        self.clock = recorder.pbx.clock
        self.paused = False
        self.bridged_only = False
        self.muted: set[str] = set()
        self.gain: dict[str, int] = {}
        self.stopped = False
        self._frames = 0  # frames accounted before the current run
        self._since: float | None = self.clock()
        self._timer: TimerHandle | None = None
        self._schedule()
        if channel.media is not None:  # the technology's audio reaches the files
            channel.media.add_tap(self._tap)

    def _tap(self, direction: str, frame: Frame) -> None:
        self.feed(direction, frame.pcm())

    # -- time ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._since is not None

    def _target(self) -> int:
        if self._since is None:
            return self._frames
        return self._frames + int(round((self.clock() - self._since) * RATE))

    def sync(self) -> None:
        """Bring every file up to now (silence for time nobody fed)."""
        if self.stopped:
            return
        target = self._target()
        for track in self.tracks:
            track.advance(target - track.writer.frames)

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        if not self.stopped and self.running:
            self._timer = self.clock.call_later(SYNC_INTERVAL, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if not self.stopped:
            self.sync()
            self._schedule()

    def _update_running(self) -> None:
        want = not self.paused and (not self.bridged_only or bool(self.channel.bridge_id))
        if want == self.running:
            return
        if want:
            self._since = self.clock()
        else:
            self.sync()
            self._frames = self._target()
            self._since = None
        self._schedule()

    def pause(self) -> None:
        self.paused = True
        self._update_running()

    def unpause(self) -> None:
        self.paused = False
        self._update_running()

    # -- media --------------------------------------------------------------------------

    def feed(self, direction: str, pcm: bytes) -> None:
        """Audio from the technology: 16-bit signed little-endian 8 kHz mono samples."""
        if self.stopped or not self.running or direction not in DIRECTIONS:
            return
        self.sync()  # the fed audio starts now
        samples = array("h")
        samples.frombytes(pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH])
        if direction in self.muted:
            samples = array("h", bytes(len(samples) * SAMPLE_WIDTH))
        factor = self.gain.get(direction, 0)
        if factor:
            samples = array(
                "h",
                (_clip(s * factor if factor > 0 else int(s / -factor)) for s in samples),
            )
        for track in self.tracks:
            track.feed(direction, samples)

    # -- ending -------------------------------------------------------------------------

    def stop(self) -> None:
        """Close the files (the channel hung up or the recording was stopped)."""
        if self.stopped:
            return
        self.sync()
        self.stopped = True
        if self.channel.media is not None:
            self.channel.media.remove_tap(self._tap)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for track in self.tracks:
            track.close()
        self.recorder._forget(self)
        self.finish()

    def finish(self) -> None:
        """Work after the files are closed (renames, mixing, commands)."""


def _ensure_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordingError(f"Unable to create directory {path}: {exc.strerror}") from exc


class MonitorSession(RecordingSession):
    """res_monitor: ``<base>-in.<format>`` and ``<base>-out.<format>``, optionally mixed."""

    kind = "monitor"

    def __init__(
        self,
        recorder: Recorder,
        channel: Channel,
        base: Path,
        read_path: Path | None,
        write_path: Path | None,
        fmt: str,
        renamed: bool,
    ) -> None:
        tracks: list[Track] = []
        try:
            if read_path is not None:
                tracks.append(Track(read_path, (READ,)))
            if write_path is not None:
                tracks.append(Track(write_path, (WRITE,)))
        except RecordingError:
            for track in tracks:
                track.close()
            raise
        self.read_path, self.write_path = read_path, write_path
        self.base = base
        self.format = fmt
        self.filename_changed = renamed
        self.join = False
        super().__init__(recorder, channel, tracks)

    def change_base(self, base: Path) -> None:
        """ChangeMonitor: the files take this base name when the recording ends."""
        self.base = base
        self.filename_changed = True

    def final_path(self, leg: str) -> Path:
        return Path(f"{self.base}-{leg}.{self.format}")

    def finish(self) -> None:
        legs = []
        for leg, path in (("in", self.read_path), ("out", self.write_path)):
            if path is None:
                continue
            final = self.final_path(leg)
            if self.filename_changed and final != path:
                try:
                    if path.exists():
                        final.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(path, final)
                    else:
                        log.warning("File %s not found", path)
                        continue
                except OSError as exc:
                    log.warning("Unable to rename %s to %s: %s", path, final, exc.strerror)
                    final = path
            legs.append(final)
        if self.join and len(legs) == 2:
            target = Path(f"{self.base}.{self.format}")
            try:
                mix_files(legs, target)
            except (OSError, wave.Error, RecordingError) as exc:
                log.warning("Unable to mix %s: %s", target, exc)
            else:
                for leg_path in legs:
                    leg_path.unlink(missing_ok=True)


class MixMonitorSession(RecordingSession):
    """app_mixmonitor: one file with both directions mixed, plus optional r()/t() legs."""

    kind = "mixmonitor"

    def __init__(
        self,
        recorder: Recorder,
        channel: Channel,
        paths: list[tuple[Path, tuple[str, ...]]],
        append: bool,
        ident: str,
        command: str = "",
    ) -> None:
        tracks: list[Track] = []
        try:
            for path, directions in paths:
                tracks.append(Track(path, directions, append))
        except RecordingError:
            for track in tracks:
                track.close()
            raise
        self.ident = ident
        self.command = command
        super().__init__(recorder, channel, tracks)

    @property
    def filename(self) -> str:
        mixed = [t for t in self.tracks if len(t.directions) == 2]
        return str(mixed[0].path) if mixed else ""

    def finish(self) -> None:
        if self.command:
            log.info("Executing [%s]", self.command)
            try:
                subprocess.Popen(  # noqa: S602 - the dialplan's own post-processing command
                    self.command,
                    shell=True,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except OSError as exc:
                log.warning("Execute of %s failed: %s", shlex.quote(self.command), exc)


# -- the recorder ------------------------------------------------------------------------


class Recorder:
    """Every recording of one PBX; files go under ``monitor_dir`` unless given absolutely."""

    def __init__(self, pbx: PBX, monitor_dir: Path | None = None) -> None:
        self.pbx = pbx
        self.monitor_dir = Path(monitor_dir or Directories().monitor_dir)
        self.monitors: dict[Channel, MonitorSession] = {}
        self.mixmonitors: dict[Channel, list[MixMonitorSession]] = {}
        self._sequence = itertools.count()
        self._ids = itertools.count(1)
        pbx.bus.subscribe(self._on_event, (HungUp, BridgeEntered, BridgeLeft))

    # -- Monitor ------------------------------------------------------------------------

    def start_monitor(
        self,
        channel: Channel,
        fmt: str = "",
        base: str = "",
        record_in: bool = True,
        record_out: bool = True,
    ) -> MonitorSession | None:
        """Start Monitor; None if the channel is already monitored (as Asterisk returns -1)."""
        if channel in self.monitors:
            log.debug("Cannot start monitoring %s, already monitored", channel.name)
            return None
        fmt = fmt or "wav"
        if fmt != "wav":
            raise RecordingError(f"No such format '{fmt}': pbxd records wav only")
        _ensure_dir(self.monitor_dir)
        if base:
            full = self.resolve(base)
            if "/" in base:
                _ensure_dir(full.parent)
            read_path, write_path = Path(f"{full}-in.{fmt}"), Path(f"{full}-out.{fmt}")
            renamed = False
        else:
            sequence = next(self._sequence)
            read_path = self.monitor_dir / f"audio-in-{sequence}.{fmt}"
            write_path = self.monitor_dir / f"audio-out-{sequence}.{fmt}"
            name = channel.name.replace("/", "-")
            full = self.monitor_dir / f"{int(self.pbx.clock())}-{name}"
            renamed = True
        session = MonitorSession(
            self,
            channel,
            full,
            read_path if record_in else None,
            write_path if record_out else None,
            fmt,
            renamed,
        )
        self.monitors[channel] = session
        channel.set_variable("__MONITORED", "true")
        self.pbx.bus.publish(MonitorStarted(channel.snapshot()))
        return session

    def stop_monitor(self, channel: Channel) -> bool:
        """StopMonitor; False if the channel was not monitored (never an error in Asterisk)."""
        session = self.monitors.get(channel)
        channel.delete_variable("AUTO_MONITOR")
        if session is None:
            return False
        session.stop()
        channel.delete_variable("MONITORED")
        self.pbx.bus.publish(MonitorStopped(channel.snapshot()))
        return True

    def change_monitor(self, channel: Channel, base: str) -> bool:
        """ChangeMonitor; False for an empty name. A channel not monitored is only warned."""
        if not base:
            log.warning("Cannot change monitor filename of channel %s to null", channel.name)
            return False
        session = self.monitors.get(channel)
        if session is None:
            log.warning(
                "Cannot change monitor filename of channel %s to %s, monitoring not started",
                channel.name,
                base,
            )
            return True
        full = self.resolve(base)
        if "/" in base:
            try:
                full.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.error("Unable to compare filenames: %s", exc.strerror)
                return True
        session.change_base(full)
        return True

    def set_monitor_paused(self, channel: Channel, paused: bool) -> bool:
        session = self.monitors.get(channel)
        if session is None:
            return False
        if paused:
            session.pause()
        else:
            session.unpause()
        return True

    # -- MixMonitor ---------------------------------------------------------------------

    def start_mixmonitor(
        self,
        channel: Channel,
        filename: str,
        *,
        append: bool = False,
        bridged_only: bool = False,
        read_file: str = "",
        write_file: str = "",
        gains: dict[str, int] | None = None,
        command: str = "",
    ) -> MixMonitorSession:
        paths: list[tuple[Path, tuple[str, ...]]] = []
        for name, directions in (
            (filename, DIRECTIONS),
            (read_file, (READ,)),
            (write_file, (WRITE,)),
        ):
            if not name:
                continue
            path = self.resolve(name)
            _ensure_dir(path.parent)
            stem, dot, ext = path.name.rpartition(".")
            if not dot or not stem:
                raise RecordingError(f"Cannot open {path}.raw: pbxd records wav only")
            if ext != "wav":
                raise RecordingError(f"Cannot open {path}: pbxd records wav only")
            paths.append((path, directions))
        if not paths:
            raise RecordingError("MixMonitor requires an argument (filename)")
        ident = f"0x{next(self._ids):012x}"
        session = MixMonitorSession(self, channel, paths, append, ident, command)
        session.gain.update(gains or {})
        if bridged_only:
            session.bridged_only = True
            session._update_running()
        self.mixmonitors.setdefault(channel, []).append(session)
        self.pbx.bus.publish(MixMonitorStarted(channel.snapshot()))
        return session

    def stop_mixmonitor(self, channel: Channel, ident: str = "") -> bool:
        """Stop one MixMonitor (the given id, else the first); False if there is none."""
        sessions = self.mixmonitors.get(channel, [])
        found = next((s for s in sessions if not ident or s.ident == ident), None)
        if found is None:
            return False
        found.stop()
        self.pbx.bus.publish(MixMonitorStopped(channel.snapshot()))
        return True

    def mute_mixmonitor(self, channel: Channel, direction: str, state: bool) -> bool:
        """Mute or unmute ``read``, ``write`` or ``both``; False if nothing records."""
        sessions = self.mixmonitors.get(channel, [])
        if not sessions:
            return False
        directions = DIRECTIONS if direction == "both" else (direction,)
        for session in sessions:
            for name in directions:
                if state:
                    session.muted.add(name)
                else:
                    session.muted.discard(name)
        self.pbx.bus.publish(MixMonitorMuted(channel.snapshot(), direction, state))
        return True

    # -- shared -------------------------------------------------------------------------

    def resolve(self, name: str) -> Path:
        """An absolute name as it is, a relative one under the monitor directory."""
        return Path(name) if name.startswith("/") else self.monitor_dir / name

    def sessions_of(self, channel: Channel) -> list[RecordingSession]:
        found: list[RecordingSession] = list(self.mixmonitors.get(channel, []))
        monitor = self.monitors.get(channel)
        if monitor is not None:
            found.insert(0, monitor)
        return found

    def feed(self, channel: Channel, direction: str, pcm: bytes) -> None:
        """Where a technology hands a channel's audio to every recording on it."""
        for session in self.sessions_of(channel):
            session.feed(direction, pcm)

    def _forget(self, session: RecordingSession) -> None:
        channel = session.channel
        if isinstance(session, MonitorSession):
            if self.monitors.get(channel) is session:
                del self.monitors[channel]
        elif isinstance(session, MixMonitorSession):
            sessions = self.mixmonitors.get(channel, [])
            if session in sessions:
                sessions.remove(session)
            if not sessions:
                self.mixmonitors.pop(channel, None)

    def _on_event(self, event: object) -> None:
        if isinstance(event, HungUp):
            self._hung_up(event.channel.name)
        elif isinstance(event, BridgeEntered | BridgeLeft):
            channel = self.pbx.channels.get(event.channel.name)
            if channel is None:
                return
            for session in self.sessions_of(channel):
                session._update_running()
            if isinstance(event, BridgeEntered):
                self._auto_monitor(channel)

    def _hung_up(self, name: str) -> None:
        """Hangup closes every file; Monitor says MonitorStop, as its destructor does."""
        for channel in [c for c in (*self.monitors, *self.mixmonitors) if c.name == name]:
            for session in list(self.mixmonitors.get(channel, [])):
                session.stop()
            monitor = self.monitors.get(channel)
            if monitor is not None:
                monitor.stop()
                self.pbx.bus.publish(MonitorStopped(channel.snapshot()))

    def _auto_monitor(self, channel: Channel) -> None:
        """Monitor's ``b`` option: it starts when the channel is first bridged."""
        pending = channel.get_variable("AUTO_MONITOR")
        if not pending or channel in self.monitors:
            return
        channel.delete_variable("AUTO_MONITOR")
        from .applications.recording import start_monitor_from_args

        start_monitor_from_args(channel, pending)


_RECORDERS: weakref.WeakKeyDictionary[PBX, Recorder] = weakref.WeakKeyDictionary()


def configure(pbx: PBX, monitor_dir: Path) -> Recorder:
    """Give ``pbx`` its recorder, writing under ``monitor_dir`` (``astspooldir/monitor``)."""
    recorder = _RECORDERS.get(pbx)
    if recorder is None:
        recorder = _RECORDERS[pbx] = Recorder(pbx, monitor_dir)
    else:
        recorder.monitor_dir = Path(monitor_dir)
    return recorder


def recorder_for(pbx: PBX) -> Recorder:
    """The PBX's recorder (made with the default monitor directory if none was configured)."""
    recorder = _RECORDERS.get(pbx)
    if recorder is None:
        recorder = _RECORDERS[pbx] = Recorder(pbx)
    return recorder
