"""Recordings on the virtual clock: WAV files whose length is the time they ran."""

from __future__ import annotations

import asyncio
import wave
from array import array
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from pbxd.config.conf import loads
from pbxd.pbx.applications.recording import parse_options, start_monitor_from_args
from pbxd.pbx.channel import Channel
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.originate import Target, originate
from pbxd.pbx.recording import (
    MixMonitorStarted,
    MixMonitorStopped,
    MonitorStarted,
    MonitorStopped,
    RecordingError,
    WavWriter,
    configure,
)
from pbxd.techs.local import LocalTechnology

EXTENSIONS = """
[default]
exten => 100,1,Answer()
 same => n,Wait(60)

exten => 800,1,Answer()
 same => n,MixMonitor(calls/mixed.wav,i(MIXID))
 same => n,Wait(5)
 same => n,StopMixMonitor()
 same => n,Wait(2)
 same => n,Hangup()

exten => 810,1,Answer()
 same => n,Monitor(wav,legs,m)
 same => n,Wait(3)
 same => n,Hangup()

exten => 820,1,Answer()
 same => n,MixMonitor(nope.gsm)
 same => n,Set(AFTER=ok)
 same => n,Wait(1)
"""


def make_pbx(monitor_dir: Path) -> tuple[PBX, VirtualClock, list[object]]:
    clock = VirtualClock()
    pbx = PBX(clock)
    pbx.technologies["local"] = LocalTechnology(pbx)
    pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
    configure(pbx, monitor_dir)
    seen: list[object] = []
    pbx.bus.subscribe(seen.append)
    return pbx, clock, seen


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


def frames(path: Path) -> int:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        return wav.getnframes()


def samples(path: Path) -> array:
    with wave.open(str(path), "rb") as wav:
        data = array("h")
        data.frombytes(wav.readframes(wav.getnframes()))
    return data


async def answered(pbx: PBX, exten: str = "100") -> Channel:
    """An answered Local ;1 running Wait(60), its ;2 in the dialplan at ``exten``."""
    await originate(pbx, f"Local/{exten}@default", Target("Wait", "60"))
    return next(c for c in pbx.channels.values() if c.name.endswith(";1"))


def test_wav_writer_writes_riff_pcm(tmp_path: Path) -> None:
    writer = WavWriter(tmp_path / "x.wav")
    writer.write_silence(12345)
    writer.write(array("h", [1, -1, 32767]).tobytes())
    writer.close()
    data = (tmp_path / "x.wav").read_bytes()
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    assert frames(tmp_path / "x.wav") == 12348
    assert list(samples(tmp_path / "x.wav")[-3:]) == [1, -1, 32767]


def test_wav_writer_append_keeps_what_was_there(tmp_path: Path) -> None:
    first = WavWriter(tmp_path / "a.wav")
    first.write_silence(100)
    first.close()
    again = WavWriter(tmp_path / "a.wav", append=True)
    again.write_silence(50)
    again.close()
    assert frames(tmp_path / "a.wav") == 150


def test_monitor_five_seconds_is_40000_frames_per_leg(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx(tmp_path)
        channel = await answered(pbx)
        recorder = configure(pbx, tmp_path)
        session = recorder.start_monitor(channel, "", "call")
        assert session is not None
        assert channel.get_variable("MONITORED") == "true"
        await clock.advance(2.5)
        assert frames(tmp_path / "call-in.wav") >= 8000  # written as the call goes on
        await clock.advance(2.5)
        assert recorder.stop_monitor(channel)
        assert frames(tmp_path / "call-in.wav") == frames(tmp_path / "call-out.wav") == 40000
        kinds = [type(e) for e in seen if isinstance(e, MonitorStarted | MonitorStopped)]
        assert kinds == [MonitorStarted, MonitorStopped]
        assert not recorder.stop_monitor(channel)  # not monitored any more: no error
        channel.request_hangup()

    run(scenario)


def test_pause_and_unpause_leave_out_the_paused_time(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, _ = make_pbx(tmp_path)
        channel = await answered(pbx)
        recorder = configure(pbx, tmp_path)
        recorder.start_monitor(channel, "wav", "paused")
        await clock.advance(2)
        assert recorder.set_monitor_paused(channel, True)
        await clock.advance(3)
        assert recorder.set_monitor_paused(channel, False)
        await clock.advance(1)
        recorder.stop_monitor(channel)
        assert frames(tmp_path / "paused-in.wav") == 3 * 8000

    run(scenario)


def test_change_monitor_renames_the_files_when_it_stops(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, _ = make_pbx(tmp_path)
        channel = await answered(pbx)
        recorder = configure(pbx, tmp_path)
        recorder.start_monitor(channel, "wav", "first")
        await clock.advance(1)
        assert recorder.change_monitor(channel, "sub/second")
        await clock.advance(1)
        recorder.stop_monitor(channel)
        assert not (tmp_path / "first-in.wav").exists()
        assert frames(tmp_path / "sub" / "second-in.wav") == 16000
        assert frames(tmp_path / "sub" / "second-out.wav") == 16000
        assert not recorder.change_monitor(channel, "")

    run(scenario)


def test_default_monitor_names_and_hangup_closes(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx(tmp_path)
        channel = await answered(pbx)
        assert start_monitor_from_args(channel, "wav")
        name = channel.name.replace("/", "-")
        await clock.advance(4)
        channel.request_hangup()
        await clock.advance(0.1)
        started = int(clock() - 4.1)
        assert frames(tmp_path / f"{started}-{name}-in.wav") == 32000
        assert [type(e) for e in seen if isinstance(e, MonitorStopped)] == [MonitorStopped]
        assert not list(tmp_path.glob("audio-*"))

    run(scenario)


def test_monitor_app_mix_option_joins_the_legs(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, _ = make_pbx(tmp_path)
        await originate(pbx, "Local/810@default", Target("Wait", "60"))
        await clock.advance(3.5)
        assert frames(tmp_path / "legs.wav") == 24000
        assert not (tmp_path / "legs-in.wav").exists()

    run(scenario)


def test_mixmonitor_in_the_dialplan(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, seen = make_pbx(tmp_path)
        await originate(pbx, "Local/800@default", Target("Wait", "60"))
        two = next(c for c in pbx.channels.values() if c.name.endswith(";2"))
        await clock.advance(0.1)
        assert two.get_variable("MIXMONITOR_FILENAME") == str(tmp_path / "calls" / "mixed.wav")
        assert (two.get_variable("MIXID") or "").startswith("0x")
        await clock.advance(6)
        assert frames(tmp_path / "calls" / "mixed.wav") == 40000
        kinds = [type(e) for e in seen if isinstance(e, MixMonitorStarted | MixMonitorStopped)]
        assert kinds == [MixMonitorStarted, MixMonitorStopped]

    run(scenario)


def test_fed_audio_is_mixed_and_gaps_are_silence(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, _ = make_pbx(tmp_path)
        channel = await answered(pbx)
        recorder = configure(pbx, tmp_path)
        session = recorder.start_mixmonitor(channel, "fed.wav", read_file="fed-rx.wav")
        await clock.advance(1)
        tone = array("h", [1000] * 800).tobytes()
        recorder.feed(channel, "read", tone)
        recorder.feed(channel, "write", tone)
        await clock.advance(1)
        recorder.mute_mixmonitor(channel, "write", True)
        recorder.feed(channel, "write", tone)
        await clock.advance(1)
        recorder.stop_mixmonitor(channel, session.ident)
        mixed, rx = samples(tmp_path / "fed.wav"), samples(tmp_path / "fed-rx.wav")
        assert len(mixed) == len(rx) == 24000
        assert set(mixed[:8000]) == {0}
        assert set(mixed[8000:8800]) == {2000} and set(rx[8000:8800]) == {1000}
        assert set(mixed[8800:]) == {0}

    run(scenario)


def test_unwritable_directory_is_a_clear_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        blocker = tmp_path / "file"
        blocker.write_text("not a directory")
        pbx, clock, _ = make_pbx(blocker / "monitor")
        channel = await answered(pbx)
        recorder = configure(pbx, blocker / "monitor")
        with pytest.raises(RecordingError, match="Unable to create directory"):
            recorder.start_monitor(channel, "wav", "x")
        with pytest.raises(RecordingError):
            recorder.start_mixmonitor(channel, "x.wav")
        with pytest.raises(RecordingError, match="wav only"):
            configure(pbx, tmp_path).start_monitor(channel, "gsm", "x")
        assert channel not in recorder.monitors

    run(scenario)


def test_mixmonitor_bad_file_does_not_stop_the_dialplan(tmp_path: Path) -> None:
    async def scenario() -> None:
        pbx, clock, _ = make_pbx(tmp_path)
        await originate(pbx, "Local/820@default", Target("Wait", "60"))
        await clock.advance(0.1)
        two = next(c for c in pbx.channels.values() if c.name.endswith(";2"))
        assert two.get_variable("AFTER") == "ok"
        assert not list(tmp_path.iterdir())

    run(scenario)


def test_parse_options() -> None:
    assert parse_options("abi(ID)v(2)") == {"a": "", "b": "", "i": "ID", "v": "2"}
