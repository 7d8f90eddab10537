"""Message waiting: NOTIFY message-summary (RFC 3842) to peers with ``mailbox=``.

Voicemail publishes ``MailboxChanged`` on the PBX bus (``pbxd.pbx.voicemail``): attributes
``mailbox``, ``context`` (``default`` when empty or absent; ``mailbox`` may also be
``box@context``), ``new``, ``old`` and ``urgent`` (optional; MWI counts urgent messages as
new). Any event whose type has that name updates the counts of its mailbox (matched by name,
so SIP does not depend on the voicemail module), and every registered peer that lists it
is sent an unsolicited NOTIFY with the counts of all its mailboxes added up. A peer gets the current counts again when it
registers. ``notify(peer, headers, body)`` sends any NOTIFY (the SIPnotify action).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .peers import SipPeer
    from .service import SipService

log = logging.getLogger("pbxd.sip")


def mailbox_key(mailbox: str) -> str:
    """``1234`` and ``1234@default`` are the same mailbox."""
    box, _, context = mailbox.strip().partition("@")
    return f"{box}@{context or 'default'}".lower()


class Mwi:
    def __init__(self, service: SipService) -> None:
        self.service = service
        self.counts: dict[str, tuple[int, int]] = {}  # mailbox key -> (new, old)
        self.sent = 0

    def on_event(self, event: object) -> None:
        """A bus subscriber: reacts to ``MailboxChanged`` events, ignores the rest."""
        if type(event).__name__ != "MailboxChanged":
            return
        try:
            mailbox = str(event.mailbox)  # type: ignore[attr-defined]
            context = str(getattr(event, "context", "") or "")
            urgent = int(getattr(event, "urgent", 0) or 0)
            counts = (int(event.new) + urgent, int(event.old))  # type: ignore[attr-defined]
        except (AttributeError, TypeError, ValueError):
            log.warning("SIP MWI: a MailboxChanged event without mailbox/new/old: %r", event)
            return
        key = mailbox_key(f"{mailbox}@{context}" if context and "@" not in mailbox else mailbox)
        self.counts[key] = counts
        for peer in self.service.peers:
            if key in {mailbox_key(m) for m in peer.config.mailboxes}:
                self.send_summary(peer)

    def totals(self, peer: SipPeer) -> tuple[int, int]:
        new = old = 0
        for mailbox in peer.config.mailboxes:
            box_new, box_old = self.counts.get(mailbox_key(mailbox), (0, 0))
            new, old = new + box_new, old + box_old
        return new, old

    def send_summary(self, peer: SipPeer) -> bool:
        """NOTIFY ``peer`` of its mailboxes' counts; False when it has no address."""
        if not peer.config.mailboxes or peer.address is None:
            return False
        new, old = self.totals(peer)
        host, port = self.service.stack.local_address(peer.address)
        general = self.service.config.general
        body = (
            f"Messages-Waiting: {'yes' if new else 'no'}\r\n"
            f"Message-Account: sip:{general.vmexten}@{host}\r\n"
            f"Voice-Message: {new}/{old} (0/0)\r\n"
        )
        peer.last_msgs = (new, old)
        return self.notify(
            peer,
            [
                ("Event", "message-summary"),
                ("Subscription-State", "terminated"),
                ("Content-Type", "application/simple-message-summary"),
            ],
            body.encode(),
        )

    def notify(self, peer: SipPeer, headers: list[tuple[str, str]], body: bytes) -> bool:
        """Send a NOTIFY with ``headers`` and ``body`` to ``peer``; False without address."""
        address = peer.address
        if address is None or not self.service.started:
            return False
        stack = self.service.stack
        host, port = stack.local_address(address)
        uri = peer.contact or f"sip:{peer.name}@{address.host}:{address.port}"
        general = self.service.config.general
        request = stack.new_request(
            "NOTIFY", uri, address, f"<sip:{general.vmexten}@{host}:{port}>", f"<{uri}>"
        )
        request.headers.add("Contact", f"<sip:{general.vmexten}@{host}:{port}>")
        for name, value in headers:
            request.headers.add(name, value)
        request.body = body
        self.service.decorate(request)
        self.sent += 1
        stack.send_request(request, address, lambda response: None, lambda: None)
        return True
