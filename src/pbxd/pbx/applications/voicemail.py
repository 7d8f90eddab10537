"""app_voicemail's applications: VoiceMail, VoiceMailMain, VMAuthenticate, VMSayName,
MailboxExists (the work is in ``pbx.voicemail``); importing this module also registers MAILBOX_EXISTS, VM_INFO,
VMCOUNT."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from ..channel import ChannelState
from ..voicemail import functions as _functions  # noqa: F401  (registers the functions)
from ..voicemail.dtmf import DigitReader
from ..voicemail.leave import LeaveOptions, leave_voicemail
from ..voicemail.main import MainOptions, authenticate, voicemail_main
from ..voicemail.prompts import ask_digits
from ..voicemail.service import split_mailbox, voicemail_of
from ..voicemail.spool import SpoolError, folder_name
from . import application, split_args
from .media import digit_files, find_sound, play

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pbxd.voicemail")
_OPTION = re.compile(r"([A-Za-z])(?:\(([^)]*)\))?")


def _options(text: str) -> dict[str, str]:
    return {letter: argument for letter, argument in _OPTION.findall(text)}


@application(
    "VoiceMail",
    "Leave a Voicemail message.",
    "VoiceMail(mailbox1[@context][&mailbox2[@context][&...]][,options])",
    "Leaves a message for the mailboxes (the greeting is the first one's). Options: b (busy "
    "greeting), u (unavailable greeting), s (no instructions), U (urgent), P (priority), "
    "t([tone]) (another beep, or none). Keys: # ends the recording, * goes to 'a', 0 to 'o'. "
    "Sets VMSTATUS to SUCCESS, USEREXIT or FAILED.",
)
async def voicemail(channel: Channel, data: str) -> None:
    service = voicemail_of(channel.pbx)
    args = split_args(data)
    spec = args[0].strip()
    if service is None:
        log.warning("VoiceMail: no voicemail configured")
        channel.set_variable("VMSTATUS", "FAILED")
        return
    if not spec:  # the caller says which mailbox
        if channel.state != ChannelState.UP:
            channel.set_state(ChannelState.UP)
        with DigitReader(channel) as reader:
            spec = await ask_digits(reader, "vm-whichbox", 10.0) or ""
        if not spec:
            return
    flags = _options(args[1] if len(args) > 1 else "")
    options = LeaveOptions(
        busy="b" in flags,
        unavailable="u" in flags,
        silent="s" in flags,
        urgent="U" in flags,
        priority="P" in flags,
        beep=flags.get("t", "beep"),
    )
    status = await leave_voicemail(service, channel, spec, options)
    channel.set_variable("VMSTATUS", status)


@application(
    "VoiceMailMain",
    "Check Voicemail messages.",
    "VoiceMailMain([mailbox][@context][,options])",
    "Lets the caller check messages with the keys it sends (DTMF): log in, then 1 to play, "
    "4/5/6 previous/repeat/next, 7 delete, 9 save to a folder, 2 change folder, # exit. "
    "Options: s (no password), p (mailbox is a prefix), a(folder) (start in that folder).",
)
async def voicemail_main_app(channel: Channel, data: str) -> None:
    service = voicemail_of(channel.pbx)
    if service is None:
        log.warning("VoiceMailMain: no voicemail configured")
        return
    args = split_args(data)
    flags = _options(args[1] if len(args) > 1 else "")
    start = (folder_name(flags["a"]) or "INBOX") if "a" in flags else ""
    await voicemail_main(
        service,
        channel,
        args[0],
        MainOptions("s" in flags, "p" in flags, start),
    )


@application(
    "MailboxExists",
    "Check to see if Voicemail mailbox exists.",
    "MailboxExists(mailbox[@context][,options])",
    "Sets VMBOXEXISTSSTATUS to SUCCESS if the mailbox is configured, else FAILED.",
)
async def mailbox_exists(channel: Channel, data: str) -> None:
    spec = split_args(data)[0].strip()
    if not spec:
        log.warning("MailboxExists requires an argument: (vmbox[@context][|options])")
        return
    service = voicemail_of(channel.pbx)
    box, context = split_mailbox(spec)
    found = service is not None and service.find(context, box) is not None
    channel.set_variable("VMBOXEXISTSSTATUS", "SUCCESS" if found else "FAILED")


@application(
    "VMAuthenticate",
    "Authenticate with Voicemail passwords.",
    "VMAuthenticate([mailbox][@context][,options])",
    "Asks for a mailbox (unless given) and its voicemail.conf password, with the digits the "
    "channel receives; sets AUTH_MAILBOX and AUTH_CONTEXT. After maxlogins failures the "
    "channel is hung up.",
)
async def vm_authenticate(channel: Channel, data: str) -> None:
    service = voicemail_of(channel.pbx)
    user = await authenticate(service, channel, split_args(data)[0]) if service else None
    if user is None:
        channel.request_hangup()
        return
    channel.set_variable("AUTH_MAILBOX", user.mailbox)
    channel.set_variable("AUTH_CONTEXT", user.context)


@application(
    "VMSayName",
    "Play the name of a voicemail user",
    "VMSayName(mailbox[@context])",
    "Plays the name the mailbox's owner recorded (VoiceMailMain, options, 3); without one, "
    "says the mailbox number digit by digit.",
)
async def vm_say_name(channel: Channel, data: str) -> None:
    spec = split_args(data)[0].strip()
    service = voicemail_of(channel.pbx)
    if not spec or service is None:
        log.warning("VMSayName requires argument mailbox@context")
        return
    box, context = split_mailbox(spec)
    try:
        name = service.spool.box_dir(context, box) / "greet"
    except SpoolError:
        return
    if find_sound(channel.pbx, str(name), channel.language) is not None:
        await play(channel, str(name))
        return
    for sound in digit_files(box):
        if await play(channel, sound) is None:
            return
