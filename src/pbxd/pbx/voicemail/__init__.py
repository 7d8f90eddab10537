"""Voicemail (app_voicemail): voicemail.conf, the spool, message-waiting state.

Other parts of pbxd use :func:`voicemail_of` to reach a PBX's voicemail and subscribe to
:class:`MailboxChanged` on the PBX bus for message-waiting changes.
"""

from .service import Counts, MailboxChanged, Voicemail, configure, split_mailbox, voicemail_of

__all__ = ["Counts", "MailboxChanged", "Voicemail", "configure", "split_mailbox", "voicemail_of"]
