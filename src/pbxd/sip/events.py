"""What SIP publishes on the PBX bus (the manager turns them into AMI events).

MWI: the voicemail side publishes any event whose type is named ``MailboxChanged`` with
attributes ``mailbox`` (``box@context`` or ``box``, meaning ``@default``), ``new`` and
``old`` (message counts); SIP then NOTIFYs every peer whose ``mailbox=`` lists that box.
"""

from __future__ import annotations

from typing import NamedTuple


class PeerStatusChanged(NamedTuple):
    """``PeerStatus``: Registered, Unregistered, Reachable, Lagged or Unreachable."""

    peer: str  # the peer's name (the event says ``SIP/<name>``)
    status: str
    address: str = ""  # ``host:port`` (Registered)
    cause: str = ""  # why (Unregistered: ``Expired``)
    time: int | None = None  # round trip in ms (Reachable, Lagged, Unreachable)


class RegistryChanged(NamedTuple):
    """``Registry``: an outbound registration (``register =>``) changed state."""

    username: str
    domain: str
    status: str
    cause: str = ""


class MailboxChanged(NamedTuple):
    """A mailbox's message counts changed (the shape SIP's MWI expects)."""

    mailbox: str
    new: int
    old: int
