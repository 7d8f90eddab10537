"""Sound files: Playback, Background, WaitExten, SayDigits.

Sounds are looked up as Asterisk does, under ``pbx.sounds_dir`` (``<astdatadir>/sounds``,
a Path set by the application wiring; None means there are no sounds): the channel's
language, then the language without its dialect, then no language, then ``en``.  On a
channel with media (SIP) the file's audio is sent in 20 ms frames on the PBX clock; on one
without, a file "plays" for its real length (from the WAV header; raw formats by size).
"""

from __future__ import annotations

import logging
import struct
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from ...media import g711
from .. import causes
from ..channel import ChannelState
from ..engine import wait
from ..flag import Flag
from ..media import Frame, frames_of, stream
from . import application, split_args

if TYPE_CHECKING:
    from ..channel import Channel
    from ..core import PBX

log = logging.getLogger("pbxd.dialplan")

#: Extensions tried, in order, with the bytes one second of audio takes (None: read header).
FORMATS: tuple[tuple[str, float | None], ...] = (
    (".wav", None),
    (".gsm", 33 * 50),  # 33-byte frames of 20 ms
    (".ulaw", 8000),
    (".alaw", 8000),
    (".sln", 16000),  # 16-bit linear at 8 kHz
)
#: The response timeout WaitExten uses without an argument (``TIMEOUT(response)``).
RESPONSE_TIMEOUT = 10.0


def _languages(language: str) -> list[str]:
    order = [language] if language else []
    bare = language.split("_", 1)[0]
    if bare and bare not in order:
        order.append(bare)
    order.append("")
    if "en" not in order:
        order.append("en")
    return order


def find_sound(pbx: PBX, name: str, language: str) -> Path | None:
    """The file ``name`` would play for a channel speaking ``language``, or None."""
    if name.startswith("/"):
        bases = [Path(name)]
    else:
        root: Path | None = getattr(pbx, "sounds_dir", None)
        if root is None:
            return None
        bases = [root / lang / name if lang else root / name for lang in _languages(language)]
    for base in bases:
        for extension, _ in FORMATS:
            candidate = base.with_name(base.name + extension)
            if candidate.is_file():
                return candidate
    return None


def sound_length(path: Path) -> float:
    """Seconds of audio in ``path``: the WAV header's data size and byte rate, or by size."""
    if path.suffix == ".wav":
        return _wav_length(path)
    rate = dict(FORMATS).get(path.suffix) or 8000
    return path.stat().st_size / rate


def _wav_length(path: Path) -> float:
    data = path.read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return len(data) / 16000
    offset, byte_rate, size = 12, 0, None
    while offset + 8 <= len(data):
        chunk, length = (
            data[offset : offset + 4],
            struct.unpack("<I", data[offset + 4 : offset + 8])[0],
        )
        body = offset + 8
        if chunk == b"fmt " and length >= 12:
            byte_rate = struct.unpack("<I", data[body + 8 : body + 12])[0]
        elif chunk == b"data":
            size = min(length, len(data) - body)
            break
        offset = body + length + (length & 1)
    if size is None:
        size = max(len(data) - 44, 0)
    return size / byte_rate if byte_rate else size / 16000


async def play(
    channel: Channel, name: str, language: str | None = None, stop: Flag | None = None
) -> bool | None:
    """Stream one file to the channel: True when played (or cut short by ``stop``), False
    when missing (logged as Asterisk does), None when the channel hung up meanwhile."""
    path = find_sound(channel.pbx, name, channel.language if language is None else language)
    if path is None:
        log.warning("Unable to open %s (format (slin)): No such file or directory", name)
        return False
    frames = _frames_for(channel, path) if channel.media is not None else None
    if frames is not None:
        if not await stream(channel, frames, stop):
            return None if channel.hangup_requested else True
        return True
    if not await wait(channel, sound_length(path)):
        return None
    return True


def _frames_for(channel: Channel, path: Path) -> list[Frame] | None:
    """The file as 20 ms frames in the channel's codec; None for a format pbxd cannot
    decode (GSM, WAV other than 16-bit mono 8 kHz), which then plays as silence."""
    port = channel.media
    assert port is not None
    try:
        if path.suffix == ".wav":
            with wave.open(str(path), "rb") as wav:
                if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, 8000):
                    return None
                return frames_of(port.codec, wav.readframes(wav.getnframes()))
        if path.suffix == ".sln":
            return frames_of(port.codec, path.read_bytes())
        law = {".ulaw": "PCMU", ".alaw": "PCMA"}.get(path.suffix)
        if law is None:
            return None
        payload = g711.transcode(law, port.codec, path.read_bytes())
    except (OSError, EOFError, wave.Error) as exc:
        log.warning("Unable to read %s: %s", path, exc)
        return None
    return [Frame(port.codec, payload[i : i + 160]) for i in range(0, len(payload), 160)]


def _answer_unless(channel: Channel, skip: bool, noanswer: bool) -> bool:
    """The skip/noanswer dance: False when the channel is not up and ``skip`` says go on."""
    if channel.state != ChannelState.UP:
        if skip:
            return False
        if not noanswer:
            channel.set_state(ChannelState.UP)
    return True


@application(
    "Playback",
    "Play a file.",
    "Playback(filename1[&filename2[&...]][,options])",
    "Plays back given filenames; options: skip (do nothing unless the channel is up), "
    "noanswer (play without answering). Sets PLAYBACKSTATUS to SUCCESS or FAILED.",
)
async def playback(channel: Channel, data: str) -> None:
    if not data.strip():
        log.warning("Playback requires an argument (filename)")
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    args = split_args(data)
    options = args[1].lower() if len(args) > 1 else ""
    failed = False
    if _answer_unless(channel, "skip" in options, "noanswer" in options):
        for name in args[0].split("&"):
            played = False if channel.hangup_requested else await play(channel, name)
            if not played:
                if not channel.hangup_requested:
                    log.warning("Playback failed on %s for %s", channel.name, data)
                failed = True
    channel.set_variable("PLAYBACKSTATUS", "FAILED" if failed else "SUCCESS")


@application(
    "BackGround",
    "Play an audio file while waiting for digits of an extension to go to.",
    "BackGround(filename1[&filename2[&...]][,options[,langoverride[,context]]])",
    "Options: s (skip when not up), n (noanswer), m, p. Sets BACKGROUNDSTATUS.",
)
async def background(channel: Channel, data: str) -> None:
    if not data.strip():
        log.warning("Background requires an argument (filename)")
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    args = split_args(data) + ["", ""]
    options = args[1].strip().lower()
    skip = options == "skip" or (options not in ("noanswer",) and "s" in options)
    noanswer = options == "noanswer" or (options != "skip" and "n" in options)
    language = args[2].strip() or channel.language
    failed = False
    if _answer_unless(channel, skip, noanswer):
        for name in args[0].strip().split("&"):
            played = await play(channel, name, language)
            if played is False:
                log.warning("ast_streamfile failed on %s for %s", channel.name, data)
                failed = True
                break
            if played is None:
                return
    channel.set_variable("BACKGROUNDSTATUS", "FAILED" if failed else "SUCCESS")


@application(
    "WaitExten",
    "Waits for an extension to be entered.",
    "WaitExten([seconds][,options])",
    "Waits for the caller to enter an extension; on timeout goes on to the next priority "
    "if there is one, else to the 't' (or 'e') extension.",
)
async def wait_exten(channel: Channel, data: str) -> None:
    text = split_args(data)[0].strip()
    try:
        seconds = float(text) if text else 0.0
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        seconds = RESPONSE_TIMEOUT
    if not await wait(channel, seconds) or channel.interrupted.is_set():
        return
    dialplan = channel.pbx.dialplan
    number = channel.caller.number
    if dialplan is None:
        found = None
    elif dialplan.exists(channel.context, channel.exten, channel.priority + 1, number):
        log.info("Timeout on %s, continuing...", channel.name)
        return
    else:
        found = next(
            (e for e in ("t", "e") if dialplan.exists(channel.context, e, 1, number)), None
        )
    if found is None:
        log.warning("Timeout but no rule 't' or 'e' in context '%s'", channel.context)
        channel.request_hangup(causes.NORMAL_CLEARING)
        return
    if found == "t":
        log.info("Timeout on %s, going to 't'", channel.name)
    else:
        channel.set_variable("EXCEPTION", "RESPONSETIMEOUT")
    channel.exten, channel.priority = found, 1
    channel.jumped = True


_DIGIT_FILES = {"*": "digits/star", "#": "digits/pound", "-": "digits/minus"}


def digit_files(text: str) -> list[str]:
    """The sound files that say ``text`` digit by digit (letters as letters)."""
    files = []
    for char in text:
        if char.isdigit():
            files.append(f"digits/{char}")
        elif char in _DIGIT_FILES:
            files.append(_DIGIT_FILES[char])
        elif char.isalpha():
            files.append(f"letters/{char.lower()}")
    return files


@application("SayDigits", "Say Digits.", "SayDigits(digits)")
async def say_digits(channel: Channel, data: str) -> None:
    for name in digit_files(data):
        if await play(channel, name) is None:
            return
