"""What SIP publishes on the PBX bus (the manager turns them into AMI events).

MWI listens for voicemail's ``MailboxChanged`` (see :mod:`pbxd.sip.mwi`).
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

