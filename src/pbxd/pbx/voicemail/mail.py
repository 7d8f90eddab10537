"""New-message notification by email and pager, as app_voicemail sends it: the message is
handed to ``mailcmd`` (``/usr/sbin/sendmail -t`` by default) on its standard input, with the
audio attached when ``attach = yes``; ``delete = yes`` removes the message once handed over.

``emailsubject``/``emailbody`` and ``pagersubject``/``pagerbody`` may use ``${VM_NAME}``,
``${VM_DUR}``, ``${VM_MSGNUM}``, ``${VM_MAILBOX}``, ``${VM_CALLERID}``, ``${VM_CIDNUM}``,
``${VM_CIDNAME}``, ``${VM_DATE}``, ``${VM_MESSAGEFILE}``, ``${VM_CATEGORY}``, ``${VM_FLAG}``.
The command runs in the background: a call never waits for the mail system.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from ..expressions import VariableScope, substitute
from ..functions import _split_callerid as split_callerid
from .leave import merged_callerid

if TYPE_CHECKING:
    from ..core import PBX
    from .settings import Mailbox, VoicemailSettings
    from .spool import Message

log = logging.getLogger("pbxd.voicemail")
MAIL_TIMEOUT = 60.0  # seconds the mail command may take
DEFAULT_SUBJECT = "New ${VM_FLAG} message ${VM_MSGNUM} in mailbox ${VM_MAILBOX}"
DEFAULT_BODY = (
    "Dear ${VM_NAME}:\n\n"
    "A ${VM_DUR} long message (number ${VM_MSGNUM}) from ${VM_CALLERID} is waiting in "
    "mailbox ${VM_MAILBOX} since ${VM_DATE}.\n"
)
DEFAULT_PAGER_BODY = "New ${VM_DUR} long message in mailbox ${VM_MAILBOX} from ${VM_CALLERID}"


def variables(user: Mailbox, message: Message, date_format: str) -> dict[str, str]:
    """The ``VM_*`` variables of a new message."""
    info = message.info
    callerid = info.get("callerid", "")
    name, number = split_callerid(callerid) if callerid != "Unknown" else ("", "")
    seconds = message.duration
    origtime = int(info["origtime"]) if info.get("origtime", "").isdigit() else 0
    when = datetime.fromtimestamp(origtime, UTC)
    return {
        "VM_NAME": user.fullname,
        "VM_DUR": f"{seconds // 60}:{seconds % 60:02d}",
        "VM_MSGNUM": str(message.number + 1),
        "VM_MAILBOX": user.mailbox,
        "VM_CALLERID": merged_callerid(name, number) if name or number else "an unknown caller",
        "VM_CIDNUM": number,
        "VM_CIDNAME": name,
        "VM_DATE": when.strftime(date_format),
        "VM_MESSAGEFILE": str(message.path),
        "VM_CATEGORY": info.get("category", ""),
        "VM_FLAG": info.get("flag", ""),
    }


def compose(
    pbx: PBX,
    settings: VoicemailSettings,
    user: Mailbox,
    message: Message,
    pager: bool = False,
) -> bytes:
    """The email (or the short pager message) telling ``user`` about ``message``."""
    values = variables(user, message, settings.emaildateformat)
    scope = VariableScope(None, pbx, {**pbx.globals, **values})
    sender = user.serveremail or settings.serveremail
    if "@" not in sender:
        sender = f"{sender}@{socket.gethostname()}"
    mail = EmailMessage()
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["From"] = f'"{user.fromstring or settings.fromstring or "Asterisk PBX"}" <{sender}>'
    mail["To"] = f'"{user.fullname}" <{user.pager if pager else user.email}>'
    subject = (settings.pagersubject if pager else settings.emailsubject) or DEFAULT_SUBJECT
    mail["Subject"] = " ".join(substitute(subject, scope).split())
    mail["Message-ID"] = make_msgid("Asterisk")
    if not pager:
        for header, value in (
            ("X-Asterisk-VM-Message-Num", values["VM_MSGNUM"]),
            ("X-Asterisk-VM-Server-Name", sender),
            ("X-Asterisk-VM-Context", user.context),
            ("X-Asterisk-VM-Extension", user.mailbox),
            ("X-Asterisk-VM-Flag", values["VM_FLAG"]),
            ("X-Asterisk-VM-Caller-ID-Num", values["VM_CIDNUM"]),
            ("X-Asterisk-VM-Caller-ID-Name", values["VM_CIDNAME"]),
            ("X-Asterisk-VM-Duration", str(message.duration)),
            ("X-Asterisk-VM-Category", values["VM_CATEGORY"]),
            ("X-Asterisk-VM-Message-ID", message.msg_id),
        ):
            mail[header] = value
    body = (settings.pagerbody or DEFAULT_PAGER_BODY) if pager else (settings.emailbody or DEFAULT_BODY)
    mail.set_content(substitute(body, scope))
    audio = message.audio
    if not pager and user.attach and audio is not None:
        try:
            data = audio.read_bytes()
        except OSError as exc:
            log.warning("Cannot attach %s: %s", audio, exc.strerror)
        else:
            number = f"msg{message.number:04d}"
            mail.add_attachment(data, maintype="audio", subtype="x-wav", filename=f"{number}.wav")
    return mail.as_bytes()


async def send(command: str, data: bytes) -> bool:
    """Run ``command`` (through the shell, as Asterisk does) with ``data`` on its stdin."""
    try:
        process = await asyncio.create_subprocess_shell(
            command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        await asyncio.wait_for(process.communicate(data), MAIL_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        log.warning("Unable to send mail with '%s': %s", command, exc)
        return False
    if process.returncode:
        log.warning("'%s' failed (exit %s): the notification was not sent", command,
                    process.returncode)  # fmt: skip
        return False
    return True
