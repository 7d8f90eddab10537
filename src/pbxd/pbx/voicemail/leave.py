"""Leaving a message (the VoiceMail application's work): greeting, beep, recording,
then the message filed in each mailbox with its information file.

The recording is a WAV file (the recording module's ``WavWriter``) of the caller's audio for
as long as the caller spoke: it ends when the caller hangs up, presses ``#`` (or ``0``/``*``
to leave), or ``maxsecs`` is reached. pbxd channels carry no audio yet, so it holds silence
of exactly that length.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..channel import ChannelState
from ..flag import wait_any
from ..recording import RATE, RecordingError, WavWriter
from .dtmf import DigitReader
from .prompts import stream, stream_all
from .service import new_msg_id, split_mailbox, split_mailboxes
from .spool import INBOX, URGENT, SpoolError, origdate, render_info

if TYPE_CHECKING:
    from ..channel import Channel
    from .service import Voicemail
    from .settings import Mailbox

log = logging.getLogger("pbxd.voicemail")


@dataclass(frozen=True, slots=True)
class LeaveOptions:
    busy: bool = False  # b: the busy greeting
    unavailable: bool = False  # u: the unavailable greeting
    silent: bool = False  # s: no instructions
    urgent: bool = False  # U
    priority: bool = False  # P
    beep: str = "beep"  # t([tone]): another beep, or none


def merged_callerid(name: str, number: str) -> str:
    """Asterisk's ``ast_callerid_merge`` with ``Unknown`` for nobody."""
    if name and number:
        return f'"{name}" <{number}>'
    return name or number or "Unknown"


async def leave_voicemail(
    service: Voicemail, channel: Channel, spec: str, options: LeaveOptions
) -> str:
    """Run VoiceMail on ``channel`` for the mailboxes of ``spec``; returns VMSTATUS."""
    first, *others = split_mailboxes(spec) or [split_mailbox(spec)]
    user = service.find(first[1], first[0])
    if user is None:
        log.warning("No entry in voicemail config file for '%s'", first[0])
        return "FAILED"
    with DigitReader(channel) as reader:
        return await _Visit(service, channel, reader, user, others, options).run()


@dataclass
class _Visit:
    """One caller leaving one message."""

    service: Voicemail
    channel: Channel
    reader: DigitReader
    user: Mailbox
    others: list[tuple[str, str]]
    options: LeaveOptions
    escape: str = "#"  # the keys that leave the greeting: # (skip), * ('a'), 0 ('o')

    async def run(self) -> str:
        channel, user, reader = self.channel, self.user, self.reader
        self.escape = "#" + ("*" if _exists(channel, "a") else "")
        if user.operator and _exists(channel, "o"):
            self.escape += "0"
        result = await _greeting(self.service, reader, user, self.options, self.escape)
        if result == "#":
            result = ""
        elif result == "" and not self.options.silent and user.maxmsg != 0:
            result = await stream(reader, "vm-intro", self.escape)
            result = "" if result == "#" else result
        if result is None:
            return "FAILED"
        if result in ("*", "0"):
            return _user_exit(channel, user, "a" if result == "*" else "o")
        if user.maxmsg == 0:  # a greetings-only mailbox
            return "SUCCESS"
        if channel.state != ChannelState.UP:
            channel.set_state(ChannelState.UP)
        recording, key = self.service.recording, user.key
        inbox = self.service.spool.count(user.context, user.mailbox, INBOX)
        if inbox + recording.get(key, 0) >= user.maxmsg:
            await stream(reader, "vm-mailboxfull")
            log.warning("No more messages possible")
            return "FAILED"
        recording[key] = recording.get(key, 0) + 1  # counted while it is recorded
        try:
            return await self._record_and_file()
        finally:
            recording[key] -= 1

    async def _record_and_file(self) -> str:
        channel, user, reader = self.channel, self.user, self.reader
        if self.options.beep and await stream(reader, self.options.beep) is None:
            return "FAILED"
        try:
            staging = self.service.spool.tmp_dir(user.context, user.mailbox)
            handle, txt_name = tempfile.mkstemp(dir=staging)
            os.close(handle)
        except (OSError, SpoolError) as exc:
            log.error("Unable to create message file: %s", exc)
            await stream(reader, "vm-mailboxfull")
            return "FAILED"
        txt = Path(txt_name)
        wav = txt.with_name(txt.name + ".wav")
        clock = channel.pbx.clock
        started = clock()
        info = self._information(started)
        ended = await record_until(reader, user.maxsecs, "#0" if "0" in self.escape else "#")
        elapsed = clock() - started
        if not self._store(txt, wav, info, elapsed):
            _discard(txt, wav)
            return "FAILED"
        if not self._deliver(txt, wav, info["flag"]):
            return "FAILED"
        if channel.hangup_requested:
            return "SUCCESS"
        if ended == "0":  # the caller asked for the operator after speaking
            await stream(reader, "transfer")
            return _user_exit(channel, user, "o")
        if ended == "#":
            await stream(reader, "vm-goodbye")
        return "SUCCESS"

    def _information(self, started: float) -> dict[str, str]:
        """The message information file's fields known when the recording starts."""
        channel, options = self.channel, self.options
        flag = "Urgent" if options.urgent and self.user.leaveurgent else ""
        return {
            "origmailbox": self.user.mailbox,
            "context": channel.context,
            "macrocontext": "",
            "exten": channel.exten,
            "rdnis": channel.get_variable("REDIRECTING_FROM_NUM") or "unknown",
            "priority": str(channel.priority),
            "callerchan": channel.name,
            "callerid": merged_callerid(channel.caller.name, channel.caller.number),
            "origdate": origdate(started),
            "origtime": str(int(started)),
            "category": channel.get_variable("VM_CATEGORY") or "",
            "msg_id": new_msg_id(started),
            "flag": flag or ("PRIORITY" if options.priority else ""),
        }

    def _store(self, txt: Path, wav: Path, info: dict[str, str], elapsed: float) -> bool:
        """Write the audio and the information file (not yet filed); False if the message
        is too short or cannot be written."""
        duration = int(round(elapsed))
        try:
            writer = WavWriter(wav)
            writer.write_silence(int(round(elapsed * RATE)))
            writer.close()
            if duration < self.user.minsecs:
                log.info(
                    "Recording was %d seconds long but needs to be at least %d - abandoning",
                    duration, self.user.minsecs,
                )  # fmt: skip
                return False
            txt.write_text(render_info({**info, "duration": str(duration)}), "utf-8")
        except (OSError, RecordingError) as exc:
            log.error("Voicemail for %s not stored: %s", self.user.mailbox_id, exc)
            return False
        return True

    def _deliver(self, txt: Path, wav: Path, flag: str) -> bool:
        """File the message in the mailbox, copy it to the others, announce the counts."""
        service, user, spool = self.service, self.user, self.service.spool
        folder = URGENT if flag == "Urgent" else INBOX
        try:
            message = spool.file({"wav": wav, "txt": txt}, user.context, user.mailbox, folder)
        except SpoolError as exc:
            log.error("%s. Voicemail will be lost.", exc)
            _discard(txt, wav)
            return False
        self.channel.set_variable("VM_MESSAGEFILE", str(message.path))
        snapshot = self.channel.snapshot()
        for box, context in self.others:
            recipient = service.find(context, box)
            if recipient is None:
                continue
            if spool.count(recipient.context, recipient.mailbox, INBOX) >= recipient.maxmsg:
                log.warning("Mailbox %s is full", recipient.mailbox_id)
                continue
            try:
                copy = spool.copy(message, recipient.context, recipient.mailbox, folder)
            except SpoolError as exc:
                log.error("Copy of the message to %s failed: %s", recipient.mailbox_id, exc)
                continue
            service.notify_owner(recipient, copy)
            service.notify(recipient.mailbox, recipient.context, snapshot)
        service.notify_owner(user, message)
        service.notify(user.mailbox, user.context, snapshot)
        return True


def _user_exit(channel: Channel, user: Mailbox, exten: str) -> str:
    """Leave for the ``a`` (``*``) or ``o`` (``0``) extension of the exit context."""
    channel.context = user.exitcontext or channel.context
    channel.exten, channel.priority = exten, 1
    channel.jumped = True
    return "USEREXIT"


async def _greeting(
    service: Voicemail, reader: DigitReader, user: Mailbox, options: LeaveOptions, escape: str
) -> str | None:
    """The busy/unavailable greeting (the mailbox's own recording, its temporary greeting,
    or one put together from prompts)."""
    box_dir = service.spool.box_dir(user.context, user.mailbox)
    temporary = box_dir / "temp"
    kind = "busy" if options.busy else "unavail" if options.unavailable else ""
    if _has_sound(temporary):
        return await stream(reader, str(temporary), escape)
    if not kind:
        return ""
    if _has_sound(box_dir / kind):
        return await stream(reader, str(box_dir / kind), escape)
    digits = [f"digits/{c}" for c in user.mailbox if c.isdigit()]
    ending = "vm-isonphone" if options.busy else "vm-isunavail"
    return await stream_all(reader, ["vm-theperson", *digits, ending], escape)


async def record_until(reader: DigitReader, maxsecs: int, keys: str) -> str | None:
    """Until one of ``keys``, hangup (None) or ``maxsecs`` (""); returns the ending digit."""
    channel = reader.channel
    clock = channel.pbx.clock
    deadline = clock() + maxsecs if maxsecs > 0 else None
    while True:
        while reader.pending:
            digit = reader.pending.popleft()
            if digit in keys:
                return digit
        if channel.hangup_requested:
            return None
        left = None if deadline is None else deadline - clock()
        if left is not None and left <= 0:
            return ""
        reader.arrived.clear()
        await wait_any((reader.arrived, channel.hung_up), left, clock)


def _has_sound(base: Path) -> bool:
    return any(p.suffix != ".txt" for p in base.parent.glob(base.name + ".*"))


def _exists(channel: Channel, exten: str) -> bool:
    dialplan = channel.pbx.dialplan
    return dialplan is not None and dialplan.exists(channel.context, exten, 1, channel.caller.number)


def _discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
