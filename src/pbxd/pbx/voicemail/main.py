"""Checking messages (the VoiceMailMain application's work), driven by the digits the
channel receives: log in (mailbox and password, unless ``s``), then the main menu --
1 first message, 5 repeat, 4 previous, 6 next, 7 delete/undelete, 9 save to a folder,
2 change folder, 0 mailbox options (record the unavailable, busy, name and temporary
greetings), * help, # exit. A message heard in INBOX or Urgent moves to Old when the
folder is left (``moveheard``); deleted ones are removed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..channel import ChannelState
from ..recording import RATE, RecordingError, WavWriter
from .dtmf import DigitReader
from .leave import record_until
from .prompts import ask_digits, number_files, stream, stream_all
from .service import split_mailbox
from .spool import FOLDERS, INBOX, OLD, URGENT, Message, SpoolError

if TYPE_CHECKING:
    from ..channel import Channel
    from .service import Voicemail
    from .settings import Mailbox

log = logging.getLogger("pbxd.voicemail")
MENU_TIMEOUT = 6.0  # seconds the menu waits for a key, three times
ENTRY_TIMEOUT = 10.0  # seconds for a mailbox number or password
STOP_KEYS = "13456789"
MENU_KEYS = "0123456789*#"


@dataclass(frozen=True, slots=True)
class MainOptions:
    skip_password: bool = False  # s
    prefix: bool = False  # p: the mailbox argument is a prefix of what the caller enters
    folder: str = ""  # a(folder)


@dataclass
class OpenFolder:
    name: str
    messages: list[Message]
    current: int = -1
    heard: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)


async def voicemail_main(
    service: Voicemail, channel: Channel, spec: str, options: MainOptions
) -> None:
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.UP)
    with DigitReader(channel) as reader:
        user = await _login(service, reader, spec, options)
        if user is None:
            if not channel.hangup_requested:
                await stream(reader, "vm-goodbye")
                channel.request_hangup()
            return
        try:
            await _menu(service, reader, user, options)
        finally:
            service.notify(user.mailbox, user.context, channel.snapshot())


async def authenticate(service: Voicemail, channel: Channel, spec: str) -> Mailbox | None:
    """VMAuthenticate: the caller's mailbox and password (``maxlogins`` tries); None when
    they failed or the channel hung up."""
    if channel.state != ChannelState.UP:
        channel.set_state(ChannelState.UP)
    with DigitReader(channel) as reader:
        user = await _login(service, reader, spec, MainOptions())
        if user is not None:
            await stream(reader, "auth-thankyou")
        return user


async def _login(
    service: Voicemail, reader: DigitReader, spec: str, options: MainOptions
) -> Mailbox | None:
    given, context = split_mailbox(spec) if spec.strip() else ("", "default")
    attempts = max(service.settings.maxlogins, 1)
    for _ in range(attempts):
        box = given
        if not given or options.prefix:
            entered = await ask_digits(reader, "vm-login", ENTRY_TIMEOUT)
            if entered is None:
                return None
            box = given + entered if options.prefix else entered
        user = service.find(context, box) if box else None
        if user is not None and options.skip_password:
            return user
        password = await ask_digits(reader, "vm-password", ENTRY_TIMEOUT)
        if password is None:
            return None
        if user is not None and password == user.password:
            return user
        log.warning("Incorrect password '%s' for user '%s' (context = %s)", "****", box, context)
        if await stream(reader, "vm-incorrect-mailbox" if not given else "vm-incorrect") is None:
            return None
    return None


async def _menu(
    service: Voicemail, reader: DigitReader, user: Mailbox, options: MainOptions
) -> None:
    spool = service.spool
    start = options.folder or (URGENT if spool.count(user.context, user.mailbox, URGENT) else INBOX)
    folder = _open(service, user, start)
    command = await stream_all(
        reader, ["vm-youhave", *number_files(len(folder.messages)), f"vm-{folder.name}",
                 "vm-messages"], MENU_KEYS,
    )  # fmt: skip
    repeats = 0
    channel = reader.channel
    try:
        while command is not None and command != "#":
            if command:
                repeats = 0
                result = await _command(service, reader, user, folder, command)
                if isinstance(result, tuple):
                    folder, result = result
                command = result
                continue
            command = await stream(reader, "vm-onefor", MENU_KEYS)
            if command == "":
                command = await reader.digit(MENU_TIMEOUT)
                if command is None and not channel.hangup_requested:
                    repeats += 1
                    command = "" if repeats < 3 else "#"
    finally:
        _close(service, user, folder)
    if not channel.hangup_requested:
        await stream(reader, "vm-goodbye")


async def _command(
    service: Voicemail, reader: DigitReader, user: Mailbox, folder: OpenFolder, key: str
) -> str | tuple[OpenFolder, str | None] | None:
    """Carry out one menu key; returns the next key pressed ("" for none, None: hung up),
    with the folder the caller is now in when that changed."""
    last = len(folder.messages) - 1
    if key in "1564":
        target = {"1": 0, "5": folder.current, "6": folder.current + 1, "4": folder.current - 1}[key]
        if key == "6" and target > last and folder.name == URGENT:
            _close(service, user, folder)  # the urgent ones heard: on to the new ones
            inbox = _open(service, user, INBOX)
            if inbox.messages:
                return inbox, await _play(reader, inbox, 0)
            return inbox, await stream(reader, "vm-nomore", MENU_KEYS)
        if last < 0 or target < 0 or target > last:
            return await stream(reader, "vm-nomore", MENU_KEYS)
        return await _play(reader, folder, target)
    if key == "7" and 0 <= folder.current <= last:
        current = folder.current
        if current in folder.deleted:
            folder.deleted.discard(current)
            return await stream(reader, "vm-undeleted", MENU_KEYS)
        folder.deleted.add(current)
        return await stream(reader, "vm-deleted", MENU_KEYS)
    if key == "9" and 0 <= folder.current <= last:
        target = await _choose_folder(reader, "vm-savefolder")
        if target is None:
            return None if reader.channel.hangup_requested else ""
        if target == folder.name:
            return ""
        try:
            service.spool.copy(folder.messages[folder.current], user.context, user.mailbox,
                               target, user.maxmsg)  # fmt: skip
        except SpoolError as exc:
            log.warning("%s", exc)
            return await stream(reader, "vm-mailboxfull", MENU_KEYS)
        folder.deleted.add(folder.current)
        return await stream_all(reader, ["vm-message", *number_files(folder.current + 1),
                                         "vm-savedto", f"vm-{target}"], MENU_KEYS)  # fmt: skip
    if key == "2":
        target = await _choose_folder(reader, "vm-changeto")
        if target is None:
            return None if reader.channel.hangup_requested else ""
        _close(service, user, folder)
        return _open(service, user, target), ""
    if key == "0":
        return await _mailbox_options(service, reader, user)
    return ""  # help and the advanced menu: the instructions again


#: The mailbox options menu: key -> (greeting file, the prompt before recording it).
GREETINGS = {"1": ("unavail", "vm-rec-unv"), "2": ("busy", "vm-rec-busy"),
             "3": ("greet", "vm-rec-name"), "4": ("temp", "vm-rec-temp")}  # fmt: skip


async def _mailbox_options(service: Voicemail, reader: DigitReader, user: Mailbox) -> str | None:
    """0 from the main menu: record the unavailable (1), busy (2), name (3) or temporary (4)
    greeting; ``*`` or ``#`` goes back. The temporary greeting, once there, can be erased."""
    box_dir = service.spool.box_dir(user.context, user.mailbox)
    while True:
        key = await stream(reader, "vm-options", "1234*#")
        if key == "":
            key = await reader.digit(MENU_TIMEOUT)
        if key is None:
            return None if reader.channel.hangup_requested else ""
        if key in "*#":
            return ""
        if key not in GREETINGS:
            continue
        name, prompt = GREETINGS[key]
        temporary = box_dir / "temp.wav"
        if name == "temp" and temporary.exists():
            choice = await stream(reader, "vm-tempgreeting2", "12")
            if choice == "":
                choice = await reader.digit(MENU_TIMEOUT)
            if choice == "2":
                temporary.unlink(missing_ok=True)
                if await stream(reader, "vm-tempremoved") is None:
                    return None
                continue
            if choice != "1":
                return None if choice is None and reader.channel.hangup_requested else ""
        if not await record_greeting(service, reader, user, name, prompt):
            return None


async def record_greeting(
    service: Voicemail, reader: DigitReader, user: Mailbox, name: str, prompt: str
) -> bool:
    """Record ``<mailbox dir>/<name>.wav`` until ``#`` (or ``maxgreet``); a hangup keeps the
    old greeting. False if the channel hung up."""
    if await stream_all(reader, [prompt, "beep"]) is None:
        return False
    clock = reader.channel.pbx.clock
    started = clock()
    ended = await record_until(reader, service.settings.maxgreet, "#")
    if ended is None:
        return False
    try:
        box_dir = service.spool.box_dir(user.context, user.mailbox)
        staging = service.spool.tmp_dir(user.context, user.mailbox) / f"{name}.wav"
        writer = WavWriter(staging)
        writer.write_silence(int(round((clock() - started) * RATE)))
        writer.close()
        os.replace(staging, box_dir / f"{name}.wav")
    except (OSError, SpoolError, RecordingError) as exc:
        log.warning("Greeting %s of %s not saved: %s", name, user.mailbox_id, exc)
    return await stream(reader, "vm-msgsaved") is not None


async def _play(reader: DigitReader, folder: OpenFolder, index: int) -> str | None:
    folder.current = index
    folder.heard.add(index)
    message = folder.messages[index]
    intro = await stream_all(reader, ["vm-message", *number_files(index + 1)], MENU_KEYS)
    if intro:
        return intro
    audio = message.audio
    if audio is None:
        log.warning("Message %s has no audio", message.path)
        return intro
    played = await stream(reader, str(audio.with_suffix("")), STOP_KEYS + "#")
    return "" if played == "#" else played


async def _choose_folder(reader: DigitReader, prompt: str) -> str | None:
    """A folder 0-4 by its digit (``#`` or a timeout: None)."""
    digit = await stream(reader, prompt, "01234#")
    if digit == "":
        digit = await reader.digit(MENU_TIMEOUT)
    if digit is None or digit == "#" or digit not in "01234":
        return None
    return FOLDERS[int(digit)]


def _open(service: Voicemail, user: Mailbox, name: str) -> OpenFolder:
    return OpenFolder(name, service.spool.messages(user.context, user.mailbox, name))


def _close(service: Voicemail, user: Mailbox, folder: OpenFolder) -> None:
    """Deleted messages go, heard new ones move to Old (highest number first, so the
    renumbering of the folder does not shift those still to do)."""
    spool = service.spool
    for index in sorted(folder.heard | folder.deleted, reverse=True):
        message = folder.messages[index]
        try:
            if index in folder.deleted:
                spool.remove(message)
            elif folder.name in (INBOX, URGENT) and user.moveheard:
                spool.move(message, user.context, user.mailbox, OLD, user.maxmsg)
        except SpoolError as exc:
            log.warning("%s", exc)
    folder.heard.clear()
    folder.deleted.clear()
