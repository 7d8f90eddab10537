"""Dialplan functions of voicemail: MAILBOX_EXISTS, VM_INFO and VMCOUNT."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..functions import function, separate_args
from .service import split_mailbox, voicemail_of
from .spool import INBOX, folder_name

if TYPE_CHECKING:
    from ..expressions import Scope
    from .service import Voicemail

log = logging.getLogger("pbxd.voicemail")


def _service(scope: Scope) -> Voicemail | None:
    pbx = getattr(scope, "pbx", None)
    return voicemail_of(pbx) if pbx is not None else None


@function(
    "MAILBOX_EXISTS", "MAILBOX_EXISTS(mailbox[@context])", "Tell if a mailbox is configured."
)
def _mailbox_exists(scope: Scope, name: str, data: str) -> str | None:
    if not data.strip():
        log.error("MAILBOX_EXISTS requires an argument (<mailbox>[@<context>])")
        return None
    service = _service(scope)
    box, context = split_mailbox(data)
    return "1" if service is not None and service.find(context, box) is not None else "0"


_VM_INFO_USAGE = "VM_INFO requires an argument (<mailbox>[@<context>],attribute[,folder])"
_ATTRIBUTES = {
    "password": "password",
    "fullname": "fullname",
    "email": "email",
    "pager": "pager",
    "tz": "zonetag",
}


@function(
    "VM_INFO",
    "VM_INFO(mailbox[@context],attribute[,folder])",
    "Returns the selected attribute from a mailbox.",
)
def _vm_info(scope: Scope, name: str, data: str) -> str | None:
    args = separate_args(data) + ["", "", ""]
    spec, attribute, folder = (a.strip() for a in args[:3])
    if not spec or not attribute:
        log.error("%s", _VM_INFO_USAGE)
        return None
    service = _service(scope)
    box, context = split_mailbox(spec)
    user = service.find(context, box) if service is not None else None
    attribute = attribute.lower()
    if attribute.startswith("exists"):
        return "1" if user is not None else "0"
    if user is None or service is None:
        return ""
    if attribute in _ATTRIBUTES:
        return str(getattr(user, _ATTRIBUTES[attribute]))
    if attribute == "language":
        channel = getattr(scope, "channel", None)
        return user.language or (channel.language if channel is not None else "")
    if attribute == "locale":
        return ""
    if attribute == "count":
        chosen = folder_name(folder) if folder else INBOX
        if chosen is None:
            log.error("Unable to retrieve message count for mailbox %s", spec)
            return None
        return str(service.spool.count(context, box, chosen))
    log.error("Unknown attribute '%s' for VM_INFO", attribute)
    return None


@function(
    "VMCOUNT",
    "VMCOUNT(vmbox[@context][,folder])",
    "Count the voicemails in a specified mailbox or mailboxes.",
)
def _vmcount(scope: Scope, name: str, data: str) -> str | None:
    args = separate_args(data) + [""]
    spec, folder = args[0].strip(), args[1].strip()
    if not spec:
        log.warning("VMCOUNT requires an argument (vmbox[@context][,folder])")
        return None
    service = _service(scope)
    chosen = folder_name(folder) if folder else INBOX
    if service is None or chosen is None:
        return "0"
    box, context = split_mailbox(spec)
    return str(service.spool.count(context, box, chosen))
