"""Playback, Background, WaitExten and SayDigits: sound lookup and play time on the virtual clock."""

from __future__ import annotations

import asyncio
import logging
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from pbxd.config.conf import loads
from pbxd.pbx.applications import media
from pbxd.pbx.channel import Channel, ChannelState
from pbxd.pbx.clock import VirtualClock
from pbxd.pbx.core import PBX
from pbxd.pbx.dialplan import Dialplan
from pbxd.pbx.engine import run_dialplan

EXTENSIONS = """
[default]
exten => play,1,Playback(hello&missing&beep)
 same => n,Set(DONE=yes)
 same => n,Wait(100)
exten => noanswer,1,Playback(hello,noanswer)
 same => n,Wait(100)
exten => skip,1,Playback(hello,skip)
 same => n,Wait(100)
exten => bg,1,Background(missing&hello)
 same => n,Set(DONE=yes)
 same => n,Wait(100)
exten => menu,1,Background(hello)
 same => n,WaitExten(5)
exten => t,1,Set(TIMEDOUT=yes)
 same => n,Wait(100)
exten => say,1,SayDigits(12)
 same => n,Wait(100)

[nomenu]
exten => s,1,WaitExten(2)
"""

Scenario = Callable[[PBX, VirtualClock], Awaitable[None]]


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(rate * seconds))


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    root = tmp_path / "sounds"
    write_wav(root / "en" / "hello.wav", 2.0)
    (root / "en" / "beep.ulaw").write_bytes(b"\xff" * 4000)  # half a second
    (root / "en" / "digits").mkdir()
    (root / "en" / "digits" / "1.gsm").write_bytes(b"\0" * 33 * 25)  # 25 frames: 0.5 s
    (root / "en" / "digits" / "2.sln").write_bytes(b"\0" * 8000)  # 0.5 s
    write_wav(root / "fr" / "hello.wav", 3.0, 16000)
    return root


def run(sounds_dir: Path | None, scenario: Scenario) -> None:
    async def main() -> None:
        clock = VirtualClock()
        pbx = PBX(clock)
        pbx.sounds_dir = sounds_dir  # type: ignore[attr-defined]
        pbx.dialplan = Dialplan.load(loads(EXTENSIONS, "extensions.conf"))
        await scenario(pbx, clock)

    asyncio.run(asyncio.wait_for(main(), 10))


def start(pbx: PBX, exten: str, context: str = "default", up: bool = True) -> Channel:
    channel = Channel(pbx, f"Test/{exten}-00000001", "Test", context=context, exten=exten,
                      state=ChannelState.UP if up else ChannelState.RING)  # fmt: skip
    pbx.add_channel(channel)
    asyncio.ensure_future(run_dialplan(channel))
    return channel


def test_lengths(sounds: Path) -> None:
    assert media.sound_length(sounds / "en" / "hello.wav") == pytest.approx(2.0)
    assert media.sound_length(sounds / "fr" / "hello.wav") == pytest.approx(3.0)
    assert media.sound_length(sounds / "en" / "beep.ulaw") == pytest.approx(0.5)
    assert media.sound_length(sounds / "en" / "digits" / "1.gsm") == pytest.approx(0.5)
    assert media.sound_length(sounds / "en" / "digits" / "2.sln") == pytest.approx(0.5)


def test_lookup_by_language(sounds: Path) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock) -> None:
        assert media.find_sound(pbx, "hello", "fr_CA") == sounds / "fr" / "hello.wav"
        assert media.find_sound(pbx, "hello", "de") == sounds / "en" / "hello.wav"
        assert media.find_sound(pbx, "nope", "en") is None
        assert media.find_sound(pbx, str(sounds / "en" / "beep"), "xx") == sounds / "en" / "beep.ulaw"

    run(sounds, scenario)


def test_playback_plays_for_the_files_length_and_survives_a_missing_one(
    sounds: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock) -> None:
        with caplog.at_level(logging.WARNING, "pbxd.dialplan"):
            channel = start(pbx, "play", up=False)
            await clock.advance(2.4)
            assert channel.state == ChannelState.UP  # Playback answers
            assert channel.get_variable("DONE") is None
            await clock.advance(0.2)  # 2 s + 0.5 s
            assert channel.get_variable("DONE") == "yes"
        assert channel.get_variable("PLAYBACKSTATUS") == "FAILED"
        assert "Unable to open missing (format (slin)): No such file or directory" in caplog.text
        assert "Playback failed on Test/play-00000001 for hello&missing&beep" in caplog.text
        channel.request_hangup()
        await clock.advance(1)

    run(sounds, scenario)


def test_playback_options(sounds: Path) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock) -> None:
        quiet = start(pbx, "noanswer", up=False)
        skipped = start(pbx, "skip", up=False)
        await clock.advance(2.1)
        assert quiet.state == ChannelState.RING and quiet.get_variable("PLAYBACKSTATUS") == "SUCCESS"
        assert skipped.state == ChannelState.RING
        assert skipped.get_variable("PLAYBACKSTATUS") == "SUCCESS"
        pbx.hangup_all()
        await clock.advance(1)

    run(sounds, scenario)


def test_no_sounds_dir_means_every_file_is_missing() -> None:
    async def scenario(pbx: PBX, clock: VirtualClock) -> None:
        channel = start(pbx, "play")
        await clock.advance(0.1)
        assert channel.get_variable("DONE") == "yes"
        assert channel.get_variable("PLAYBACKSTATUS") == "FAILED"
        channel.request_hangup()
        await clock.advance(1)

    run(None, scenario)


def test_background_stops_at_a_missing_file(
    sounds: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock) -> None:
        with caplog.at_level(logging.WARNING, "pbxd.dialplan"):
            channel = start(pbx, "bg")
            await clock.advance(0.1)
        assert channel.get_variable("DONE") == "yes"  # hello was never played
        assert channel.get_variable("BACKGROUNDSTATUS") == "FAILED"
        assert "ast_streamfile failed on Test/bg-00000001 for missing&hello" in caplog.text
        channel.request_hangup()
        await clock.advance(1)

    run(sounds, scenario)


def test_waitexten_goes_to_t(sounds: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(pbx: PBX, clock: VirtualClock) -> None:
        channel = start(pbx, "menu")
        await clock.advance(6.9)  # 2 s of menu + 5 s of waiting
        assert channel.get_variable("TIMEDOUT") is None
        await clock.advance(0.2)
        assert channel.get_variable("TIMEDOUT") == "yes" and channel.exten == "t"
        with caplog.at_level(logging.WARNING, "pbxd.dialplan"):
            other = start(pbx, "s", "nomenu")
            await clock.advance(2.1)
        assert "Timeout but no rule 't' or 'e' in context 'nomenu'" in caplog.text
        assert other.gone
        pbx.hangup_all()
        await clock.advance(1)

    run(sounds, scenario)


def test_say_digits(sounds: Path) -> None:
    assert media.digit_files("1*#a-") == [
        "digits/1", "digits/star", "digits/pound", "letters/a", "digits/minus"
    ]

    async def scenario(pbx: PBX, clock: VirtualClock) -> None:
        channel = start(pbx, "say")
        await clock.advance(0.9)
        assert channel.application == "SayDigits"
        await clock.advance(0.2)
        assert channel.application == "Wait"
        channel.request_hangup()
        await clock.advance(1)

    run(sounds, scenario)
