"""Voicemail's ``MailboxChanged`` bus event turned into AMI ``MessageWaiting`` (class call):
the channel block when a channel changed the mailbox, then Mailbox, Waiting, New, Old."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pbx.voicemail import MailboxChanged
from .channel_events import channel_lines
from .privileges import Privilege
from .translation import TableTranslator

if TYPE_CHECKING:
    from .server import Manager

CALL = int(Privilege.CALL)


def message_waiting_lines(event: MailboxChanged, classic: bool = False) -> list[str]:
    """The event's fields; the channel block only in AMI 9 (Asterisk 1.4 sent none)."""
    lines = channel_lines(event.channel) if event.channel is not None and not classic else []
    new = event.waiting_new
    lines += [
        f"Mailbox: {event.mailbox_id}",
        f"Waiting: {1 if new else 0}",
        f"New: {new}",
        f"Old: {event.old}",
    ]
    return lines


class VoicemailEventTranslator(TableTranslator):
    """Subscribed to the PBX bus next to the channel translator."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self._table = {MailboxChanged: self._message_waiting}

    def _message_waiting(self, event: MailboxChanged) -> None:
        classic = self.manager.settings.classic
        self.manager.hub.publish("MessageWaiting", CALL, message_waiting_lines(event, classic))
